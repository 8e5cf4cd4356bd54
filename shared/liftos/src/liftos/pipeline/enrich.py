"""The enricher stage: normalized rows → enriched rows (calendar joined) and store outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from liftos.dimensions.calendar import calendar_features
from liftos.errors import DataError
from liftos.events import EnrichedRow, NormalizedRow, StoreOutcomeRow
from liftos.streaming.codec import decode, encode
from liftos.streaming.messages import DeadLetter, Inbound
from liftos.topics import ENRICHED

__all__ = ["EnrichedBatch", "enrich_messages", "enrich_row"]


@dataclass
class EnrichedBatch:
    """What one batch of normalized-topic and outcome-topic messages became.

    ``messages`` holds each enriched row as ``(key, value)`` bytes for the enriched topic, in the order
    of ``rows``; the same values are what the warehouse insert sends.
    """

    rows: list[EnrichedRow] = field(default_factory=list)
    messages: list[tuple[bytes, bytes]] = field(default_factory=list)
    outcomes: list[StoreOutcomeRow] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def enrich_row(row: NormalizedRow, country: str, subdivision: str | None = None) -> EnrichedRow:
    """``row`` with the calendar features of its date in ``country``/``subdivision``.

    ``row`` is already validated and the features are computed here, so the enriched row is built
    without validating every field a second time (this is the stage's hot path).
    """
    return EnrichedRow.from_validated(row.__dict__ | calendar_features(row.date, country, subdivision))


def enrich_messages(
    rows: Sequence[Inbound],
    outcomes: Sequence[Inbound],
    country: str,
    subdivision: str | None = None,
) -> EnrichedBatch:
    """Decode, enrich and encode a batch; undecodable messages become dead letters."""
    batch = EnrichedBatch()
    for message in rows:
        try:
            row = enrich_row(decode(NormalizedRow, message.value), country, subdivision)
        except DataError as error:
            batch.dead_letters.append(message.refuse(str(error)))
            continue
        batch.rows.append(row)
        batch.messages.append((ENRICHED.key_of(row), encode(row)))
    for message in outcomes:
        try:
            batch.outcomes.append(decode(StoreOutcomeRow, message.value))
        except DataError as error:
            batch.dead_letters.append(message.refuse(str(error)))
    return batch
