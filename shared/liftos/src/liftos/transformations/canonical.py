"""The built-in source ``canonical``: rows that are already in the one schema.

- stream ``marketing_daily``: the payload holds a normalized marketing row's fields (``date, channel,
  platform, account_id, campaign_id, currency, spend, impressions, clicks, conversions, revenue`` and
  optional names/ids); ``source`` defaults to ``canonical``. Amounts are taken as already in the row's
  ``currency`` (no conversion; ``fx_rate`` 1).
- stream ``store_outcomes``: the payload holds ``date, orders, revenue, currency``.
- streams ``spend_daily`` / ``outcome_daily``: rows of a spend or outcome file published by ``liftos
  ingest file`` (:mod:`liftos.transformations.file_source`; converted at the daily rate, bad rows
  dead-lettered with their row number).

They let a user push data that is already clean (a CSV export, a warehouse extract) through the same
stream. This source belongs to no vendor, so it is built into the source table
(:mod:`liftos.transformations.source_registry`).
"""

from __future__ import annotations

from typing import Any, Final

from liftos.events import NormalizedRow, RawEvent, StoreOutcomeRow
from liftos.transformations.context import MappingContext
from liftos.transformations.file_source import FILE_MAPPERS
from liftos.transformations.source_registry import OutputRow, SourceDefinition

__all__ = ["CANONICAL", "CANONICAL_SOURCE"]

CANONICAL_SOURCE: Final = "canonical"


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


#: The definition of the built-in source (with the file streams of :mod:`.file_source`).
CANONICAL: Final = SourceDefinition(
    name=CANONICAL_SOURCE,
    mappers={
        "marketing_daily": _canonical_marketing_row,
        "store_outcomes": _canonical_outcome_row,
        **FILE_MAPPERS,
    },
)
