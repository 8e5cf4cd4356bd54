"""The normalizer stage: raw event bytes → normalized rows, store outcomes and dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from liftos.errors import DataError
from liftos.events import NormalizedRow, RawEvent, StoreOutcomeRow
from liftos.streaming.codec import MAX_REASON_CHARS, decode
from liftos.streaming.messages import DeadLetter, Inbound
from liftos.transformations.context import DEFAULT_CONTEXT, MappingContext
from liftos.transformations.raw_events import map_raw_event

__all__ = ["NormalizedBatch", "normalize_messages"]


@dataclass
class NormalizedBatch:
    """What one batch of raw messages became."""

    rows: list[NormalizedRow] = field(default_factory=list)
    outcomes: list[StoreOutcomeRow] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def normalize_messages(
    messages: Sequence[Inbound], context: MappingContext = DEFAULT_CONTEXT
) -> NormalizedBatch:
    """Decode and map every message with ``context``; a message that fails becomes a dead letter,
    never an exception (the reason says why, the original bytes are kept)."""
    batch = NormalizedBatch()
    for message in messages:
        try:
            outputs = map_raw_event(decode(RawEvent, message.value), context)
        except DataError as error:
            batch.dead_letters.append(message.refuse(str(error)[:MAX_REASON_CHARS]))
            continue
        except Exception as error:  # a mapper bug must not stop the stream; keep the bytes and say why
            reason = f"mapping failed: {error!r}"[:MAX_REASON_CHARS]
            batch.dead_letters.append(message.refuse(reason, type(error).__name__))
            continue
        for output in outputs:
            if isinstance(output, NormalizedRow):
                batch.rows.append(output)
            else:
                batch.outcomes.append(output)
    return batch
