"""End-to-end throughput and freshness: raw topic → normalizer → enricher → warehouse, on the real stack.

Usage: .venv/bin/python bench/pipeline_throughput.py [--rows 200000] [--days 365]

Starts broker, warehouse, normalizer and enricher as separate processes (the embedded stack), publishes
``--rows`` raw marketing rows (the built-in ``canonical`` source: one campaign-day per event) as fast as
the producer goes, and polls the warehouse until every row is queryable. Prints the publish rate, the
end-to-end rate (first publish → last row queryable), a plain aiokafka consume of the same topic in the
same run (the ceiling), freshness p50/p99 from the enricher's histogram (fetch → queryable), and the
peak RSS of each process.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil
from prometheus_client.parser import text_string_to_metric_families

from liftos.events import RawEvent, RequestSlice, idempotency_key
from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.codec import encode
from liftos.streaming.kafka import ensure_topics, make_consumer, make_producer, publish_raw
from liftos.topics import ALL_TOPICS, RAW
from liftos.warehouse.connection import connect
from liftos_devstack.stack import EmbeddedStack, StackPorts

CHANNELS = ("meta", "google_ads", "klaviyo")


def raw_events(rows: int, days: int) -> list[tuple[bytes, bytes]]:
    """``rows`` canonical marketing-row events spread over ``days`` days, as (key, value) bytes."""
    start, fetched = date(2024, 1, 1), datetime.now(UTC)
    out = []
    for index in range(rows):
        day = start + timedelta(days=index % days)
        campaign = f"c{index // days}"
        payload = {
            "date": day.isoformat(),
            "channel": CHANNELS[index % 3],
            "platform": "web",
            "campaign_id": campaign,
            "currency": "USD",
            "spend": 12.34,
            "impressions": 1000,
            "clicks": 25,
            "conversions": 2,
            "revenue": 50.0,
        }
        event = RawEvent(
            source="canonical",
            account_id="bench",
            stream="marketing_daily",
            request_slice=RequestSlice(start=day, end=day),
            fetched_at=fetched,
            payload=payload,
            idempotency_key=idempotency_key(day, campaign),
        )
        out.append((event.idempotency_key.encode(), encode(event)))
    return out


async def publish(settings: KafkaSettings, payloads: list[tuple[bytes, bytes]]) -> float:
    producer = make_producer(settings)
    await producer.start()
    started = time.perf_counter()
    for index in range(0, len(payloads), 5_000):
        await publish_raw(producer, RAW.name, payloads[index : index + 5_000])
    await producer.stop()
    return time.perf_counter() - started


async def plain_consume(settings: KafkaSettings, count: int) -> float:
    consumer = make_consumer(settings, RAW.name, group_id=f"baseline-{time.time_ns()}")
    await consumer.start()
    seen, first = 0, None
    while seen < count:
        batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
        if batch and first is None:
            first = time.perf_counter()
        seen += sum(len(records) for records in batch.values())
    elapsed = time.perf_counter() - (first or time.perf_counter())
    await consumer.stop()
    return elapsed


def quantile_from_histogram(url: str, name: str, q: float) -> float:
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    buckets = [
        (float(sample.labels["le"]), sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == name
        for sample in family.samples
        if sample.name.endswith("_bucket")
    ]
    total = buckets[-1][1]
    return next(bound for bound, count in buckets if count >= q * total)


def main(rows: int, days: int) -> None:
    payloads = raw_events(rows, days)
    output = io.StringIO()
    with tempfile.TemporaryDirectory() as directory:
        stack = EmbeddedStack(
            Path(directory),
            StackPorts(kafka=0, warehouse=0, services={"normalizer": 0, "enricher": 0}),
            output=output,
            services=("normalizer", "enricher"),
        )
        with stack:
            kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{stack.ports.kafka}")
            client = connect(WarehouseSettings(port=stack.ports.warehouse))
            asyncio.run(ensure_topics(kafka, ALL_TOPICS))
            peak = {child.name: 0 for child in stack.processes}
            started = time.perf_counter()
            publish_s = asyncio.run(publish(kafka, payloads))
            count = 0
            while count < rows:
                for child in stack.processes:
                    assert child.process is not None
                    peak[child.name] = max(
                        peak[child.name], psutil.Process(child.process.pid).memory_info().rss
                    )
                count = int(client.query("SELECT count() FROM marketing_daily").result_rows[0][0])
                time.sleep(0.2)
            end_to_end_s = time.perf_counter() - started
            consume_s = asyncio.run(plain_consume(kafka, rows))
            metrics = f"http://127.0.0.1:{stack.ports.services['enricher']}/metrics"
            p50 = quantile_from_histogram(metrics, "liftos_enricher_freshness_seconds", 0.5)
            p99 = quantile_from_histogram(metrics, "liftos_enricher_freshness_seconds", 0.99)
    print(f"rows                      {rows:,} ({days} days)")
    print(f"publish (acks=all)        {rows / publish_s:,.0f} rows/s")
    print(f"end to end (→ queryable)  {rows / end_to_end_s:,.0f} rows/s  ({end_to_end_s:.1f} s)")
    print(f"plain aiokafka consume    {rows / consume_s:,.0f} rows/s  (same topic, same run)")
    print(
        f"freshness p50 / p99       ≤ {p50:g} s / ≤ {p99:g} s  (histogram bucket bounds; a burst queues "
        "behind its own backlog: bench/pipeline_load.py measures freshness at a sustained rate)"
    )
    for name, rss in peak.items():
        print(f"peak RSS {name:<16} {rss / 2**20:,.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365)
    arguments = parser.parse_args()
    main(arguments.rows, arguments.days)
