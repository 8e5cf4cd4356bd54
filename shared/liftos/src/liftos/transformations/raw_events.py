"""Mapping one raw event (an API record in its envelope) to normalized rows.

The normalizer calls :func:`map_raw_event` for every event it consumes, with the deployment's
:class:`MappingContext`. The mapper of each ``(source, stream)`` comes from the source table
(:mod:`liftos.transformations.source_registry`: the built-in ``canonical`` source and every installed
source package). A mapper returns the rows of one record, ``[]`` for a stream that deliberately maps to
nothing (metadata listings: :func:`skip`), and raises :class:`~liftos.errors.DataError` for a bad record.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from pydantic import ValidationError

from liftos.errors import DataError
from liftos.events import RawEvent
from liftos.transformations.canonical import CANONICAL_SOURCE
from liftos.transformations.context import DEFAULT_CONTEXT, MappingContext
from liftos.transformations.source_registry import Mapper, OutputRow, source_definitions

__all__ = [
    "CANONICAL_SOURCE",
    "Mapper",
    "OutputRow",
    "map_raw_event",
    "mapped_streams",
    "skip",
]


def mapped_streams() -> list[tuple[str, str]]:
    """Every ``(source, stream)`` some known source maps."""
    return sorted({(d.name, stream) for d in source_definitions().values() for stream in d.mappers})


def skip(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """The mapper of a metadata stream: the record is understood and deliberately maps to no row."""
    del event, context
    return []


@cache
def _mappers() -> Mapping[tuple[str, str], Mapper]:
    """``(source, stream) -> mapper`` over every known source (one lookup per event on the hot path)."""
    return {(d.name, stream): m for d in source_definitions().values() for stream, m in d.mappers.items()}


def map_raw_event(event: RawEvent, context: MappingContext = DEFAULT_CONTEXT) -> list[OutputRow]:
    """Normalized rows for one raw event.

    Raises:
        DataError: no mapper knows the event's source and stream, or its payload does not map.
    """
    mapper = _mappers().get((event.source, event.stream))
    if mapper is None:
        raise DataError(f"no mapping for source {event.source!r} stream {event.stream!r}")
    try:
        return mapper(event, context)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DataError(f"payload does not map: {where}: {first['msg']}") from None
    except DataError as error:
        raise DataError(f"{event.source}/{event.stream}: {error}") from None
