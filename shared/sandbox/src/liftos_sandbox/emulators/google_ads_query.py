"""Google Ads row selection, pure: GAQL over the World's ad-group-day rows, rendered as REST JSON.

JSON follows the proto3 JSON mapping the REST API uses: lowerCamelCase keys, int64 fields
(``id``, ``costMicros``, ``impressions``, ``clicks``) as strings, doubles (``conversions``,
``conversionsValue``, ``ctr``, ``averageCpc``) as numbers, enums as names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from liftos_sandbox.emulators.breakdowns import GOOGLE_SEGMENTS, Dimension, expand_breakdowns
from liftos_sandbox.emulators.gaql import GaqlError, GaqlQuery, date_bounds

__all__ = [
    "FIELDS",
    "CustomerInfo",
    "camel_path",
    "directory_rows",
    "is_directory_query",
    "render_rows",
    "select_rows",
]

_METRIC_COLUMNS = ["spend_micros", "impressions", "clicks", "conv_micro", "revenue_cents"]
_ATTRIBUTES = (
    "customer.id",
    "customer.resource_name",
    "customer.currency_code",
    "customer.descriptive_name",
    "customer.time_zone",
    "campaign.id",
    "campaign.name",
    "campaign.resource_name",
    "campaign.status",
    "campaign.advertising_channel_type",
    "ad_group.id",
    "ad_group.name",
    "ad_group.resource_name",
    "ad_group.campaign",
    "ad_group.status",
)
#: The account directory: ``FROM customer_client`` (a manager's hierarchy) and ``customer.manager``.
CUSTOMER_CLIENT_FIELDS = (
    "customer_client.client_customer",
    "customer_client.id",
    "customer_client.descriptive_name",
    "customer_client.currency_code",
    "customer_client.time_zone",
    "customer_client.manager",
    "customer_client.level",
    "customer_client.status",
    "customer_client.resource_name",
    "customer.manager",
)
_SEGMENTS = ("segments.date", *GOOGLE_SEGMENTS)
_METRICS = (
    "metrics.cost_micros",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.conversions",
    "metrics.conversions_value",
    "metrics.ctr",
    "metrics.average_cpc",
)
FIELDS = frozenset((*_ATTRIBUTES, *_SEGMENTS, *_METRICS, *CUSTOMER_CLIENT_FIELDS))
_GRAIN = {
    "customer": ["account_id"],
    "campaign": ["account_id", "campaign_id"],
    "ad_group": ["account_id", "campaign_id", "group_id"],
}
_COLUMN = {
    "campaign.id": "campaign_id",
    "campaign.name": "campaign_name",
    "ad_group.id": "group_id",
    "ad_group.name": "group_name",
    "customer.id": "account_id",
    "segments.date": "date_iso",
    **{s: s for s in GOOGLE_SEGMENTS},
}


@dataclass(frozen=True)
class CustomerInfo:
    """The customer's attributes served with rows."""

    customer_id: str
    name: str
    currency: str
    timezone: str
    manager: bool = False


def camel_path(field: str) -> str:
    """GAQL ``metrics.cost_micros`` -> JSON ``metrics.costMicros`` (and ``ad_group`` -> ``adGroup``)."""

    def camel(part: str) -> str:
        head, *rest = part.split("_")
        return head + "".join(word.capitalize() for word in rest)

    return ".".join(camel(part) for part in field.split("."))


def _check_resource(query: GaqlQuery) -> None:
    allowed = {
        "customer": ("customer",),
        "campaign": ("customer", "campaign"),
        "ad_group": ("customer", "campaign", "ad_group"),
    }[query.resource]
    for field in query.fields:
        prefix = field.split(".")[0]
        if prefix not in (*allowed, "segments", "metrics"):
            raise GaqlError(
                "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                f"Error in query: '{field}' cannot be selected with FROM {query.resource}.",
            )


def _matches(series: pd.Series, op: str, values: tuple[str, ...]) -> pd.Series:
    """Evaluate one condition over a column of strings or numbers."""
    numeric = pd.api.types.is_numeric_dtype(series)
    typed: list[Any] = [float(v) for v in values] if numeric else list(values)
    ops = {
        "=": lambda: series == typed[0],
        "!=": lambda: series != typed[0],
        ">": lambda: series > typed[0],
        ">=": lambda: series >= typed[0],
        "<": lambda: series < typed[0],
        "<=": lambda: series <= typed[0],
        "IN": lambda: series.isin(typed),
        "NOT IN": lambda: ~series.isin(typed),
        "BETWEEN": lambda: (series >= typed[0]) & (series <= typed[1]),
        "LIKE": lambda: series.astype(str).str.fullmatch(str(typed[0]).replace("%", ".*")),
    }
    if op not in ops:
        raise GaqlError("INVALID_OPERATOR", f"Error in query: operator {op} is not supported here.")
    result: pd.Series = ops[op]()  # type: ignore[no-untyped-call]
    return result.astype(bool)


def _metric_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the GAQL metric columns (float where the API sends doubles)."""
    out = frame.assign(
        **{
            "metrics.cost_micros": frame["spend_micros"],
            "metrics.impressions": frame["impressions"],
            "metrics.clicks": frame["clicks"],
            "metrics.conversions": frame["conv_micro"] / 1e6,
            "metrics.conversions_value": frame["revenue_cents"] / 100.0,
        }
    )
    imp, clicks = frame["impressions"].to_numpy(float), frame["clicks"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["metrics.ctr"] = np.where(imp > 0, clicks / np.maximum(imp, 1), 0.0)
        out["metrics.average_cpc"] = np.where(clicks > 0, frame["spend_micros"] / np.maximum(clicks, 1), 0.0)
    return out


def select_rows(daily: pd.DataFrame, query: GaqlQuery, customer_id: str, today: date) -> pd.DataFrame:
    """Aggregate ad-group-day rows of ``customer_id`` to the query's grain, segments, filters and order."""
    _check_resource(query)
    selected_dates = "segments.date" in query.fields
    bounds = date_bounds(query, today)
    if selected_dates and bounds is None:
        raise GaqlError(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Error in query: segments.date is selected but the WHERE clause has no finite range.",
        )
    rows = daily[daily["account_id"] == customer_id]
    if bounds is not None:
        rows = rows[(rows["date"] >= pd.Timestamp(bounds[0])) & (rows["date"] <= pd.Timestamp(bounds[1]))]
    for cond in query.conditions:
        column = _COLUMN.get(cond.field)
        if cond.field.startswith(("campaign.", "ad_group.")) and column is not None:
            rows = rows[_matches(rows[column], cond.op, cond.values)]
    segments = [f for f in GOOGLE_SEGMENTS if f in query.fields]
    dims: list[Dimension] = [(name, GOOGLE_SEGMENTS[name]) for name in segments]
    rows = expand_breakdowns(rows, ["group_id", "date"], dims, _METRIC_COLUMNS)
    rows = rows.assign(date_iso=rows["date"].dt.strftime("%Y-%m-%d"))
    keys = [*_GRAIN[query.resource], *(["date_iso"] if selected_dates else []), *segments]
    agg = {**dict.fromkeys(_METRIC_COLUMNS, "sum"), "campaign_name": "first", "group_name": "first"}
    out = _metric_frame(rows.groupby(keys, sort=True).agg(agg).reset_index())
    for cond in query.conditions:
        if cond.field.startswith("metrics.") or cond.field in GOOGLE_SEGMENTS:
            out = out[_matches(out[_COLUMN.get(cond.field, cond.field)], cond.op, cond.values)]
    if query.order_by:
        columns = [_COLUMN.get(f, f) for f, _ in query.order_by]
        out = out.sort_values(columns, ascending=[not d for _, d in query.order_by], kind="stable")
    if query.limit is not None:
        out = out.head(query.limit)
    return out.reset_index(drop=True)


def _set(row: dict[str, Any], path: str, value: Any) -> None:
    head, _, leaf = path.partition(".")
    row.setdefault(head, {})[leaf] = value


def _value(field: str, rec: dict[Any, Any], customer: CustomerInfo) -> Any:
    """The JSON value of one selected field for one aggregated record."""
    if field.startswith("customer_client."):
        return rec.get(field)
    cid = customer.customer_id
    campaign_rn = f"customers/{cid}/campaigns/{rec.get('campaign_id')}"
    values: dict[str, Any] = {
        "customer.id": cid,
        "customer.resource_name": f"customers/{cid}",
        "customer.currency_code": customer.currency,
        "customer.descriptive_name": customer.name,
        "customer.time_zone": customer.timezone,
        "customer.manager": customer.manager,
        "campaign.id": str(rec.get("campaign_id")),
        "campaign.name": rec.get("campaign_name"),
        "campaign.resource_name": campaign_rn,
        "campaign.status": "ENABLED",
        "campaign.advertising_channel_type": "SEARCH",
        "ad_group.id": str(rec.get("group_id")),
        "ad_group.name": rec.get("group_name"),
        "ad_group.resource_name": f"customers/{cid}/adGroups/{rec.get('group_id')}",
        "ad_group.campaign": campaign_rn,
        "ad_group.status": "ENABLED",
        "segments.date": rec.get("date_iso"),
        "metrics.cost_micros": str(int(rec.get("metrics.cost_micros", 0))),
        "metrics.impressions": str(int(rec.get("metrics.impressions", 0))),
        "metrics.clicks": str(int(rec.get("metrics.clicks", 0))),
        "metrics.conversions": float(rec.get("metrics.conversions", 0)),
        "metrics.conversions_value": float(rec.get("metrics.conversions_value", 0)),
        "metrics.ctr": float(rec.get("metrics.ctr", 0)),
        "metrics.average_cpc": float(rec.get("metrics.average_cpc", 0)),
    }
    return values[field] if field in values else rec.get(field)


def render_rows(frame: pd.DataFrame, query: GaqlQuery, customer: CustomerInfo) -> list[dict[str, Any]]:
    """GoogleAdsRow JSON objects for ``frame``; the FROM resource's resourceName is always included."""
    implicit = f"{query.resource}.resource_name"
    fields = [*([implicit] if implicit not in query.fields else []), *query.fields]
    out = []
    for rec in frame.to_dict("records"):
        row: dict[str, Any] = {}
        for field in fields:
            if field.startswith(("campaign.", "campaign_")) and query.resource == "customer":
                continue
            if field.startswith("ad_group.") and query.resource != "ad_group":
                continue
            _set(row, camel_path(field), _value(field, rec, customer))
        out.append(row)
    return out


def is_directory_query(query: GaqlQuery) -> bool:
    """``FROM customer_client``, or ``FROM customer`` without metrics or segments (attributes only)."""
    if query.resource == "customer_client":
        return True
    return query.resource == "customer" and not any(
        f.startswith(("metrics.", "segments.")) for f in query.fields
    )


def directory_rows(query: GaqlQuery, customer: CustomerInfo, clients: list[CustomerInfo]) -> pd.DataFrame:
    """Rows of a directory query on ``customer``: itself (level 0) and, for a manager, its ``clients``
    (level 1), filtered by ``customer_client.level`` conditions."""
    if query.resource == "customer":
        return pd.DataFrame([{"account_id": customer.customer_id}])
    members = [(customer, 0), *((c, 1) for c in clients)] if customer.manager else [(customer, 0)]
    root = customer.customer_id
    records = [
        {
            "customer_client.resource_name": f"customers/{root}/customerClients/{c.customer_id}",
            "customer_client.client_customer": f"customers/{c.customer_id}",
            "customer_client.id": c.customer_id,
            "customer_client.descriptive_name": c.name,
            "customer_client.currency_code": c.currency,
            "customer_client.time_zone": c.timezone,
            "customer_client.manager": c.manager,
            "customer_client.level": level,
            "customer_client.status": "ENABLED",
        }
        for c, level in members
    ]
    frame = pd.DataFrame(records)
    for cond in (c for c in query.conditions if c.field == "customer_client.level"):
        frame = frame[_matches(frame["customer_client.level"], cond.op, cond.values)]
    frame["customer_client.level"] = frame["customer_client.level"].astype(str)  # int64 in proto3 JSON
    return frame.reset_index(drop=True)
