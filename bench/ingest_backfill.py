"""Backfill throughput: the three connectors reading the sandbox emulators into the real broker.

Usage: .venv/bin/python bench/ingest_backfill.py [--days 730] [--entities 300] [--fault-rate 0.0]

Starts the emulators (``liftos sandbox``, Klaviyo's rate tiers lifted) and a Tansu broker, then runs
the ingestor's poller for all three sources concurrently, publishing every page to the raw topic and
committing cursors after each acknowledged slice. Prints records per source, records/s for the whole
backfill, and the time spent publishing (acks=all) against the time spent reading the APIs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import structlog

from liftos.events import RawEvent
from liftos.integrations import CursorStore, sync_connector
from liftos.settings import KafkaSettings
from liftos.streaming.kafka import ensure_topics, make_producer, publish
from liftos.topics import ALL_TOPICS, RAW
from liftos_devstack.broker import LocalBroker, free_port, wait_for_port
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.polling import make_connector
from liftos_ingestor.settings import IngestorSettings
from liftos_sandbox import WorldSpec
from liftos_sandbox.credentials import credentials_for_seed
from liftos_sandbox.environment import connector_environment, sandbox_argv

END = date(2025, 12, 31)
SEED = 21


async def backfill(kafka: KafkaSettings, start: date, state: Path) -> None:
    settings = IngestorSettings(kafka=kafka, data_dir=state, request_timeout_s=10)
    await ensure_topics(kafka, ALL_TOPICS)
    producer = make_producer(kafka)
    await producer.start()
    publish_seconds = 0.0

    async def send(events: Sequence[RawEvent]) -> None:
        nonlocal publish_seconds
        began = time.perf_counter()
        await publish(producer, RAW, events)
        publish_seconds += time.perf_counter() - began

    async def one(source: str) -> tuple[str, int, float]:
        connector = make_connector(source, settings, IngestorHooks())
        began = time.perf_counter()
        results = await sync_connector(
            connector, publish=send, store=CursorStore(state / f"{source}.json"), since=start, until=END
        )
        await connector.aclose()
        return source, sum(r.records for r in results), time.perf_counter() - began

    began = time.perf_counter()
    outcomes = await asyncio.gather(*(one(source) for source in ("meta", "google_ads", "klaviyo")))
    elapsed = time.perf_counter() - began
    await producer.stop()
    total = sum(records for _, records, _ in outcomes)
    for source, records, seconds in outcomes:
        print(f"{source:<11} {records:>9,} records in {seconds:6.1f} s  ({records / seconds:,.0f} records/s)")
    print(
        f"{'all':<11} {total:>9,} records in {elapsed:6.1f} s  "
        f"({total / elapsed:,.0f} records/s, sources concurrent)"
    )
    print(
        f"publishing  {publish_seconds:6.1f} s in total "
        f"({total / publish_seconds:,.0f} records/s while publishing)"
    )


def main(days: int, entities: int, fault_rate: float) -> None:
    start = END - timedelta(days=days - 1)
    port = free_port()
    argv = sandbox_argv(port, WorldSpec(SEED, "default", start, END, entities), fault_rate=fault_rate)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.basicConfig(level=logging.WARNING)
    environment = connector_environment(credentials_for_seed(SEED), f"http://127.0.0.1:{port}")
    environment.pop("LIFTOS_GOOGLE_ADS__CUSTOMER_ID")  # every customer of the manager account
    os.environ.update(environment | {"LIFTOS_META__POLL_INTERVAL_S": "0.1"})
    sandbox = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port("127.0.0.1", port, 180)
        print(f"{days} days x {entities} entities per channel, fault rate {fault_rate}")
        with LocalBroker() as broker, tempfile.TemporaryDirectory() as state:
            kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
            asyncio.run(backfill(kafka, start, Path(state)))
    finally:
        sandbox.terminate()
        sandbox.wait(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--entities", type=int, default=300)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    arguments = parser.parse_args()
    main(arguments.days, arguments.entities, arguments.fault_rate)
