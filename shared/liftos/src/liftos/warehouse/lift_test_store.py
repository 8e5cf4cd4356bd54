"""The recorded lift tests in the warehouse (``lift_tests``, fed by the topic ``liftos.lift_tests.v1``)
and the latest recommendations (``recommendations``). Reads use ``FINAL``: a re-recorded test (same
``test_id``) counts once, with its newest numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clickhouse_connect.driver.client import Client

from liftos.events import LiftTestRecord, Recommendation

__all__ = ["lift_test_watermark", "recommendations_of", "recorded_lift_tests"]

_LIFT_TESTS_SQL = "SELECT * FROM lift_tests FINAL ORDER BY channel, start, test_id"
_LATEST_RECOMMENDATIONS_SQL = "SELECT max(model_version) FROM recommendations"
_RECOMMENDATIONS_SQL = (
    "SELECT * FROM recommendations FINAL WHERE model_version = {v:Int64} ORDER BY kind, rank, channel"
)


def _utc(value: Any) -> Any:
    """The driver returns ``DateTime64(3, 'UTC')`` values as naive datetimes in UTC."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


def _rows(client: Client, model: type[Any], sql: str, parameters: dict[str, Any] | None = None) -> list[Any]:
    """Rows of ``sql`` (``SELECT *``) as ``model``; columns the model no longer has are ignored."""
    result = client.query(sql, parameters=parameters or {})
    names, fields = list(result.column_names), model.model_fields
    return [
        model.model_validate({n: _utc(v) for n, v in zip(names, row, strict=True) if n in fields})
        for row in result.result_rows
    ]


def recorded_lift_tests(client: Client) -> list[LiftTestRecord]:
    """Every recorded lift test (newest version of each ``test_id``), ordered by channel and start."""
    return _rows(client, LiftTestRecord, _LIFT_TESTS_SQL)


def lift_test_watermark(client: Client) -> tuple[int, int]:
    """Row count and newest version of ``lift_tests``: they change whenever a test is recorded."""
    count, version = client.query("SELECT count(), max(version) FROM lift_tests").result_rows[0]
    return int(count), int(version or 0)


def recommendations_of(client: Client, model_version: int | None = None) -> list[Recommendation]:
    """The recommendations of ``model_version`` (default: the newest version that has any), plan
    rows first (by channel), then experiments by rank."""
    if model_version is None:
        latest = client.query(_LATEST_RECOMMENDATIONS_SQL).result_rows[0][0]
        if not latest:
            return []
        model_version = int(latest)
    return _rows(client, Recommendation, _RECOMMENDATIONS_SQL, {"v": model_version})
