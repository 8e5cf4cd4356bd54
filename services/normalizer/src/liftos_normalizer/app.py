"""The normalizer: raw topic → normalized and outcome topics, or the raw topic's dead-letter topic."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import faust

from liftos.observability import Logger
from liftos.pipeline.normalize import NormalizedBatch, normalize_messages
from liftos.streaming.dead_letters import DeadLetterLog, DeadLetterSink
from liftos.streaming.delivery import until_delivered
from liftos.streaming.faust_app import make_stage_app
from liftos.streaming.kafka import LazyProducer, publish
from liftos.streaming.messages import Inbound
from liftos.streaming.stage import StageConsumer
from liftos.topics import NORMALIZED, OUTCOMES, RAW
from liftos_normalizer import metrics
from liftos_normalizer.settings import NormalizerSettings

__all__ = ["STAGE", "build_app"]

STAGE = "normalizer"


class Normalizer:
    """Maps a batch of raw messages and delivers rows, outcomes and dead letters."""

    def __init__(self, settings: NormalizerSettings, log: Logger) -> None:
        self._settings = settings
        self._log = log
        self._dead_letters = DeadLetterLog(log)
        self._producer = LazyProducer(settings.kafka, STAGE)
        self._context = settings.mapping_context()

    async def _deliver(self, batch: NormalizedBatch) -> None:
        producer = await self._producer.get()
        await asyncio.gather(
            publish(producer, NORMALIZED, batch.rows),
            publish(producer, OUTCOMES, batch.outcomes),
            DeadLetterSink(producer, STAGE).send_all(batch.dead_letters),
        )

    async def handle(self, messages: list[Inbound]) -> None:
        """Map ``messages`` and return once every output is acknowledged by the broker."""
        started = time.perf_counter()
        batch = normalize_messages(messages, self._context)
        await until_delivered(lambda: self._deliver(batch), self._log, "normalized batch")
        _record(batch, len(messages), time.perf_counter() - started, self._log, self._dead_letters)


def build_app(settings: NormalizerSettings, log: Logger) -> faust.App:
    """The stage's faust app; nothing runs until a worker starts it."""
    stage = StageConsumer(
        settings.kafka,
        (RAW.name,),
        settings.consumer_group,
        max_records=settings.batch_size,
        max_wait_ms=int(settings.batch_window_s * 1000),
        log=log,
        lag=metrics.CONSUMER_LAG,
    )
    normalizer = Normalizer(settings, log)
    return make_stage_app(
        settings.app_id, settings.observability, settings.data_dir, stage, normalizer.handle
    )


def _record(
    batch: NormalizedBatch, consumed: int, seconds: float, log: Logger, dead_letters: DeadLetterLog
) -> None:
    metrics.MESSAGES_IN.inc(consumed)
    for source, count in Counter(row.source for row in batch.rows).items():
        metrics.ROWS_OUT.labels("marketing", source).inc(count)
    for source, count in Counter(row.source for row in batch.outcomes).items():
        metrics.ROWS_OUT.labels("outcome", source).inc(count)
    metrics.DEAD_LETTERED.inc(len(batch.dead_letters))
    metrics.BATCH_SECONDS.observe(seconds)
    dead_letters.record(batch.dead_letters)
    log.debug(
        "batch",
        consumed=consumed,
        rows=len(batch.rows),
        outcomes=len(batch.outcomes),
        dead_letters=len(batch.dead_letters),
        ms=round(seconds * 1000, 1),
    )
