"""ClickHouse DDL derived from the event models (:mod:`liftos.events`); never written by hand.

``create_table_sql(EnrichedRow)`` gives the ``CREATE TABLE IF NOT EXISTS`` statement of the model's
table; :func:`column_types` gives the column list that migrations compare against the live table.
"""

from __future__ import annotations

import types
from datetime import date, datetime
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from liftos.events import (
    ClickHouseType,
    EffectUpdate,
    EnrichedRow,
    Event,
    IngestionCoverage,
    LiftTestRecord,
    ModelStatus,
    Recommendation,
    StoreOutcomeRow,
)
from liftos.settings import SQL_IDENTIFIER

__all__ = ["column_types", "create_table_sql", "plain_identifier", "table_models"]

_SCALARS: dict[type, str] = {
    str: "String",
    int: "Int64",
    float: "Float64",
    bool: "Bool",
    date: "Date32",
    datetime: "DateTime64(3, 'UTC')",
    AwareDatetime: "DateTime64(3, 'UTC')",
}


def _clickhouse_type(annotation: Any, metadata: list[Any]) -> str:
    """ClickHouse type of one pydantic field annotation (with its ``Annotated`` metadata)."""
    for item in metadata:
        if isinstance(item, ClickHouseType):
            return item.type_name
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        return _clickhouse_type(inner, list(extra) + metadata)
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            raise TypeError(f"unsupported union for a column: {annotation!r}")
        return f"Nullable({_clickhouse_type(members[0], [])})"
    if origin in (list, tuple):
        (item,) = {arg for arg in get_args(annotation) if arg is not Ellipsis}
        return f"Array({_clickhouse_type(item, [])})"
    if origin is dict:
        key, value = get_args(annotation)
        if value is Any:
            return "String"
        return f"Map({_clickhouse_type(key, [])}, {_clickhouse_type(value, [])})"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "String"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    raise TypeError(f"no ClickHouse type for {annotation!r}")


def _field_type(field: FieldInfo) -> str:
    return _clickhouse_type(field.annotation, list(field.metadata))


def column_types(model: type[Event]) -> dict[str, str]:
    """Column name → ClickHouse type for every field of ``model``, in declaration order."""
    return {name: _field_type(field) for name, field in model.model_fields.items()}


def plain_identifier(name: str) -> str:
    """``name`` when it is a plain SQL identifier (:data:`liftos.settings.SQL_IDENTIFIER`).

    Raises:
        ValueError: anything else (it would be written into DDL).
    """
    if not SQL_IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain SQL identifier: {name[:80]!r}")
    return name


def create_table_sql(model: type[Event], database: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``model``'s table in ``database``.

    The engine is ``ReplacingMergeTree(<version column>)`` ordered by the natural key, so rows
    that share a natural key collapse to the newest version (read with ``FINAL``).
    """
    spec = model.TABLE
    if spec is None:
        raise ValueError(f"{model.__name__} has no warehouse table")
    plain_identifier(database)
    columns = ",\n    ".join(f"`{name}` {type_}" for name, type_ in column_types(model).items())
    order_by = ", ".join(f"`{name}`" for name in model.NATURAL_KEY)
    partition = f"\nPARTITION BY {spec.partition_by}" if spec.partition_by else ""
    return (
        f"CREATE TABLE IF NOT EXISTS `{database}`.`{spec.name}` (\n    {columns}\n)\n"
        f"ENGINE = ReplacingMergeTree(`{spec.version_column}`){partition}\nORDER BY ({order_by})"
    )


def table_models() -> tuple[type[Event], ...]:
    """Every event model that has a warehouse table, in creation order."""
    return (
        EnrichedRow,
        StoreOutcomeRow,
        EffectUpdate,
        ModelStatus,
        IngestionCoverage,
        LiftTestRecord,
        Recommendation,
    )
