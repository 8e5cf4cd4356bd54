"""Klaviyo reporting and metric data selection, pure: report statistics and metric aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

__all__ = [
    "MESSAGE_DIMENSIONS",
    "STATISTICS",
    "KlaviyoInputError",
    "aggregate_by_message",
    "aggregate_metric",
    "report_statistics",
    "resolve_timeframe",
]

STATISTICS = frozenset(
    (
        "average_order_value",
        "bounce_rate",
        "bounced",
        "bounced_or_failed",
        "bounced_or_failed_rate",
        "click_rate",
        "click_to_open_rate",
        "clicks",
        "clicks_unique",
        "conversion_rate",
        "conversion_uniques",
        "conversion_value",
        "conversions",
        "delivered",
        "delivery_rate",
        "failed",
        "failed_rate",
        "message_segment_count_sum",
        "open_rate",
        "opens",
        "opens_unique",
        "recipients",
        "revenue_per_recipient",
        "spam_complaint_rate",
        "spam_complaints",
        "text_message_credit_usage_amount",
        "text_message_roi",
        "text_message_spend",
        "unsubscribe_rate",
        "unsubscribe_uniques",
        "unsubscribes",
    )
)
_KEYS = {
    "today": (0, 0),
    "yesterday": (1, 1),
    "last_7_days": (7, 1),
    "last_30_days": (30, 1),
    "last_90_days": (90, 1),
    "last_365_days": (365, 1),
    "last_12_months": (365, 1),
    "last_3_months": (91, 1),
}


class KlaviyoInputError(ValueError):
    """Invalid request input; ``pointer`` is the JSON pointer of the culprit."""

    def __init__(self, detail: str, pointer: str = "/data/attributes") -> None:
        super().__init__(detail)
        self.detail, self.pointer = detail, pointer


def resolve_timeframe(timeframe: Any, today: date) -> tuple[date, date]:
    """``{"key": …}`` or ``{"start","end"}`` → inclusive (first, last) day; at most one year."""
    if not isinstance(timeframe, dict):
        raise KlaviyoInputError("timeframe is required.", "/data/attributes/timeframe")
    if "key" in timeframe:
        key = timeframe["key"]
        if key == "this_month":
            return today.replace(day=1), today
        if key == "last_month":
            last = today.replace(day=1) - timedelta(days=1)
            return last.replace(day=1), last
        if key not in _KEYS:
            raise KlaviyoInputError(
                f"'{key}' is not a valid timeframe key.", "/data/attributes/timeframe/key"
            )
        back, end_back = _KEYS[key]
        return today - timedelta(days=back), today - timedelta(days=end_back)
    try:
        start = datetime.fromisoformat(str(timeframe["start"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(timeframe["end"]).replace("Z", "+00:00"))
    except (KeyError, ValueError) as error:
        raise KlaviyoInputError(
            "timeframe must have a key or start and end datetimes.", "/data/attributes/timeframe"
        ) from error
    if end - start > timedelta(days=366):
        raise KlaviyoInputError("The timeframe cannot exceed 1 year.", "/data/attributes/timeframe")
    last = end.date() if end.time() != datetime.min.time() else end.date() - timedelta(days=1)
    return start.date(), last


def _rate(num: float, den: float) -> float:
    return round(num / den, 6) if den else 0.0


def _stats_of(row: pd.Series) -> dict[str, float]:
    """Every statistic from summed recipients/opens/clicks/bounces/unsubscribes/conversions/value."""
    recipients, bounces = int(row["recipients"]), int(row["bounces"])
    delivered, opens, clicks = recipients - bounces, int(row["opens"]), int(row["clicks"])
    conversions, value = round(float(row["conv_micro"]) / 1e6, 6), round(float(row["revenue_cents"]) / 100, 2)
    unsubs = int(row["unsubscribes"])
    return {
        "recipients": recipients,
        "delivered": delivered,
        "bounced": bounces,
        "bounced_or_failed": bounces,
        "failed": 0,
        "opens": opens,
        "opens_unique": opens,
        "clicks": clicks,
        "clicks_unique": clicks,
        "conversions": conversions,
        "conversion_uniques": conversions,
        "conversion_value": value,
        "unsubscribes": unsubs,
        "unsubscribe_uniques": unsubs,
        "spam_complaints": 0,
        "open_rate": _rate(opens, delivered),
        "click_rate": _rate(clicks, delivered),
        "click_to_open_rate": _rate(clicks, opens),
        "conversion_rate": _rate(conversions, delivered),
        "bounce_rate": _rate(bounces, recipients),
        "bounced_or_failed_rate": _rate(bounces, recipients),
        "delivery_rate": _rate(delivered, recipients),
        "failed_rate": 0.0,
        "unsubscribe_rate": _rate(unsubs, delivered),
        "spam_complaint_rate": 0.0,
        "revenue_per_recipient": _rate(value, delivered),
        "average_order_value": _rate(value, conversions),
        "message_segment_count_sum": 0,
        "text_message_credit_usage_amount": 0,
        "text_message_roi": 0.0,
        "text_message_spend": 0.0,
    }


def report_statistics(
    daily: pd.DataFrame, kind: str, first: date, last: date, statistics: Sequence[str]
) -> pd.DataFrame:
    """Per-entity (campaign or flow) statistics over [first, last]; columns campaign_id + statistics."""
    rows = daily[
        (daily["kind"] == kind)
        & (daily["date"] >= pd.Timestamp(first))
        & (daily["date"] <= pd.Timestamp(last))
    ]
    cols = ["recipients", "bounces", "opens", "clicks", "conv_micro", "revenue_cents", "unsubscribes"]
    sums = rows.groupby(["campaign_id", "campaign_name"], sort=True)[cols].sum().reset_index()
    records = []
    for _, row in sums.iterrows():
        stats = _stats_of(row)
        records.append(
            {
                "campaign_id": row["campaign_id"],
                "campaign_name": row["campaign_name"],
                **{s: stats[s] for s in statistics},
            }
        )
    return pd.DataFrame(records, columns=["campaign_id", "campaign_name", *statistics])


def _offset(tz: str, day: date) -> str:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise KlaviyoInputError(f"'{tz}' is not a valid timezone.", "/data/attributes/timezone") from error
    stamp = datetime(day.year, day.month, day.day, tzinfo=zone).isoformat()
    return stamp


def aggregate_metric(
    series: pd.DataFrame, first: date, last: date, interval: str, measurements: Sequence[str], timezone: str
) -> dict[str, Any]:
    """Bucket a daily frame (date, count, sum_value) into ``interval``s → {dates, data}."""
    days = pd.date_range(first, last, freq="D")
    frame = series.set_index("date").reindex(days, fill_value=0)
    freq = {"day": "D", "week": "W-SUN", "month": "MS"}.get(interval)
    if freq is None:
        raise KlaviyoInputError(
            f"interval '{interval}' is not supported by the emulator.", "/data/attributes/interval"
        )
    if interval == "week":
        buckets = frame.groupby(days.to_period("W-SAT").start_time).sum()
    elif interval == "month":
        buckets = frame.groupby(days.to_period("M").start_time).sum()
    else:
        buckets = frame
    values = {
        "count": buckets["count"].to_numpy(dtype=np.float64),
        "unique": buckets["count"].to_numpy(dtype=np.float64),
        "sum_value": np.round(buckets["sum_value"].to_numpy(dtype=np.float64), 2),
    }
    return {
        "dates": [_offset(timezone, ts.date()) for ts in buckets.index],
        "data": [{"dimensions": [], "measurements": {m: values[m].tolist() for m in measurements}}],
    }


#: ``by`` values the emulator groups on: the message (campaign or flow message) and its flow, as sent
#: (``$message``, ``$flow``) or as credited with a conversion (``$attributed_*``).
MESSAGE_DIMENSIONS = frozenset({"$message", "$flow", "$attributed_message", "$attributed_flow"})


def aggregate_by_message(
    cells: pd.DataFrame,
    total: pd.DataFrame | None,
    first: date,
    last: date,
    by: Sequence[str],
    measurements: Sequence[str],
    timezone: str,
) -> dict[str, Any]:
    """Daily buckets of a metric grouped by message / flow -> ``{dates, data}`` (``interval=day``).

    ``cells``: one row per (date, message) with columns ``date``, ``message``, ``flow`` ("" for a
    campaign message), ``count``, ``sum_value``. ``total``: the metric's daily totals (date, count,
    sum_value) when events exist without the dimension (orders no message is credited with): their
    remainder is one group with empty dimension values, as Klaviyo returns events lacking a ``by``
    attribute.
    """
    days = pd.date_range(first, last, freq="D")
    unknown = [b for b in by if b not in MESSAGE_DIMENSIONS]
    if unknown:
        raise KlaviyoInputError(f"'{unknown[0]}' is not supported by the emulator.", "/data/attributes/by")
    keys = ["flow" if b.endswith("flow") else "message" for b in by]
    inside = cells[(cells["date"] >= pd.Timestamp(first)) & (cells["date"] <= pd.Timestamp(last))]
    groups: list[tuple[list[str], pd.DataFrame]] = []
    for dims, group in inside.groupby(keys, sort=True):
        daily = group.groupby("date")[["count", "sum_value"]].sum().reindex(days, fill_value=0)
        groups.append(([str(d) for d in dims], daily))
    if total is not None:
        attributed = inside.groupby("date")[["count", "sum_value"]].sum().reindex(days, fill_value=0)
        whole = total.set_index("date")[["count", "sum_value"]].reindex(days, fill_value=0)
        rest = (whole - attributed).clip(lower=0)
        groups.append(([""] * len(by), rest))
    data = []
    for labels, sums in groups:
        columns = {
            "count": sums["count"].to_numpy(dtype=np.float64),
            "unique": sums["count"].to_numpy(dtype=np.float64),
            "sum_value": np.round(sums["sum_value"].to_numpy(dtype=np.float64), 2),
        }
        data.append({"dimensions": labels, "measurements": {m: columns[m].tolist() for m in measurements}})
    return {"dates": [_offset(timezone, ts.date()) for ts in days], "data": data}
