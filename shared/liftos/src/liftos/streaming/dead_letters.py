"""Dead letters: a stage's unusable inputs, kept byte for byte with the reason they were refused.

The dead-letter message's key and value are the original key and value, untouched, so nothing is lost
and a fixed stage can replay them. The reason and the origin travel in headers (the convention Kafka
Connect uses for its DLQs):

=========================== ===================================================
header                      value (UTF-8)
=========================== ===================================================
``liftos.dlq.reason``       why the input was refused (at most 2,000 characters)
``liftos.dlq.error``        error class name, e.g. ``DataError``
``liftos.dlq.stage``        the stage that refused it, e.g. ``normalizer``
``liftos.dlq.topic``        original topic
``liftos.dlq.partition``    original partition
``liftos.dlq.offset``       original offset
``liftos.dlq.failed_at``    ISO-8601 UTC timestamp
=========================== ===================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from liftos.streaming.codec import MAX_REASON_CHARS
from liftos.streaming.kafka import publish_raw
from liftos.streaming.messages import DeadLetter
from liftos.topics import dead_letter_topic

__all__ = ["HEADER_PREFIX", "DeadLetter", "DeadLetterSink", "dead_letter_headers"]

HEADER_PREFIX = "liftos.dlq."


def dead_letter_headers(letter: DeadLetter, stage: str, failed_at: datetime) -> list[tuple[str, bytes]]:
    """Kafka headers describing ``letter`` (see the module table)."""
    fields = {
        "reason": letter.reason[:MAX_REASON_CHARS],
        "error": letter.error,
        "stage": stage,
        "topic": letter.topic,
        "partition": str(letter.partition),
        "offset": str(letter.offset),
        "failed_at": failed_at.isoformat(),
    }
    return [(HEADER_PREFIX + name, value.encode("utf-8", "replace")) for name, value in fields.items()]


class DeadLetterSink:
    """Publishes a stage's dead letters to ``<input topic>.dlq`` and waits for the broker's ack."""

    def __init__(self, producer: AIOKafkaProducer, stage: str) -> None:
        self._producer = producer
        self._stage = stage

    async def send_all(self, letters: Sequence[DeadLetter]) -> int:
        """Publish ``letters`` and wait until every one is acknowledged; returns how many."""
        now = datetime.now(UTC)
        by_topic: dict[str, list[DeadLetter]] = {}
        for letter in letters:
            by_topic.setdefault(dead_letter_topic(letter.topic), []).append(letter)
        for topic, group in by_topic.items():
            messages = [(letter.key, letter.value or b"") for letter in group]
            headers = [dead_letter_headers(letter, self._stage, now) for letter in group]
            await publish_raw(self._producer, topic, messages, headers)
        return len(letters)
