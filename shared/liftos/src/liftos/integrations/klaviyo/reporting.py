"""Klaviyo reporting request bodies (values reports, metric aggregates) and their columnar answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def aggregate_body(
    metric_id: str,
    start: date,
    end: date,
    timezone: str,
    measurements: Sequence[str] = ("count", "sum_value"),
    by: Sequence[str] = (),
    page_cursor: str | None = None,
) -> dict[str, Any]:
    """A daily metric-aggregates request body for ``start..end`` (at most one year), grouped ``by``."""
    window = [
        f"greater-or-equal(datetime,{_midnight(start)})",
        f"less-than(datetime,{_midnight(end + timedelta(days=1))})",
    ]
    return {
        "data": {
            "type": "metric-aggregate",
            "attributes": {
                "metric_id": metric_id,
                "measurements": list(measurements),
                "interval": "day",
                "filter": window,
                "timezone": timezone,
                **({"by": list(by), "page_size": 500} if by else {}),
                **({"page_cursor": page_cursor} if page_cursor else {}),
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


def join_message_days(
    series: Mapping[str, Sequence[dict[str, Any]]],
    measures: Mapping[str, str],
    campaign_of: Mapping[str, str],
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Exploded per-message aggregates of several metrics -> one values-report-shaped record per
    (day, message): ``{date, groupings: {<kind>_id, <kind>_message_id, <kind>_name, send_channel},
    statistics: {...}}``.

    ``series``: statistic -> records of :func:`explode_aggregate` grouped by ``[$message, $flow]``
    (``conversions`` / ``conversion_value`` by the attributed pair); ``measures``: statistic -> the
    measurement it reads (``count``, ``unique``, ``sum_value``). Records without a message (orders no
    message is credited with: the store outcome counts them) are left out. ``recipients`` is
    ``delivered + bounced`` when both are read. ``campaign_of`` maps a campaign
    message to its campaign, ``names`` an entity id to its name.
    """
    days: dict[tuple[str, str, str], dict[str, float]] = {}
    for statistic, records in series.items():
        measure = measures[statistic]
        for record in records:
            message, flow = [*record["dimensions"], "", ""][:2]
            if not message:
                continue
            key = (str(record["date"])[:10], str(message), str(flow))
            days.setdefault(key, {})[statistic] = float(record["measurements"].get(measure) or 0)
    out = []
    for (day, message, flow), stats in sorted(days.items()):
        if not any(stats.values()):
            continue
        if "delivered" in series and "bounced" in series:
            stats["recipients"] = stats.get("delivered", 0.0) + stats.get("bounced", 0.0)
        kind, entity = ("flow", flow) if flow else ("campaign", campaign_of.get(message, message))
        out.append(
            {
                "date": day,
                "groupings": {
                    f"{kind}_id": entity,
                    f"{kind}_message_id": message,
                    f"{kind}_name": names.get(entity, ""),
                    "send_channel": "email",
                },
                "statistics": stats,
            }
        )
    return out
