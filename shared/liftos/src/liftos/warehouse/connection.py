"""ClickHouse clients (clickhouse-connect over HTTP) and typed row I/O for the event models.

The same code serves production (a ClickHouse server) and the embedded default (``liftos warehouse``,
which serves one chdb store over ClickHouse's HTTP interface).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.asyncclient import AsyncClient
from clickhouse_connect.driver.client import Client

from liftos.events import Event
from liftos.settings import WarehouseSettings

__all__ = [
    "connect",
    "connect_async",
    "event_columns",
    "insert_encoded_async",
    "insert_events",
    "insert_events_async",
]

#: Settings of inserts of encoded (JSON) rows: ISO timestamps with a zone, as pydantic writes them.
_JSON_INSERT_SETTINGS = {"date_time_input_format": "best_effort"}


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


def connect(settings: WarehouseSettings, *, use_database: bool = True) -> Client:
    """A synchronous client; ``use_database=False`` connects before the database exists."""
    return clickhouse_connect.get_client(**_options(settings, settings.database if use_database else None))


async def connect_async(settings: WarehouseSettings) -> AsyncClient:
    """An asynchronous client bound to the configured database."""
    return await clickhouse_connect.get_async_client(**_options(settings, settings.database))


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
