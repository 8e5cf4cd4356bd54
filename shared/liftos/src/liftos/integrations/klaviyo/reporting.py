"""Klaviyo reporting request bodies (values reports, metric aggregates) and their columnar answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from liftos.errors import DataError
from liftos.integrations.paginators import dig


def _midnight(day: date) -> str:
    return datetime.combine(day, time.min).isoformat()


def report_body(
    kind: str, metric_id: str, start: date, end: date, statistics: Sequence[str]
) -> dict[str, Any]:
    """A values-report request body for ``start..end`` (inclusive days; end sent as next midnight)."""
    timeframe = {"start": _midnight(start) + "+00:00", "end": _midnight(end + timedelta(days=1)) + "+00:00"}
    return {
        "data": {
            "type": f"{kind}-values-report",
            "attributes": {
                "statistics": list(statistics),
                "timeframe": timeframe,
                "conversion_metric_id": metric_id,
                "group_by": [f"{kind}_id", f"{kind}_message_id", "send_channel"],
            },
        }
    }


def aggregate_body(metric_id: str, start: date, end: date, timezone: str) -> dict[str, Any]:
    """A daily metric-aggregates request body (count and sum_value) for ``start..end``."""
    window = [
        f"greater-or-equal(datetime,{_midnight(start)})",
        f"less-than(datetime,{_midnight(end + timedelta(days=1))})",
    ]
    return {
        "data": {
            "type": "metric-aggregate",
            "attributes": {
                "metric_id": metric_id,
                "measurements": ["count", "sum_value"],
                "interval": "day",
                "filter": window,
                "timezone": timezone,
            },
        }
    }


def explode_aggregate(attributes: Any, metric_id: str) -> list[dict[str, Any]]:
    """One record per (date, dimension set) of a columnar metric-aggregate result."""
    dates = dig(attributes, ("dates",))
    series = dig(attributes, ("data",))
    if not isinstance(dates, list) or not isinstance(series, list):
        raise DataError(f"klaviyo: metric-aggregates answered without dates/data: {str(attributes)[:200]}")
    out = []
    for entry in series:
        values = entry.get("measurements", {})
        for index, stamp in enumerate(dates):
            out.append(
                {
                    "date": stamp,
                    "metric_id": metric_id,
                    "dimensions": entry.get("dimensions", []),
                    "measurements": {name: column[index] for name, column in values.items()},
                }
            )
    return out
