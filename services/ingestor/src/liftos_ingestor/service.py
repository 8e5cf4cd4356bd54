"""The ingestor's run loop: poll each configured source on its interval and publish raw events."""

from __future__ import annotations

import asyncio
import math

from liftos.errors import ConfigError, DataError, TransientError
from liftos.integrations import Connector
from liftos.observability import Logger, start_health_server
from liftos_ingestor import metrics
from liftos_ingestor.landing_tracker import PublishGate, TopicsReset
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.polling import Poller, make_connector, running_poller
from liftos_ingestor.settings import IngestorSettings

__all__ = ["retry_delay", "run"]

#: Shortest wait before polling a source again after a failure (seconds), unless the interval is shorter.
_MIN_RETRY_S = 60.0


async def _sleep(stop: asyncio.Event, seconds: float, gate: PublishGate) -> None:
    """Wait between two polls of a source: ``seconds``, until ``stop``, or until the cursors were rewound
    (:meth:`~liftos_ingestor.landing_tracker.PublishGate.pause`: the lost days are fetched at once)."""
    await gate.pause(stop, seconds)


def retry_delay(retry_after: float | None, interval_s: float, ceiling_s: float) -> float:
    """Seconds before polling a source again after a transient failure.

    The server's hint when it gave a finite one, never below ``min(interval_s, 60)`` and never above
    ``ceiling_s`` (``LIFTOS_LIMITS__MAX_RETRY_AFTER_S``), so no hint parks a source for longer.
    """
    floor = min(interval_s, _MIN_RETRY_S)
    if retry_after is None or not math.isfinite(retry_after):
        return floor
    return min(max(retry_after, floor), max(ceiling_s, floor))


async def _poll_forever(
    source: str,
    connector: Connector,
    poller: Poller,
    interval_s: float,
    log: Logger,
    stop: asyncio.Event,
    max_retry_after_s: float = 86_400.0,
) -> None:
    """Poll one source until ``stop``; a configuration error ends this source's polling, not the process.

    The poller checks every account's currency against the FX rates before the source's first poll (a
    currency without a rate is a configuration error). After a transient failure the next poll waits
    :func:`retry_delay`; after a data error (a response the connector refused: a page cap, a cycling
    cursor, a link off the API's origin) the full interval, so a hostile API is not hammered.
    """
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
            wait = retry_delay(error.retry_after, interval_s, max_retry_after_s)
            log.warning(
                "poll interrupted; committed slices are kept",
                source=source,
                error=str(error),
                retry_in_s=wait,
            )
        except DataError as error:
            metrics.POLLS.labels(source, "data_error").inc()
            log.error("poll refused a response; committed slices are kept", source=source, error=str(error))
        except Exception as error:  # a bug in one poll must not stop the other sources
            metrics.POLLS.labels(source, "error").inc()
            log.exception("poll failed", source=source, error=repr(error))
            wait = min(interval_s, _MIN_RETRY_S)
        await _sleep(stop, wait, poller.gate)
    await connector.aclose()


async def run(settings: IngestorSettings, log: Logger, stop: asyncio.Event) -> None:
    """Serve health and metrics, then poll every configured source until ``stop`` is set, with the
    landing tracker beside the polls (it rewinds the cursors if the broker loses the topics)."""
    hooks = IngestorHooks(settings.clock)
    connectors = {source: make_connector(source, settings, hooks) for source in settings.sources}
    async with running_poller(settings, hooks, log, "ingestor") as (poller, tracker):
        health = await start_health_server(settings.observability, lambda: None)
        log.info(
            "ready", sources=list(connectors), interval_s=settings.poll_interval_s, since=str(poller.since())
        )
        try:
            tasks = [
                _poll_forever(
                    source,
                    connector,
                    poller,
                    settings.poll_interval_s,
                    log,
                    stop,
                    settings.limits.max_retry_after_s,
                )
                for source, connector in connectors.items()
            ]
            await asyncio.gather(*tasks, tracker.run(stop), stop.wait())
        finally:
            await health.cleanup()
    log.info("stopped")
