"""The enricher's faust app: normalized and outcome topics → calendar join → warehouse + enriched topic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import faust
from clickhouse_connect.driver.asyncclient import AsyncClient

from liftos.events import version_of
from liftos.pipeline.enrich import EnrichedBatch, enrich_messages
from liftos.pipeline.messages import Inbound
from liftos.streaming.faust_app import (
    inbound_batches,
    make_faust_app,
    send_dead_letters,
    send_values,
    until_delivered,
)
from liftos.topics import ENRICHED, NORMALIZED, OUTCOMES
from liftos.warehouse.client import connect_async, insert_events_async
from liftos_enricher import metrics
from liftos_enricher.settings import EnricherSettings

__all__ = ["STAGE", "build_app"]

STAGE = "enricher"


class _Sink:
    """Writes an enriched batch: warehouse first, then the enriched topic and dead letters."""

    def __init__(self, app: faust.App, settings: EnricherSettings) -> None:
        self._app = app
        self._settings = settings
        self._client: AsyncClient | None = None

    async def _warehouse(self) -> AsyncClient:
        if self._client is None:
            self._client = await connect_async(self._settings.warehouse)
        return self._client

    async def write(self, batch: EnrichedBatch) -> None:
        client = await self._warehouse()
        await insert_events_async(client, batch.rows)
        await insert_events_async(client, batch.outcomes)
        futures = [
            *await send_values(self._app, ENRICHED, batch.rows),
            *await send_dead_letters(self._app, batch.dead_letters, STAGE),
        ]
        await asyncio.gather(*futures)


def build_app(settings: EnricherSettings, log: Any) -> faust.App:
    """The faust app with one agent per input topic; nothing runs until a worker starts it."""
    app = make_faust_app(settings.app_id, settings.kafka, settings.observability, settings.data_dir)
    sink = _Sink(app, settings)

    async def process(rows: Sequence[Inbound], outcomes: Sequence[Inbound]) -> None:
        started = time.perf_counter()
        batch = enrich_messages(rows, outcomes, settings.country, settings.subdivision)
        await until_delivered(partial(sink.write, batch), log, "enriched batch")
        _record(batch, time.perf_counter() - started, log)

    @app.agent(app.topic(NORMALIZED.name, partitions=NORMALIZED.partitions))
    async def enrich(stream: faust.types.StreamT[Any]) -> None:
        async for messages in inbound_batches(stream, settings.batch_size, settings.batch_window_s):
            await process(messages, [])

    @app.agent(app.topic(OUTCOMES.name, partitions=OUTCOMES.partitions))
    async def store_outcomes(stream: faust.types.StreamT[Any]) -> None:
        async for messages in inbound_batches(stream, settings.batch_size, settings.batch_window_s):
            await process([], messages)

    return app


def _record(batch: EnrichedBatch, seconds: float, log: Any) -> None:
    now_ms = version_of(datetime.now(UTC))
    for table, rows in (("marketing_daily", batch.rows), ("store_outcomes", batch.outcomes)):
        if rows:
            metrics.ROWS_WRITTEN.labels(table).inc(len(rows))
            metrics.BATCH_ROWS.observe(len(rows))
            for row in rows:
                metrics.FRESHNESS_SECONDS.observe(max(0.0, (now_ms - row.version) / 1000))
    metrics.DEAD_LETTERED.inc(len(batch.dead_letters))
    metrics.WRITE_SECONDS.observe(seconds)
    for letter in batch.dead_letters[:3]:
        log.warning("dead-lettered", topic=letter.topic, offset=letter.offset, reason=letter.reason)
