"""The enricher: normalized and outcome topics → calendar join → warehouse, then the enriched topic."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import faust
from aiokafka import AIOKafkaProducer
from clickhouse_connect.driver.asyncclient import AsyncClient

from liftos.events import EnrichedRow, version_of
from liftos.observability import Logger
from liftos.pipeline.enrich import EnrichedBatch, enrich_messages
from liftos.streaming.dead_letters import DeadLetterLog, DeadLetterSink
from liftos.streaming.delivery import until_delivered
from liftos.streaming.faust_app import make_stage_app
from liftos.streaming.kafka import LazyProducer, publish_raw
from liftos.streaming.messages import Inbound
from liftos.streaming.stage import StageConsumer
from liftos.topics import ENRICHED, NORMALIZED, OUTCOMES
from liftos.warehouse.connection import connect_async, insert_encoded_async, insert_events_async
from liftos_enricher import metrics
from liftos_enricher.settings import EnricherSettings

__all__ = ["STAGE", "Enricher", "build_app"]

STAGE = "enricher"


class Enricher:
    """Enriches a batch and writes it: warehouse first, then the enriched topic and dead letters."""

    def __init__(self, settings: EnricherSettings, log: Logger) -> None:
        self._settings = settings
        self._log = log
        self._dead_letters = DeadLetterLog(log)
        self._client: AsyncClient | None = None
        self._producer = LazyProducer(settings.kafka, STAGE)
        self._connecting = asyncio.Lock()

    async def _connect(self) -> tuple[AsyncClient, AIOKafkaProducer]:
        async with self._connecting:  # batches are handled concurrently; connect once
            if self._client is None:
                self._client = await connect_async(self._settings.warehouse)
        return self._client, await self._producer.get()

    async def _write(self, batch: EnrichedBatch) -> None:
        client, producer = await self._connect()
        await insert_encoded_async(client, EnrichedRow, [value for _, value in batch.messages])
        await insert_events_async(client, batch.outcomes)
        await publish_raw(producer, ENRICHED.name, batch.messages)
        await DeadLetterSink(producer, STAGE).send_all(batch.dead_letters)

    async def handle(self, messages: list[Inbound]) -> None:
        """Enrich ``messages`` and return once the warehouse and the broker have acknowledged them."""
        started = time.perf_counter()
        rows = [message for message in messages if message.topic == NORMALIZED.name]
        outcomes = [message for message in messages if message.topic == OUTCOMES.name]
        batch = enrich_messages(rows, outcomes, self._settings.country, self._settings.subdivision)
        await until_delivered(lambda: self._write(batch), self._log, "enriched batch")
        _record(batch, time.perf_counter() - started, self._dead_letters)


def build_app(settings: EnricherSettings, log: Logger) -> faust.App:
    """The stage's faust app; nothing runs until a worker starts it."""
    stage = StageConsumer(
        settings.kafka,
        (NORMALIZED.name, OUTCOMES.name),
        settings.consumer_group,
        max_records=settings.batch_size,
        max_wait_ms=int(settings.batch_window_s * 1000),
        log=log,
        lag=metrics.CONSUMER_LAG,
    )
    enricher = Enricher(settings, log)
    return make_stage_app(settings.app_id, settings.observability, settings.data_dir, stage, enricher.handle)


def _record(batch: EnrichedBatch, seconds: float, dead_letters: DeadLetterLog) -> None:
    now_ms = version_of(datetime.now(UTC))
    for table, rows in (("marketing_daily", batch.rows), ("store_outcomes", batch.outcomes)):
        if rows:
            metrics.ROWS_WRITTEN.labels(table).inc(len(rows))
            metrics.BATCH_ROWS.observe(len(rows))
            for row in rows:
                metrics.FRESHNESS_SECONDS.observe(max(0.0, (now_ms - row.version) / 1000))
    metrics.DEAD_LETTERED.inc(len(batch.dead_letters))
    metrics.WRITE_SECONDS.observe(seconds)
    dead_letters.record(batch.dead_letters)
