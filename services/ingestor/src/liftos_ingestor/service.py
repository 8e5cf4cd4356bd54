"""The ingestor's run loop: poll each configured source on its interval and publish raw events."""

from __future__ import annotations

import asyncio

from liftos.errors import ConfigError, TransientError
from liftos.integrations import Connector
from liftos.observability import Logger, start_health_server
from liftos_ingestor import metrics
from liftos_ingestor.landing_tracker import TopicsReset
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.polling import Poller, make_connector, running_poller
from liftos_ingestor.settings import IngestorSettings

__all__ = ["run"]


async def _poll_forever(
    source: str, connector: Connector, poller: Poller, interval_s: float, log: Logger, stop: asyncio.Event
) -> None:
    """Poll one source until ``stop``; a configuration error ends this source's polling, not the process."""
    metrics.SOURCE_UP.labels(source).set(1)
    while not stop.is_set():
        wait = interval_s
        try:
            results = await poller.poll(connector)
            metrics.POLLS.labels(source, "ok").inc()
            log.info("poll finished", source=source, records=sum(r.records for r in results))
        except TopicsReset:
            metrics.POLLS.labels(source, "reset").inc()
            wait = 0.0  # the next poll starts once the tracker has rewound the cursors
        except ConfigError as error:
            metrics.POLLS.labels(source, "config_error").inc()
            metrics.SOURCE_UP.labels(source).set(0)
            log.error("source disabled: configuration error", source=source, error=str(error))
            return
        except TransientError as error:
            metrics.POLLS.labels(source, "transient_error").inc()
            wait = max(error.retry_after or 0.0, min(interval_s, 60.0))
            log.warning(
                "poll interrupted; committed slices are kept",
                source=source,
                error=str(error),
                retry_in_s=wait,
            )
        except Exception as error:  # a bug in one poll must not stop the other sources
            metrics.POLLS.labels(source, "error").inc()
            log.exception("poll failed", source=source, error=repr(error))
            wait = min(interval_s, 60.0)
        await poller.gate.pause(stop, wait)
    await connector.aclose()


async def run(settings: IngestorSettings, log: Logger, stop: asyncio.Event) -> None:
    """Serve health and metrics, then poll every configured source until ``stop`` is set, with the
    landing tracker beside the polls (it rewinds the cursors if the broker loses the topics)."""
    hooks = IngestorHooks()
    connectors = {source: make_connector(source, settings, hooks) for source in settings.sources}
    async with running_poller(settings, hooks, log, "ingestor") as (poller, tracker):
        health = await start_health_server(settings.observability, lambda: None)
        log.info(
            "ready", sources=list(connectors), interval_s=settings.poll_interval_s, since=str(poller.since())
        )
        try:
            tasks = [
                _poll_forever(source, connector, poller, settings.poll_interval_s, log, stop)
                for source, connector in connectors.items()
            ]
            await asyncio.gather(*tasks, tracker.run(stop), stop.wait())
        finally:
            await health.cleanup()
    log.info("stopped")
