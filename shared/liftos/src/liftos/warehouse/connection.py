"""ClickHouse clients (clickhouse-connect over HTTP) and typed row I/O for the event models.

The same code serves production (a ClickHouse server) and the embedded default (``liftos warehouse``,
which serves one chdb store over ClickHouse's HTTP interface).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.asyncclient import AsyncClient
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from liftos.errors import ConfigError, LiftOSError, TransientError, connection_reason
from liftos.events import Event
from liftos.settings import WarehouseSettings

__all__ = [
    "UNREACHABLE_FIX",
    "connect",
    "connect_async",
    "connection_error",
    "event_columns",
    "insert_encoded_async",
    "insert_events",
    "insert_events_async",
]

#: Settings of inserts of encoded (JSON) rows: ISO timestamps with a zone, as pydantic writes them.
_JSON_INSERT_SETTINGS = {"date_time_input_format": "best_effort"}
#: What to do when no warehouse answers.
UNREACHABLE_FIX = (
    "start the embedded stack (liftos up) or a warehouse (liftos warehouse), or point "
    "LIFTOS_WAREHOUSE__HOST / LIFTOS_WAREHOUSE__PORT at your ClickHouse server"
)
#: ClickHouse's codes for a refused login and a missing database.
_AUTHENTICATION_FAILED, _UNKNOWN_DATABASE = 516, 81


class _ReportedElsewhere(logging.Filter):
    """Drops clickhouse-connect's own log line for a failed request: the error it raises is reported
    (one line on the command line, or the service's retry log), so the line would say it twice."""

    MESSAGES = frozenset(
        {
            "Unexpected Http Driver Exception",
            "Unexpected aiohttp connection error",
            "Unexpected aiohttp transport error",
        }
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.MESSAGES


for _backend in ("http_sync", "http_async"):
    logging.getLogger(f"clickhouse_connect.driver._backend.{_backend}").addFilter(_ReportedElsewhere())


def _options(settings: WarehouseSettings, database: str | None) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "username": settings.username,
        "password": settings.password.get_secret_value(),
        "database": database or "",
        "secure": settings.secure,
        "compress": settings.compress,
        "connect_timeout": settings.connect_timeout_s,
        "send_receive_timeout": settings.send_receive_timeout_s,
        "autogenerate_session_id": False,
    }


def connection_error(settings: WarehouseSettings, error: DatabaseError) -> LiftOSError:
    """The LiftOS error for a failed connection, naming the cause and the fix: nothing answering
    (:class:`TransientError`), a refused login (:class:`ConfigError`), no LiftOS database yet, or
    another refusal by the server (:class:`LiftOSError`)."""
    url = f"{'https' if settings.secure else 'http'}://{settings.host}:{settings.port}"
    code = getattr(error, "code", None)
    if isinstance(error, OperationalError):
        return TransientError(
            f"no ClickHouse answers at {url} ({connection_reason(error)})", fix=UNREACHABLE_FIX
        )
    if code == _AUTHENTICATION_FAILED:
        return ConfigError(
            f"the warehouse at {url} refused user {settings.username!r}",
            fix="check LIFTOS_WAREHOUSE__USERNAME and LIFTOS_WAREHOUSE__PASSWORD",
        )
    if code == _UNKNOWN_DATABASE:
        return LiftOSError(
            f"the warehouse at {url} has no database {settings.database!r} (nothing was loaded yet)",
            fix="load data first (liftos up, or liftos demo) or set LIFTOS_WAREHOUSE__DATABASE",
        )
    detail = " ".join(str(error).split())[:300]
    return LiftOSError(f"the warehouse at {url} refused the connection: {detail}")


def connect(settings: WarehouseSettings, *, use_database: bool = True) -> Client:
    """A synchronous client; ``use_database=False`` connects before the database exists.

    Raises:
        TransientError: nothing answers at the configured address (the message names the fix).
        ConfigError: the server refused the credentials.
    """
    try:
        return clickhouse_connect.get_client(
            **_options(settings, settings.database if use_database else None)
        )
    except (OperationalError, DatabaseError) as error:
        raise connection_error(settings, error) from error


async def connect_async(settings: WarehouseSettings) -> AsyncClient:
    """An asynchronous client bound to the configured database (raises as :func:`connect`)."""
    try:
        return await clickhouse_connect.get_async_client(**_options(settings, settings.database))
    except (OperationalError, DatabaseError) as error:
        raise connection_error(settings, error) from error


def event_columns(rows: Sequence[Event]) -> tuple[list[str], list[list[Any]]]:
    """Column names and column-oriented data for a batch of rows of one model.

    Raises:
        ValueError: the rows are not all of the same model.
    """
    model = type(rows[0])
    if any(type(row) is not model for row in rows):
        raise ValueError("a batch must hold rows of one model")
    names = list(model.model_fields)
    # Field values straight from each (immutable, validated) model: no per-row dump in the hot path.
    return names, [[row.__dict__[name] for row in rows] for name in names]


def _table(rows: Sequence[Event]) -> str:
    return _table_of(type(rows[0]))


def _table_of(model: type[Event]) -> str:
    if model.TABLE is None:
        raise ValueError(f"{model.__name__} has no warehouse table")
    return model.TABLE.name


def insert_events(client: Client, rows: Sequence[Event]) -> int:
    """Insert a batch of rows of one model into its table; returns the number of rows written."""
    if not rows:
        return 0
    names, columns = event_columns(rows)
    client.insert(_table(rows), columns, column_names=names, column_oriented=True)
    return len(rows)


async def insert_events_async(client: AsyncClient, rows: Sequence[Event]) -> int:
    """Asynchronous :func:`insert_events`."""
    if not rows:
        return 0
    names, columns = event_columns(rows)
    await client.insert(_table(rows), columns, column_names=names, column_oriented=True)
    return len(rows)


async def insert_encoded_async(client: AsyncClient, model: type[Event], encoded: Sequence[bytes]) -> int:
    """Insert rows of ``model`` already encoded as message bytes (:func:`liftos.streaming.codec.encode`).

    The message JSON names exactly the model's fields, which are the table's columns, so the bytes a
    stage publishes are sent to ClickHouse as they are (``FORMAT JSONEachRow``): one encoding serves
    the topic and the warehouse, and ClickHouse parses the rows instead of Python building columns.

    Returns:
        The number of rows written.
    """
    if not encoded:
        return 0
    await client.raw_insert(
        _table_of(model),
        column_names=list(model.model_fields),
        insert_block=b"\n".join(encoded),
        settings=_JSON_INSERT_SETTINGS,
        fmt="JSONEachRow",
    )
    return len(encoded)
