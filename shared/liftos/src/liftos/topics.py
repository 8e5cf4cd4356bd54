"""Kafka topic specs, derived from the event models: name, value model, key and partitions.

Names follow ``liftos.<stage>.v<schema version>``; a stage's dead letters go to ``<input topic>.dlq``
with the original bytes as the value and the reason in headers (see :mod:`liftos.streaming.dead_letters`).
"""

from __future__ import annotations

from dataclasses import dataclass

from liftos.events import (
    SCHEMA_VERSION,
    EffectUpdate,
    EnrichedRow,
    Event,
    IngestionCoverage,
    LiftTestRecord,
    ModelStatus,
    NormalizedRow,
    RawEvent,
    Recommendation,
    StoreOutcomeRow,
)

__all__ = [
    "ALL_TOPICS",
    "COVERAGE",
    "EFFECTS",
    "ENRICHED",
    "LIFT_TESTS",
    "MODEL_STATUS",
    "NORMALIZED",
    "OUTCOMES",
    "RAW",
    "RECOMMENDATIONS",
    "TopicSpec",
    "dead_letter_topic",
]

DEAD_LETTER_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    """One Kafka topic: its name, the model of its values, and its partition count.

    The message key is the value's natural key (:meth:`liftos.events.Event.natural_key`), so every
    version of one logical record lands on the same partition, in order.
    """

    name: str
    value_model: type[Event]
    partitions: int

    @property
    def dead_letters(self) -> str:
        """Name of the dead-letter topic of the stage that consumes this topic."""
        return dead_letter_topic(self.name)

    def key_of(self, value: Event) -> bytes:
        """Kafka key of ``value``: its natural key, UTF-8 encoded."""
        return value.natural_key().encode()


def dead_letter_topic(topic: str) -> str:
    """Dead-letter topic for a stage consuming ``topic``."""
    return f"{topic}{DEAD_LETTER_SUFFIX}"


def _name(stage: str) -> str:
    return f"liftos.{stage}.v{SCHEMA_VERSION}"


RAW = TopicSpec(_name("raw"), RawEvent, partitions=6)
NORMALIZED = TopicSpec(_name("normalized"), NormalizedRow, partitions=6)
OUTCOMES = TopicSpec(_name("outcomes"), StoreOutcomeRow, partitions=1)
ENRICHED = TopicSpec(_name("enriched"), EnrichedRow, partitions=6)
EFFECTS = TopicSpec(_name("effects"), EffectUpdate, partitions=3)
MODEL_STATUS = TopicSpec(_name("model_status"), ModelStatus, partitions=1)
COVERAGE = TopicSpec(_name("coverage"), IngestionCoverage, partitions=1)
LIFT_TESTS = TopicSpec(_name("lift_tests"), LiftTestRecord, partitions=1)
RECOMMENDATIONS = TopicSpec(_name("recommendations"), Recommendation, partitions=1)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    RAW,
    NORMALIZED,
    OUTCOMES,
    ENRICHED,
    EFFECTS,
    MODEL_STATUS,
    COVERAGE,
    LIFT_TESTS,
    RECOMMENDATIONS,
)
