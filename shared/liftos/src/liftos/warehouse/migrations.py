"""Schema migrations, applied idempotently at every service start-up.

The wanted schema is derived from the event models (:mod:`liftos.warehouse.ddl`). A missing database
or table is created; a column the model has and the live table lacks is added in place (new fields
must therefore have defaults). Nothing is ever dropped or retyped automatically: such a change needs a
new table version. A table whose partitioning differs from the model's (a store created by an earlier
version) is reported by :func:`layout_differences`, not rebuilt: queries return the same rows either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from clickhouse_connect.driver.client import Client

from liftos.events import Event
from liftos.warehouse.ddl import column_types, create_table_sql, plain_identifier, table_models
from liftos.warehouse.restatements import restatement_log_sql

__all__ = ["apply_migrations", "layout_differences", "pending_statements"]


def _live_columns(client: Client, database: str, table: str) -> dict[str, str]:
    result = client.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}"
        " ORDER BY position",
        parameters={"db": database, "t": table},
    )
    return {str(name): str(type_) for name, type_ in result.result_rows}


def _add_columns_sql(model: type[Event], database: str, live: dict[str, str]) -> list[str]:
    assert model.TABLE is not None
    plain_identifier(database)
    wanted = column_types(model)
    statements: list[str] = []
    previous: str | None = None
    for name, type_ in wanted.items():
        if name not in live:
            position = f" AFTER `{previous}`" if previous else " FIRST"
            table = f"`{database}`.`{model.TABLE.name}`"
            statements.append(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS `{name}` {type_}{position}")
        previous = name
    return statements


def pending_statements(client: Client, database: str) -> list[str]:
    """The DDL that would bring the live schema up to the models' (empty when up to date), then the
    restatement log over the tables (:mod:`liftos.warehouse.restatements`)."""
    statements: list[str] = []
    for model in table_models():
        assert model.TABLE is not None
        live = _live_columns(client, database, model.TABLE.name)
        if not live:
            statements.append(create_table_sql(model, database))
        else:
            statements.extend(_add_columns_sql(model, database, live))
    tables = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", parameters={"db": database}
    ).result_rows
    return statements + restatement_log_sql(database, {str(name) for (name,) in tables})


def apply_migrations(client: Client, database: str) -> list[str]:
    """Create the database, tables and missing columns; returns the statements executed.

    Raises:
        ValueError: ``database`` is not a plain identifier (it is written into the DDL).
    """
    client.command(f"CREATE DATABASE IF NOT EXISTS `{plain_identifier(database)}`")
    statements = pending_statements(client, database)
    for statement in statements:
        client.command(statement)
    return statements


def layout_differences(
    client: Client, database: str, models: Sequence[type[Event]] | None = None
) -> list[str]:
    """One line per existing table whose partition key is not the model's (empty when all match).

    Only newly created tables get the model's layout; an older store keeps working with its own, at
    some cost in insert and merge work (see :class:`liftos.events.EnrichedRow`).
    """
    result = client.query(
        "SELECT name, partition_key FROM system.tables WHERE database = {db:String}",
        parameters={"db": database},
    )
    live = {str(name): str(key) for name, key in result.result_rows}
    lines = []
    for model in models if models is not None else table_models():
        assert model.TABLE is not None
        name, wanted = model.TABLE.name, model.TABLE.partition_by or ""
        if name in live and _compact(live[name]) != _compact(wanted):
            lines.append(
                f"table {name} is partitioned by {live[name] or 'nothing'!r}, the model by {wanted!r};"
                " recreate the table (or a new store) to get the model's layout"
            )
    return lines


def _compact(expression: str) -> str:
    return expression.replace(" ", "").replace("`", "")
