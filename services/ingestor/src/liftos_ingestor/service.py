"""The ingestor's run loop: poll each configured source on its interval and publish raw events."""

from __future__ import annotations

import asyncio
from typing import Any

from liftos.errors import ConfigError
from liftos.observability import start_health_server
from liftos.streaming.kafka import ensure_topics, make_producer, wait_for_broker
from liftos.topics import ALL_TOPICS
from liftos_ingestor.settings import IngestorSettings

__all__ = ["run"]


async def run(settings: IngestorSettings, log: Any, stop: asyncio.Event) -> None:
    """Serve health and metrics, then poll until ``stop`` is set."""
    if settings.sources:
        raise ConfigError(f"unknown sources {list(settings.sources)}: no connector is installed yet")
    await wait_for_broker(settings.kafka)
    await ensure_topics(settings.kafka, ALL_TOPICS)
    producer = make_producer(settings.kafka, client_suffix="ingestor")
    await producer.start()
    health = await start_health_server(settings.observability, lambda: None)
    log.info("ready", sources=list(settings.sources), interval_s=settings.poll_interval_s)
    try:
        await stop.wait()
    finally:
        await health.cleanup()
        await producer.stop()
        log.info("stopped")
