"""How a source's DataFrame columns map onto the unified marketing columns (the registry).

Each source package's :class:`~liftos.transformations.source_registry.SourceDefinition` carries one
:class:`SourceSchema` (its default mapping, unit converters and derived columns);
:class:`~liftos.transformations.unify.DataTransformer` looks schemas up by source name or alias
(``"google"`` -> ``google_ads``). This module knows no vendor.

A mapping is ``target column -> candidate source columns`` (the seed's ``schema_mapping`` format):
for each row, the first candidate holding a value wins. A converter registered for a source column
turns that column's raw values into the target's unit (e.g. micros -> currency units, an action
array -> the canonical purchase count) whenever the column is picked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from liftos.errors import ConfigError
from liftos.transformations.context import MappingContext
from liftos.transformations.source_registry import source_definitions

__all__ = [
    "UNIFIED_COLUMNS",
    "ColumnConverter",
    "Deriver",
    "SourceSchema",
    "source_schema",
]

#: Output columns of ``unify_marketing_data``, in order (source extras follow).
UNIFIED_COLUMNS = (
    "date",
    "channel",
    "platform",
    "account_id",
    "account",
    "campaign",
    "campaign_id",
    "ad_group",
    "ad_group_id",
    "ad",
    "ad_id",
    "breakdown",
    "currency",
    "source_currency",
    "fx_rate",
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "revenue",
)

#: ``(column values, context) -> values in the target unit``.
ColumnConverter = Callable[[pd.Series, MappingContext], pd.Series]
#: ``(frame, context) -> frame with derived columns added`` (e.g. an estimated cost).
Deriver = Callable[[pd.DataFrame, MappingContext], pd.DataFrame]


@dataclass(frozen=True)
class SourceSchema:
    """A source's default DataFrame mapping.

    Attributes:
        source: Source name; also the ``channel`` of its rows.
        aliases: Other names accepted in ``sources={...}`` (e.g. ``google``).
        mapping: Target column -> candidate source columns, first present value wins.
        converters: Source column -> converter to the target unit.
        breakdown_columns: Columns forming the ``breakdown`` string (``name=value|…``) when present.
        platform_columns: Candidates for ``platform``; ``default_platform`` when none holds a value.
        default_platform: Platform of rows without a platform column.
        derive: Adds derived columns before mapping (None: nothing derived).
    """

    source: str
    aliases: tuple[str, ...] = ()
    mapping: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    converters: Mapping[str, ColumnConverter] = field(default_factory=dict)
    breakdown_columns: tuple[str, ...] = ()
    platform_columns: tuple[str, ...] = ()
    default_platform: str = ""
    derive: Deriver | None = None


def source_schema(name: str) -> SourceSchema:
    """The DataFrame schema of the source known under ``name`` (a source name or an alias).

    Raises:
        ConfigError: no known source has that name, or it has no DataFrame schema.
    """
    known = source_definitions()
    definition = known.get(name)
    if definition is None or definition.schema is None:
        with_schema = sorted(key for key, d in known.items() if d.schema is not None)
        raise ConfigError(f"no schema mapping for source {name!r}; known: {with_schema}")
    return definition.schema
