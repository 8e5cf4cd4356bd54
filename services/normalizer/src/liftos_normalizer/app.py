"""The normalizer's faust app: raw topic → normalized and outcome topics, or the dead-letter topic."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from functools import partial
from typing import Any

import faust

from liftos.pipeline.normalize import NormalizedBatch, normalize_messages
from liftos.streaming.faust_app import (
    inbound_batches,
    make_faust_app,
    send_dead_letters,
    send_values,
    until_delivered,
)
from liftos.topics import NORMALIZED, OUTCOMES, RAW
from liftos_normalizer import metrics
from liftos_normalizer.settings import NormalizerSettings

__all__ = ["STAGE", "build_app"]

STAGE = "normalizer"


def build_app(settings: NormalizerSettings, log: Any) -> faust.App:
    """The faust app with its one agent; nothing runs until a worker starts it."""
    app = make_faust_app(settings.app_id, settings.kafka, settings.observability, settings.data_dir)
    raw_topic = app.topic(RAW.name, partitions=RAW.partitions)

    async def deliver(batch: NormalizedBatch) -> None:
        futures = [
            *await send_values(app, NORMALIZED, batch.rows),
            *await send_values(app, OUTCOMES, batch.outcomes),
            *await send_dead_letters(app, batch.dead_letters, STAGE),
        ]
        await asyncio.gather(*futures)

    @app.agent(raw_topic)
    async def normalize(stream: faust.types.StreamT[Any]) -> None:
        async for messages in inbound_batches(stream, settings.batch_size, settings.batch_window_s):
            started = time.perf_counter()
            batch = normalize_messages(messages)
            await until_delivered(partial(deliver, batch), log, "normalized batch")
            _record(batch, len(messages), time.perf_counter() - started, log)

    return app


def _record(batch: NormalizedBatch, consumed: int, seconds: float, log: Any) -> None:
    metrics.MESSAGES_IN.inc(consumed)
    for source, count in Counter(row.source for row in batch.rows).items():
        metrics.ROWS_OUT.labels("marketing", source).inc(count)
    for source, count in Counter(row.source for row in batch.outcomes).items():
        metrics.ROWS_OUT.labels("outcome", source).inc(count)
    metrics.DEAD_LETTERED.inc(len(batch.dead_letters))
    metrics.BATCH_SECONDS.observe(seconds)
    for letter in batch.dead_letters[:3]:
        log.warning("dead-lettered", topic=letter.topic, offset=letter.offset, reason=letter.reason)
    log.debug(
        "batch",
        consumed=consumed,
        rows=len(batch.rows),
        outcomes=len(batch.outcomes),
        dead_letters=len(batch.dead_letters),
        ms=round(seconds * 1000, 1),
    )
