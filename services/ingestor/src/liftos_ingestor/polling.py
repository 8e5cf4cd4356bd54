"""Polling sources into the raw topic: shared by the service loop and ``liftos ingest backfill``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta

from aiokafka import AIOKafkaProducer

from liftos.errors import ConfigError
from liftos.events import IngestionCoverage, RawEvent
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
from liftos.topics import ALL_TOPICS, COVERAGE, RAW
from liftos.transformations.fx_rates import DailyRates
from liftos_ingestor.landing_tracker import LandingTracker, PublishGate
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.settings import IngestorSettings

__all__ = ["DEFAULT_HISTORY_DAYS", "Poller", "check_currencies", "make_connector", "running_poller"]

#: How far back the first poll of a stream reaches when ``since`` is not set.
DEFAULT_HISTORY_DAYS = 90


def make_connector(source: str, settings: IngestorSettings, hooks: IngestorHooks) -> Connector:
    """The connector for ``source``, with credentials from its ``LIFTOS_<SOURCE>__…`` variables.

    Raises:
        ConfigError: unknown source or missing credentials.
    """
    return connector_class(source)(
        metrics=hooks, timeout_s=settings.request_timeout_s, limits=settings.limits
    )


async def check_currencies(connector: Connector, rates: DailyRates) -> None:
    """Refuse a source whose accounts bill in a currency without any rate, before a record is read.

    Raises:
        ConfigError: names the accounts and currencies (add them under ``[fx.rates]``).
    """
    details = await connector.account_details()
    unknown = {a.account_id: a.currency for a in details if a.currency and rates.missing([a.currency])}
    if unknown:
        listed = ", ".join(f"{account} ({currency})" for account, currency in unknown.items())
        raise ConfigError(
            f"{connector.source}: no fx rate to {rates.reporting} for {listed}; add it under [fx.rates]"
        )


class Poller:
    """Publishes sources' new and restated records, and each delivered slice's coverage (for the
    completeness gate); cursors advance only after broker acks.

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
        self.rates = settings.daily_rates()
        self._currencies_checked: set[str] = set()

    async def _publish(self, events: Sequence[RawEvent]) -> None:
        self.gate.check()
        await publish(self._producer, RAW, events)

    async def _covered(self, coverage: IngestionCoverage) -> None:
        self.gate.check()
        await publish(self._producer, COVERAGE, [coverage])

    def close(self) -> None:
        """Release the cursor store for another process."""
        self.store.close()

    def since(self) -> date:
        """First day wanted on a stream's first poll."""
        return self._settings.since or self._settings.clock.today() - timedelta(days=DEFAULT_HISTORY_DAYS)

    async def poll(
        self,
        connector: Connector,
        since: date | None = None,
        until: date | None = None,
        progress: Callable[[ProgressUpdate], None] | None = None,
    ) -> list[SyncResult]:
        """Poll every account and stream of ``connector`` once (the first time after
        :func:`check_currencies`).

        Raises:
            ConfigError: an account bills in a currency without any FX rate.
            TopicsReset: the broker lost the topics' messages meanwhile (poll again: the cursors have
                been rewound to what landed).
        """
        if connector.source not in self._currencies_checked:
            await check_currencies(connector, self.rates)
            self._currencies_checked.add(connector.source)
        async with self.gate.publishing():
            return await sync_connector(
                connector,
                publish=self._publish,
                store=self.store,
                since=since or self.since(),
                until=until or self._settings.until or self._settings.clock.today(),
                lookback_days=self._settings.lookback_days,
                progress=progress,
                metrics=self._hooks,
                covered=self._covered,
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
