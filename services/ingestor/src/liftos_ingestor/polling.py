"""Polling sources into the raw topic: shared by the service loop and ``liftos ingest backfill``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

from aiokafka import AIOKafkaProducer

from liftos.events import RawEvent
from liftos.integrations import (
    Connector,
    CursorStore,
    ProgressUpdate,
    SyncResult,
    connector_class,
    sync_connector,
)
from liftos.observability import Logger
from liftos.streaming.kafka import ensure_topics, make_producer, publish, wait_for_broker
from liftos.topics import ALL_TOPICS, RAW
from liftos_ingestor.landing_tracker import LandingTracker, PublishGate
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.settings import IngestorSettings

__all__ = ["DEFAULT_HISTORY_DAYS", "Poller", "make_connector", "running_poller"]

#: How far back the first poll of a stream reaches when ``since`` is not set.
DEFAULT_HISTORY_DAYS = 90


def make_connector(source: str, settings: IngestorSettings, hooks: IngestorHooks) -> Connector:
    """The connector for ``source``, with credentials from its ``LIFTOS_<SOURCE>__…`` variables.

    Raises:
        ConfigError: unknown source or missing credentials.
    """
    return connector_class(source)(metrics=hooks, timeout_s=settings.request_timeout_s)


class Poller:
    """Publishes sources' new and restated records; cursors advance only after broker acks.

    The cursor store (``<data dir>/cursors.json``) is held exclusively while the poller lives (one
    process per data directory); polls publish through ``gate``, which the
    :class:`~liftos_ingestor.landing_tracker.LandingTracker` closes to rewind or recycle.
    """

    def __init__(
        self,
        settings: IngestorSettings,
        producer: AIOKafkaProducer,
        hooks: IngestorHooks,
        gate: PublishGate | None = None,
    ) -> None:
        self._settings = settings
        self._producer = producer
        self._hooks = hooks
        self.gate = gate or PublishGate()
        self.store = CursorStore(settings.data_dir / "cursors.json", exclusive=True)

    async def _publish(self, events: Sequence[RawEvent]) -> None:
        self.gate.check()
        await publish(self._producer, RAW, events)

    def close(self) -> None:
        """Release the cursor store for another process."""
        self.store.close()

    def since(self) -> date:
        """First day wanted on a stream's first poll."""
        return self._settings.since or datetime.now(UTC).date() - timedelta(days=DEFAULT_HISTORY_DAYS)

    async def poll(
        self,
        connector: Connector,
        since: date | None = None,
        until: date | None = None,
        progress: Callable[[ProgressUpdate], None] | None = None,
    ) -> list[SyncResult]:
        """Poll every account and stream of ``connector`` once.

        Raises:
            TopicsReset: the broker lost the topics' messages meanwhile (poll again: the cursors have
                been rewound to what landed).
        """
        async with self.gate.publishing():
            return await sync_connector(
                connector,
                publish=self._publish,
                store=self.store,
                since=since or self.since(),
                until=until or self._settings.until,
                lookback_days=self._settings.lookback_days,
                progress=progress,
                metrics=self._hooks,
            )


@asynccontextmanager
async def running_poller(
    settings: IngestorSettings, hooks: IngestorHooks, log: Logger, client_suffix: str
) -> AsyncIterator[tuple[Poller, LandingTracker]]:
    """A poller ready to publish and its landing tracker (not yet running), for the service and the
    backfill: the cursors held (one process per data directory, checked first), the broker reached,
    the topics there, the cursors reconciled with the topics' epochs.

    Raises:
        ConfigError: another process holds the cursors.
        TransientError: no broker answers.
    """
    producer = make_producer(settings.kafka, client_suffix=client_suffix)
    poller = Poller(settings, producer, hooks)
    try:
        await wait_for_broker(settings.kafka)
        await ensure_topics(settings.kafka, ALL_TOPICS)
        tracker = LandingTracker(settings, poller.store, poller.gate, log)
        await tracker.reconcile()
        await producer.start()
        yield poller, tracker
    finally:
        await producer.stop()
        poller.close()
