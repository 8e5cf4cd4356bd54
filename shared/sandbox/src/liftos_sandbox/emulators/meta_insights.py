"""Meta Insights data selection, pure: query parsing, aggregation, breakdowns, rows, cursors.

Money is handled as integer cents of the account currency and conversions as integer micro-units,
so every sum (over breakdown rows, over levels, over time buckets) is exact; rendering turns them
into the decimal strings Meta sends.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from liftos_sandbox.emulators.breakdowns import META_BREAKDOWNS, Dimension, expand_breakdowns

__all__ = [
    "LEVELS",
    "PURCHASE_ALIASES",
    "InsightsQuery",
    "MetaError",
    "decode_cursor",
    "encode_cursor",
    "format_cents",
    "format_micro",
    "parse_insights_query",
    "render_rows",
    "select_insights",
]

LEVELS = ("account", "campaign", "adset", "ad")
PURCHASE_ALIASES = (
    "omni_purchase",
    "purchase",
    "offsite_conversion.fb_pixel_purchase",
    "onsite_web_purchase",
    "onsite_web_app_purchase",
    "web_in_store_purchase",
    "web_app_in_store_purchase",
)
# Share of the matured ("value", i.e. 7d_click + 1d_view) conversions credited under each window.
WINDOW_SHARE: dict[str, float] = {
    "1d_click": 0.55,
    "7d_click": 0.8,
    "28d_click": 0.9,
    "1d_view": 0.2,
    "1d_ev": 0.02,
    "dda": 1.0,
    "default": 1.0,
}
_RETIRED_WINDOWS = ("7d_view", "28d_view")  # Meta stopped returning these in Jan 2026
_ID_FIELDS = {
    "account": ("account_id", "account_name"),
    "campaign": ("campaign_id", "campaign_name"),
    "adset": ("adset_id", "adset_name"),
    "ad": ("ad_id", "ad_name"),
}
_OTHER_FIELDS = (
    "account_currency",
    "date_start",
    "date_stop",
    "spend",
    "impressions",
    "clicks",
    "cpc",
    "ctr",
    "cpm",
    "reach",
    "frequency",
    "actions",
    "action_values",
    "purchase_roas",
    "inline_link_clicks",
)
FIELDS = frozenset([f for pair in _ID_FIELDS.values() for f in pair] + list(_OTHER_FIELDS))
_DEFAULT_FIELDS = ("impressions", "spend", "date_start", "date_stop")
_LEVEL_KEYS = {
    "account": ["account_id"],
    "campaign": ["account_id", "campaign_id"],
    "adset": ["account_id", "campaign_id", "group_id"],
    "ad": ["account_id", "campaign_id", "group_id", "ad_id"],
}
METRICS = ["spend_cents", "impressions", "clicks", "conv_micro", "revenue_cents"]
_MAX_MONTHS_BACK = 37


class MetaError(Exception):
    """A Graph API error: rendered as ``{"error": {...}}`` with ``status``."""

    def __init__(
        self,
        message: str,
        code: int = 100,
        subcode: int | None = None,
        status: int = 400,
        kind: str = "OAuthException",
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.subcode = message, code, subcode
        self.status, self.kind, self.transient = status, kind, transient


@dataclass(frozen=True)
class InsightsQuery:
    """One validated insights request. Dates are inclusive; increment is days, 'monthly' or 'all_days'."""

    node_level: str
    node_id: str
    account_id: str
    level: str
    fields: tuple[str, ...]
    since: date
    until: date
    increment: int | str
    breakdowns: tuple[str, ...]
    windows: tuple[str, ...]


def encode_cursor(index: int) -> str:
    """Meta-style cursor: base64 of the row index with '=' spelled 'ZD' (e.g. 72 -> 'NzIZD')."""
    return base64.b64encode(str(index).encode()).decode().replace("=", "ZD")


def decode_cursor(cursor: str) -> int:
    """Inverse of `encode_cursor`; raises MetaError on a foreign cursor."""
    try:
        return int(base64.b64decode(cursor.replace("ZD", "=")).decode())
    except (ValueError, UnicodeDecodeError) as error:
        raise MetaError("(#100) The parameter 'after' is not a valid cursor") from error


def _list_param(raw: str | None) -> list[str]:
    """Graph list params arrive as JSON arrays (SDK) or comma-separated (hand-written URLs)."""
    if raw is None or raw == "":
        return []
    text = raw.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise MetaError(f"(#100) Invalid JSON list: {raw}") from error
        return [str(v) for v in value]
    return [part.strip() for part in text.split(",") if part.strip()]


def _preset_range(preset: str, today: date) -> tuple[date, date]:
    """Resolve a date_preset relative to ``today`` (the emulator's today; presets end yesterday)."""
    yesterday = today - timedelta(days=1)
    days = {
        "yesterday": 1,
        "last_3d": 3,
        "last_7d": 7,
        "last_14d": 14,
        "last_28d": 28,
        "last_30d": 30,
        "last_90d": 90,
    }
    if preset == "today":
        return today, today
    if preset in days:
        return today - timedelta(days=days[preset]), yesterday
    if preset == "maximum":
        return _earliest(today), today
    raise MetaError(f"(#100) date_preset must be one of the following values: {', '.join(sorted(days))}")


def _earliest(today: date) -> date:
    """The first day Meta still serves (37 months back)."""
    month = today.month - 1 - _MAX_MONTHS_BACK
    return date(today.year + month // 12, month % 12 + 1, 1)


def _time_range(params: Mapping[str, str], today: date) -> tuple[date, date]:
    """Parse time_range JSON ({"since","until"}) or date_preset; default last_30d."""
    raw = params.get("time_range")
    if not raw:
        return _preset_range(params.get("date_preset", "last_30d"), today)
    try:
        value = json.loads(raw)
        since, until = date.fromisoformat(value["since"]), date.fromisoformat(value["until"])
    except (ValueError, KeyError, TypeError) as error:
        raise MetaError("(#100) param time_range must be a JSON object with since and until") from error
    if since > until:
        raise MetaError("(#100) Your 'since' date must be before your 'until' date", subcode=1487534)
    if since < _earliest(today):
        raise MetaError(
            "(#3018) The start date of the time range cannot be beyond 37 months from the current date",
            code=3018,
        )
    return since, until


def _increment(raw: str | None) -> int | str:
    if raw is None or raw == "":
        return "all_days"
    if raw in ("monthly", "all_days"):
        return raw
    if raw.isdigit() and 1 <= int(raw) <= 90:
        return int(raw)
    raise MetaError("(#100) time_increment must be an integer between 1 and 90, 'monthly' or 'all_days'")


def parse_insights_query(
    params: Mapping[str, str], node_level: str, node_id: str, account_id: str, today: date
) -> InsightsQuery:
    """Validate Graph insights params for a node of ``node_level`` (account|campaign|adset|ad)."""
    level = params.get("level") or node_level
    if level not in LEVELS or LEVELS.index(level) < LEVELS.index(node_level):
        raise MetaError(f"(#100) level must be one of the following values: {', '.join(LEVELS)}")
    fields = tuple(_list_param(params.get("fields"))) or _DEFAULT_FIELDS
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise MetaError(
            f"(#100) {unknown[0]} is not valid for fields param. please check "
            "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ "
            "for all valid values"
        )
    breakdowns = tuple(_list_param(params.get("breakdowns")))
    bad = [b for b in breakdowns if b not in META_BREAKDOWNS]
    if bad:
        raise MetaError(f"(#100) Breakdowns {bad[0]} are not supported by the emulator or invalid")
    windows = tuple(
        w for w in _list_param(params.get("action_attribution_windows")) if w not in _RETIRED_WINDOWS
    )
    unknown_windows = [w for w in windows if w not in WINDOW_SHARE]
    if unknown_windows:
        raise MetaError(
            f"(#100) action_attribution_windows[0] must be one of the following values: "
            f"{', '.join(WINDOW_SHARE)}"
        )
    since, until = _time_range(params, today)
    return InsightsQuery(
        node_level,
        node_id,
        account_id,
        level,
        fields,
        since,
        until,
        _increment(params.get("time_increment")),
        breakdowns,
        windows,
    )


def _buckets(dates: pd.Series, query: InsightsQuery) -> tuple[pd.Series, pd.Series]:
    """(date_start, date_stop) per row for the query's time_increment, clipped to the range."""
    since, until = pd.Timestamp(query.since), pd.Timestamp(query.until)
    if query.increment == "all_days":
        return pd.Series(since, index=dates.index), pd.Series(until, index=dates.index)
    if query.increment == "monthly":
        start = dates.dt.to_period("M").dt.start_time.where(lambda d: d >= since, since)
        stop = dates.dt.to_period("M").dt.end_time.dt.normalize().where(lambda d: d <= until, until)
        return start, stop
    step = int(query.increment)
    offset = ((dates - since).dt.days // step) * step
    start = since + pd.to_timedelta(offset, unit="D")
    stop = start + pd.Timedelta(days=step - 1)
    return start, stop.where(stop <= until, until)


def _node_filter(frame: pd.DataFrame, query: InsightsQuery) -> pd.DataFrame:
    column = {"account": "account_id", "campaign": "campaign_id", "adset": "group_id", "ad": "ad_id"}
    key = column[query.node_level]
    value = query.account_id if query.node_level == "account" else query.node_id
    dates = frame["date"]
    mask = (frame[key] == value) & (dates >= pd.Timestamp(query.since)) & (dates <= pd.Timestamp(query.until))
    return frame[mask]


def select_insights(daily: pd.DataFrame, query: InsightsQuery) -> pd.DataFrame:
    """Aggregate Meta ad-day rows for ``query``: one row per (level object, time bucket, breakdowns).

    Breakdowns are apportioned at the ad-day grain and then aggregated, so breakdown rows always sum
    exactly to the unbroken rows. Sorted by date_start, object ids, then breakdown category order.
    """
    rows = _node_filter(daily, query)
    dims: list[Dimension] = [(name, META_BREAKDOWNS[name]) for name in query.breakdowns]
    rows = expand_breakdowns(rows, ["ad_id", "date"], dims, METRICS)
    start, stop = _buckets(rows["date"], query)
    rows = rows.assign(date_start=start, date_stop=stop)
    keys = [*_LEVEL_KEYS[query.level], "date_start", "date_stop", *query.breakdowns]
    names = {"campaign_name": "first", "group_name": "first", "ad_name": "first"}
    out = rows.groupby(keys, sort=False, observed=True).agg({**dict.fromkeys(METRICS, "sum"), **names})
    out = out.reset_index()
    order = [*["date_start"], *_LEVEL_KEYS[query.level][1:]]
    for name in query.breakdowns:
        labels = [label for label, _ in META_BREAKDOWNS[name]]
        out[name] = pd.Categorical(out[name], categories=labels, ordered=True)
        order.append(name)
    out = out.sort_values(order, kind="stable").reset_index(drop=True)
    for name in query.breakdowns:
        out[name] = out[name].astype(str)
    return out


def format_cents(cents: int) -> str:
    """Integer cents as Meta's trimmed decimal string: 1435 -> '14.35', 1430 -> '14.3', 500 -> '5'."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}".rstrip("0").rstrip(".") if frac else f"{sign}{whole}"


def format_micro(micro: int) -> str:
    """Integer micro-units as a trimmed decimal string: 3_500_000 -> '3.5'."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), 1_000_000)
    return f"{sign}{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else f"{sign}{whole}"


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> str:
    return f"{numerator * scale / denominator:.6f}"


def _action_entries(
    types: tuple[str, ...], units: int, fmt: Any, windows: tuple[str, ...]
) -> list[dict[str, str]]:
    """One entry per alias action type carrying the same value (and per-window keys)."""
    entry = {"value": fmt(units)}
    for window in windows:
        entry[window] = fmt(round(units * WINDOW_SHARE[window]))
    return [{"action_type": t, **entry} for t in types]


def _actions(row: Mapping[str, Any], windows: tuple[str, ...]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if row["clicks"]:
        out += _action_entries(("link_click",), int(row["clicks"]), str, windows)
    if row["conv_micro"]:
        out += _action_entries(PURCHASE_ALIASES, int(row["conv_micro"]), format_micro, windows)
    return out


def _computed(row: Mapping[str, Any], query: InsightsQuery, wanted: frozenset[str]) -> dict[str, Any]:
    """The metric fields of one row that the query asked for (numbers as strings; zero-only omitted)."""
    spend, imp, clicks = int(row["spend_cents"]), int(row["impressions"]), int(row["clicks"])
    values: dict[str, Any] = {
        "spend": format_cents(spend),
        "impressions": str(imp),
        "clicks": str(clicks),
        "inline_link_clicks": str(clicks),
    }
    if wanted & {"reach", "frequency"}:
        reach = max(round(imp / 1.35), 1 if imp else 0)
        values["reach"] = str(reach)
        if reach:
            values["frequency"] = _ratio(imp, reach)
    if clicks and "cpc" in wanted:
        values["cpc"] = _ratio(spend / 100, clicks)
    if imp and wanted & {"ctr", "cpm"}:
        values["ctr"] = _ratio(clicks, imp, 100.0)
        values["cpm"] = _ratio(spend / 100, imp, 1000.0)
    if "actions" in wanted:
        values["actions"] = _actions(row, query.windows) or None
    revenue = int(row["revenue_cents"])
    if revenue and "action_values" in wanted:
        values["action_values"] = _action_entries(PURCHASE_ALIASES, revenue, format_cents, query.windows)
    if revenue and spend and "purchase_roas" in wanted:
        values["purchase_roas"] = [{"action_type": "omni_purchase", "value": _ratio(revenue, spend)}]
    return values


def _render_one(
    row: Mapping[str, Any], query: InsightsQuery, account: Mapping[str, str], wanted: frozenset[str]
) -> dict[str, Any]:
    """One insights row as Meta sends it, fields in the requested order, then breakdowns and dates."""
    values: dict[str, Any] = {
        "account_id": account["account_id"].removeprefix("act_"),
        "account_name": account["name"],
        "account_currency": account["currency"],
        "campaign_id": row.get("campaign_id"),
        "campaign_name": row.get("campaign_name"),
        "adset_id": row.get("group_id"),
        "adset_name": row.get("group_name"),
        "ad_id": row.get("ad_id"),
        "ad_name": row.get("ad_name"),
        **_computed(row, query, wanted),
    }
    out = {f: values[f] for f in query.fields if values.get(f) is not None}
    for name in query.breakdowns:
        out[name] = row[name]
    out["date_start"] = row["date_start"]
    out["date_stop"] = row["date_stop"]
    return out


_ID_SET = frozenset(f for pair in _ID_FIELDS.values() for f in pair)


def render_rows(
    frame: pd.DataFrame, query: InsightsQuery, account: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Render a (page-sized) slice of `select_insights` output as Graph JSON objects.

    ID fields deeper than the query's level are never sent (Meta omits them too).
    """
    allowed = {f for lvl in LEVELS[: LEVELS.index(query.level) + 1] for f in _ID_FIELDS[lvl]}
    wanted = frozenset(f for f in query.fields if f in allowed or f not in _ID_SET)
    query = replace(query, fields=tuple(f for f in query.fields if f in wanted))
    columns = [
        c
        for c in (
            *METRICS,
            "campaign_id",
            "campaign_name",
            "group_id",
            "group_name",
            "ad_id",
            "ad_name",
            *query.breakdowns,
        )
        if c in frame.columns
    ]
    data: dict[str, list[Any]] = {c: frame[c].tolist() for c in columns}
    data["date_start"] = frame["date_start"].dt.strftime("%Y-%m-%d").tolist()
    data["date_stop"] = frame["date_stop"].dt.strftime("%Y-%m-%d").tolist()
    keys = list(data)
    return [
        _render_one(dict(zip(keys, values, strict=True)), query, account, wanted)
        for values in zip(*data.values(), strict=True)
    ]
