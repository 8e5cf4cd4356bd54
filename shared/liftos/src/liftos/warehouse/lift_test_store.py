"""The recorded lift tests in the warehouse (``lift_tests``, fed by the topic ``liftos.lift_tests.v1``)
and the latest recommendations (``recommendations``). Reads use ``FINAL``: a re-recorded test (same
``test_id``) counts once, with its newest numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clickhouse_connect.driver.client import Client

from liftos.events import LiftTestRecord, Recommendation

__all__ = ["lift_test_watermark", "recommendations_of", "recorded_lift_tests"]


def _utc(value: Any) -> Any:
    """The driver returns ``DateTime64(3, 'UTC')`` values as naive datetimes in UTC."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


def _rows(client: Client, model: type[Any], sql: str, parameters: dict[str, Any] | None = None) -> list[Any]:
    result = client.query(sql, parameters=parameters or {})
    names = list(result.column_names)
    return [
        model.model_validate({name: _utc(value) for name, value in zip(names, row, strict=True)})
        for row in result.result_rows
    ]


def recorded_lift_tests(client: Client) -> list[LiftTestRecord]:
    """Every recorded lift test (newest version of each ``test_id``), ordered by channel and start."""
    columns = ", ".join(f"`{name}`" for name in LiftTestRecord.model_fields)
    sql = f"SELECT {columns} FROM lift_tests FINAL ORDER BY channel, start, test_id"
    return _rows(client, LiftTestRecord, sql)


def lift_test_watermark(client: Client) -> tuple[int, int]:
    """Row count and newest version of ``lift_tests``: they change whenever a test is recorded."""
    count, version = client.query("SELECT count(), max(version) FROM lift_tests").result_rows[0]
    return int(count), int(version or 0)


def recommendations_of(client: Client, model_version: int | None = None) -> list[Recommendation]:
    """The recommendations of ``model_version`` (default: the newest version that has any), plan
    rows first (by channel), then experiments by rank."""
    if model_version is None:
        latest = client.query("SELECT max(model_version) FROM recommendations").result_rows[0][0]
        if not latest:
            return []
        model_version = int(latest)
    columns = ", ".join(f"`{name}`" for name in Recommendation.model_fields)
    sql = (
        f"SELECT {columns} FROM recommendations FINAL WHERE model_version = {{v:Int64}} "
        "ORDER BY kind, rank, channel"
    )
    return _rows(client, Recommendation, sql, {"v": model_version})
