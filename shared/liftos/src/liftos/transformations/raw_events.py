"""Mapping one raw event (an API record in its envelope) to normalized rows.

Each source registers a mapper per stream (``register_mapper``); the normalizer calls
:func:`map_raw_event` for every event it consumes, with the deployment's :class:`MappingContext`.
A mapper returns the rows of one record, ``[]`` for a stream that deliberately maps to nothing
(metadata listings: :func:`skip`), and raises :class:`~liftos.errors.DataError` for a bad record.

Two mappers are built in here because they belong to no vendor:

- source ``canonical``, stream ``marketing_daily``: the payload already holds a normalized marketing
  row's fields (``date, channel, platform, account_id, campaign_id, currency, spend, impressions,
  clicks, conversions, revenue`` and optional names/ids); ``source`` defaults to ``canonical``. Amounts
  are taken as already in the row's ``currency`` (no conversion; ``fx_rate`` 1).
- source ``canonical``, stream ``store_outcomes``: the payload holds ``date, orders, revenue, currency``.

These let a user push data that is already clean (a CSV export, a warehouse extract) through the same
stream. Vendor mappers live beside their connectors (``liftos.integrations.<vendor>``) and register
themselves when :mod:`liftos.integrations` is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from liftos.errors import DataError
from liftos.events import NormalizedRow, RawEvent, StoreOutcomeRow
from liftos.transformations.context import DEFAULT_CONTEXT, MappingContext

__all__ = [
    "CANONICAL_SOURCE",
    "Mapper",
    "OutputRow",
    "map_raw_event",
    "mapped_streams",
    "register_mapper",
    "skip",
]

OutputRow = NormalizedRow | StoreOutcomeRow
#: ``(event, context) -> rows``; raises DataError for a record that cannot be mapped.
Mapper = Callable[[RawEvent, MappingContext], list[OutputRow]]

CANONICAL_SOURCE = "canonical"

_MAPPERS: dict[tuple[str, str], Mapper] = {}


def register_mapper(source: str, stream: str, mapper: Mapper) -> None:
    """Make ``mapper`` responsible for raw events of ``(source, stream)``."""
    _MAPPERS[(source, stream)] = mapper


def mapped_streams() -> list[tuple[str, str]]:
    """Every registered ``(source, stream)``."""
    return sorted(_MAPPERS)


def skip(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """The mapper of a metadata stream: the record is understood and deliberately maps to no row."""
    del event, context
    return []


def map_raw_event(event: RawEvent, context: MappingContext = DEFAULT_CONTEXT) -> list[OutputRow]:
    """Normalized rows for one raw event.

    Raises:
        DataError: no mapper knows the event's source and stream, or its payload does not map.
    """
    mapper = _MAPPERS.get((event.source, event.stream))
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


def _envelope_fields(event: RawEvent) -> dict[str, Any]:
    return {"event_id": event.idempotency_key, "version": event.version}


def _canonical_marketing_row(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    del context
    fields = {
        "source": CANONICAL_SOURCE,
        "account_id": event.account_id,
        "source_currency": event.payload.get("currency"),
        "fx_rate": 1.0,
    }
    return [NormalizedRow.model_validate(fields | event.payload | _envelope_fields(event))]


def _canonical_outcome_row(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    del context
    fields = {"source": CANONICAL_SOURCE, "account_id": event.account_id}
    return [StoreOutcomeRow.model_validate(fields | event.payload | _envelope_fields(event))]


register_mapper(CANONICAL_SOURCE, "marketing_daily", _canonical_marketing_row)
register_mapper(CANONICAL_SOURCE, "store_outcomes", _canonical_outcome_row)
