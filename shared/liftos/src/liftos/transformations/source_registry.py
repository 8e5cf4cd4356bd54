"""The table of data sources the transformations know: the built-in one and every installed source package.

A source is described once, by a :class:`SourceDefinition`: the mapper of each of its raw streams, the
default DataFrame mapping of its notebook frames, its canonical purchase action type and its own data
quality rules. Vendor packages declare their definition as an entry point of the ``liftos.sources``
group in their ``pyproject.toml`` (``meta = "liftos.integrations.meta.mapping:DEFINITION"``), the same way
services and commands are declared. :func:`source_definitions` builds the table on first use from the
built-in definitions and the installed entry points — so what a lookup finds never depends on what
happened to be imported before, and this module names no vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypeAlias

from liftos.errors import ConfigError
from liftos.events import NormalizedRow, RawEvent, StoreOutcomeRow

if TYPE_CHECKING:
    from liftos.transformations.context import MappingContext
    from liftos.transformations.quality import CrossFieldRule
    from liftos.transformations.source_schemas import SourceSchema

__all__ = [
    "ENTRY_POINT_GROUP",
    "Mapper",
    "OutputRow",
    "SourceDefinition",
    "source_definition",
    "source_definitions",
]

#: The entry-point group under which source packages declare their :class:`SourceDefinition`.
ENTRY_POINT_GROUP: Final = "liftos.sources"

OutputRow: TypeAlias = NormalizedRow | StoreOutcomeRow
#: ``(event, context) -> rows``; raises DataError for a record that cannot be mapped.
Mapper: TypeAlias = "Callable[[RawEvent, MappingContext], list[OutputRow]]"


@dataclass(frozen=True)
class SourceDefinition:
    """Everything the core knows of one source.

    Attributes:
        name: Source name: the ``source`` of its raw events and the ``channel`` of its rows.
        mappers: Raw stream name -> mapper of one raw event of that stream to normalized rows.
        schema: Default mapping of the source's notebook DataFrames (None: no DataFrame API); its
            ``aliases`` are other names accepted in ``DataTransformer.unify_marketing_data``.
        purchase_action_type: The one action type read as purchases (platforms that repeat a purchase
            under alias types), None where the source has no action types.
        quality_rules: Cross-field rules that hold for this source's rows (checked by
            ``validate_data_quality`` on top of the rules that hold for every source).
        connector: ``"module:Class"`` of the source's API connector, imported only by whoever polls
            the source (the ingestor, notebooks); None for sources that arrive another way (files).
        project_template: The commented ``[sources.<name>]`` table ``liftos init`` writes into
            ``liftos.toml``; a line starting ``#? `` is written only with ``--base-url`` (``{base_url}``
            is replaced by it), e.g. the host of an emulator.
        secrets_template: The commented ``[sources.<name>]`` table of ``liftos.secrets.toml``.
    """

    name: str
    mappers: Mapping[str, Mapper] = field(default_factory=dict)
    schema: SourceSchema | None = None
    purchase_action_type: str | None = None
    quality_rules: tuple[CrossFieldRule, ...] = ()
    connector: str | None = None
    project_template: str = ""
    secrets_template: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The source's name and the aliases of its DataFrame schema."""
        return (self.name, *(self.schema.aliases if self.schema is not None else ()))


def _builtin_definitions() -> tuple[SourceDefinition, ...]:
    from liftos.transformations.canonical import CANONICAL

    return (CANONICAL,)


def _installed_definitions() -> tuple[SourceDefinition, ...]:
    found = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        definition = entry.load()
        if not isinstance(definition, SourceDefinition) or definition.name != entry.name:
            raise ConfigError(
                f"entry point {entry.name!r} of {ENTRY_POINT_GROUP} ({entry.value}) is not the "
                f"SourceDefinition of source {entry.name!r}"
            )
        found.append(definition)
    return tuple(found)


@cache
def source_definitions() -> Mapping[str, SourceDefinition]:
    """Every known source by name and alias (built-in first, then installed packages by name)."""
    table: dict[str, SourceDefinition] = {}
    for definition in (*_builtin_definitions(), *_installed_definitions()):
        for key in definition.names:
            if key in table and table[key] is not definition:
                raise ConfigError(f"two sources claim the name {key!r}: {table[key].name}, {definition.name}")
            table[key] = definition
    return MappingProxyType(table)


def source_definition(name: str) -> SourceDefinition:
    """The definition known under ``name`` (a source name or an alias).

    Raises:
        ConfigError: no built-in or installed source has that name.
    """
    try:
        return source_definitions()[name]
    except KeyError:
        known = sorted({d.name for d in source_definitions().values()})
        raise ConfigError(f"unknown source {name!r}; known: {known}") from None
