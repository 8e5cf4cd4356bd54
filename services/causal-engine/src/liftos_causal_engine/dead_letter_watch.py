"""Dead letters for the completeness gate: the raw topic's dead-letter topic, read from the start.

Each dead letter keeps the original raw event as its value; its ``source``, ``account_id`` and first
day say which source account and day lost a record, and a reason mentioning a missing FX rate marks
unconverted spend. The counts are kept in memory (the topic is re-read after a restart).
"""

from __future__ import annotations

from datetime import date

import orjson
import pandas as pd
from aiokafka import AIOKafkaConsumer

from liftos.settings import KafkaSettings
from liftos.streaming.dead_letters import HEADER_PREFIX
from liftos.streaming.kafka import make_consumer
from liftos.topics import RAW

__all__ = ["DeadLetterWatch"]

_COLUMNS = ["source", "account_id", "date", "unconverted"]


class DeadLetterWatch:
    """Reads ``liftos.raw.v1.dlq`` incrementally; :meth:`frame` is every letter seen so far."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self._kafka = kafka
        self._consumer: AIOKafkaConsumer | None = None
        self._rows: list[tuple[str, str, date, bool]] = []

    async def refresh(self) -> None:
        """Read what arrived since the last call (at most a second's wait)."""
        if self._consumer is None:
            # a group that never commits: every start re-reads the topic from its first letter
            self._consumer = make_consumer(self._kafka, RAW.dead_letters, group_id="liftos.causal-engine.dlq")
            await self._consumer.start()
        batches = await self._consumer.getmany(timeout_ms=500, max_records=50_000)
        for messages in batches.values():
            self._rows.extend(row for row in map(_letter, messages) if row is not None)

    def frame(self) -> pd.DataFrame:
        """``source, account_id, date, unconverted`` of every dead letter seen."""
        return pd.DataFrame(self._rows, columns=_COLUMNS)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()


def _letter(message: object) -> tuple[str, str, date, bool] | None:
    value = getattr(message, "value", None)
    headers = dict(getattr(message, "headers", None) or ())
    reason = headers.get(HEADER_PREFIX + "reason", b"").decode("utf-8", "replace")
    try:
        event = orjson.loads(value or b"")
        day = date.fromisoformat(str(event["request_slice"]["start"])[:10])
        return str(event["source"]), str(event["account_id"]), day, "no fx rate" in reason
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None  # undecodable bytes: counted by the normalizer's metrics, not attributable here
