"""Polling sources into the raw topic: shared by the service loop and ``liftos ingest backfill``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

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
from liftos.streaming.kafka import publish
from liftos.topics import COVERAGE, RAW
from liftos.transformations.fx_rates import DailyRates
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.settings import IngestorSettings

__all__ = ["DEFAULT_HISTORY_DAYS", "Poller", "check_currencies", "make_connector"]

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
    """Publishes one source's new and restated records, and each delivered slice's coverage (for the
    completeness gate); cursors advance only after broker acks."""

    def __init__(self, settings: IngestorSettings, producer: AIOKafkaProducer, hooks: IngestorHooks) -> None:
        self._settings = settings
        self._producer = producer
        self._hooks = hooks
        self._store = CursorStore(settings.data_dir / "cursors.json")
        self.rates = settings.daily_rates()
        self._currencies_checked: set[str] = set()

    async def _publish(self, events: Sequence[RawEvent]) -> None:
        await publish(self._producer, RAW, events)

    async def _covered(self, coverage: IngestionCoverage) -> None:
        await publish(self._producer, COVERAGE, [coverage])

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
        """Poll every account and stream of ``connector`` once (the first time after
        :func:`check_currencies`).

        Raises:
            ConfigError: an account bills in a currency without any FX rate.
        """
        if connector.source not in self._currencies_checked:
            await check_currencies(connector, self.rates)
            self._currencies_checked.add(connector.source)
        return await sync_connector(
            connector,
            publish=self._publish,
            store=self._store,
            since=since or self.since(),
            until=until or self._settings.until,
            lookback_days=self._settings.lookback_days,
            progress=progress,
            metrics=self._hooks,
            covered=self._covered,
        )
