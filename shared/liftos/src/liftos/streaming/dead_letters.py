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

import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from liftos.observability import Logger
from liftos.streaming.codec import MAX_REASON_CHARS
from liftos.streaming.kafka import publish_raw
from liftos.streaming.messages import DeadLetter
from liftos.topics import dead_letter_topic

__all__ = ["HEADER_PREFIX", "DeadLetter", "DeadLetterLog", "DeadLetterSink", "dead_letter_headers"]

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


class DeadLetterLog:
    """Logs a stage's dead letters with their reasons, rate-limited.

    Within each window of ``window_s`` seconds the first ``limit`` dead letters get one warning line
    each (origin, error class, reason); the others are counted, and when the window has passed the
    next call logs one summary line: how many were not logged one by one, per error class, with up to
    three sample reasons each. So a burst of bad input shows every kind of reason without flooding
    the log. Call :meth:`record` for every batch (an empty one too: it closes a finished window).
    """

    SAMPLES = 3

    def __init__(
        self,
        log: Logger,
        *,
        limit: int = 20,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._opened = clock()
        self._logged = 0
        self._unlogged: Counter[str] = Counter()
        self._samples: dict[str, list[str]] = {}

    def record(self, letters: Sequence[DeadLetter]) -> None:
        """Log ``letters`` (one line each while the window's budget lasts, else counted)."""
        if self._clock() - self._opened >= self._window_s:
            self.flush()
        for letter in letters:
            if self._logged < self._limit:
                self._logged += 1
                self._log.warning(
                    "dead-lettered",
                    topic=letter.topic,
                    partition=letter.partition,
                    offset=letter.offset,
                    error=letter.error,
                    reason=letter.reason[:MAX_REASON_CHARS],
                )
                continue
            self._unlogged[letter.error] += 1
            samples = self._samples.setdefault(letter.error, [])
            if len(samples) < self.SAMPLES and letter.reason not in samples:
                samples.append(letter.reason[:200])

    def flush(self) -> None:
        """Log the summary of the window so far (if anything went unlogged) and open a new window."""
        if self._unlogged:
            self._log.warning(
                "dead letters not logged one by one",
                count=sum(self._unlogged.values()),
                window_s=self._window_s,
                by_error=dict(self._unlogged),
                sample_reasons=self._samples,
            )
        self._opened, self._logged = self._clock(), 0
        self._unlogged, self._samples = Counter(), {}
