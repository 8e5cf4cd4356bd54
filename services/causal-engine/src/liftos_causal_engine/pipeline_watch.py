"""What the completeness gate reads from the stream: delivered slices and dead letters.

- ``liftos.coverage.v1``: every slice a source delivered completely (the ingestor and ``liftos ingest
  file`` publish them); written to the ``ingestion_coverage`` table, so days without activity count as
  present and days never read do not.
- ``liftos.raw.v1.dlq``: each dead letter keeps the original raw event as its value; its ``source``,
  ``account_id`` and first day say which source account and day lost a record, and a reason naming a
  missing FX rate marks unconverted spend. Kept in memory.

Both topics are read from their start by a group that never commits, so a restart re-reads them
(re-inserted coverage rows collapse in the warehouse).
"""

from __future__ import annotations

import asyncio
from datetime import date

import orjson
import pandas as pd
from aiokafka import AIOKafkaConsumer
from clickhouse_connect.driver.client import Client

from liftos.errors import DataError
from liftos.events import IngestionCoverage
from liftos.settings import KafkaSettings
from liftos.streaming.codec import decode
from liftos.streaming.dead_letters import HEADER_PREFIX
from liftos.streaming.kafka import make_consumer
from liftos.topics import COVERAGE, RAW
from liftos.warehouse.connection import insert_events

__all__ = ["PipelineWatch"]

_COLUMNS = ["source", "account_id", "date", "unconverted"]


class PipelineWatch:
    """Reads the coverage and dead-letter topics incrementally."""

    def __init__(self, kafka: KafkaSettings, client: Client) -> None:
        self._kafka = kafka
        self._client = client
        self._consumer: AIOKafkaConsumer | None = None
        self._rows: list[tuple[str, str, date, bool]] = []

    async def refresh(self) -> None:
        """Store what arrived since the last call (each poll waits at most half a second)."""
        if self._consumer is None:
            topics = (COVERAGE.name, RAW.dead_letters)
            self._consumer = make_consumer(self._kafka, *topics, group_id="liftos.causal-engine.watch")
            await self._consumer.start()
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=20_000)
            coverage: list[IngestionCoverage] = []
            for partition, messages in batches.items():
                if partition.topic == COVERAGE.name:
                    coverage.extend(c for c in map(_coverage, messages) if c is not None)
                else:
                    self._rows.extend(row for row in map(_letter, messages) if row is not None)
            if coverage:
                await asyncio.to_thread(insert_events, self._client, coverage)
            if not batches:
                return

    def dead_letters(self) -> pd.DataFrame:
        """``source, account_id, date, unconverted`` of every dead letter seen."""
        return pd.DataFrame(self._rows, columns=_COLUMNS)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()


def _coverage(message: object) -> IngestionCoverage | None:
    try:
        return decode(IngestionCoverage, getattr(message, "value", None))
    except DataError:
        return None  # not a coverage event: nothing to count


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
