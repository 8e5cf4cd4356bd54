"""Normalizer throughput on the real broker, next to a plain aiokafka consume of the same topic.

Usage: .venv/bin/python bench/normalizer_throughput.py [--messages 200000] [--batch-size 2000]
       [--replicas 1,2]

Starts a local Tansu broker, publishes N realistic Meta insights / Google Ads rows as RawEvents
(built by the connectors' own ``to_raw_events``) to the raw topic, then in the same run measures:

(a) a plain aiokafka consume of the raw topic (fresh group, ``getmany`` loop, no commits), the median
    of three passes;
(b) the normalizer service as real processes (``python -m liftos_normalizer``), once per ``--replicas``
    count (default: 1, then 2 processes sharing one fresh consumer group), each time reading the topic
    from the start, mapping and publishing every row with acks; the rate is measured from the first
    processed message to the last, through the summed ``liftos_normalizer_messages_in_total`` metrics.

Prints the rates and their ratios to the plain consume (the goal is at least 1/3). Each normalizer
process is one Python thread; replicas are how the stage uses a second core (``liftos up --replicas``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from typing import Any

from liftos.events import RawEvent, RequestSlice
from liftos.integrations import GoogleAdsConnector, MetaAdsConnector, RawRecord
from liftos.observability import metric_total
from liftos.settings import KafkaSettings
from liftos.streaming.codec import encode
from liftos.streaming.kafka import ensure_topics, make_consumer, make_producer
from liftos.topics import ALL_TOPICS, RAW
from liftos_devstack.broker import LocalBroker, free_port

DAY0 = date(2025, 1, 1)
ALIASES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase", "onsite_web_purchase")


def meta_record(i: int) -> RawRecord:
    """An ad-day insights row shaped like the recorded Graph responses."""
    day = (DAY0 + timedelta(days=i % 365)).isoformat()
    conversions, value = str(i % 7), f"{(i % 500) * 1.37:.2f}"
    row: dict[str, Any] = {
        "account_id": "100000000000001", "account_currency": "EUR" if i % 3 else "USD",
        "campaign_id": f"2385{i % 40:013d}", "campaign_name": f"Prospecting {i % 40}",
        "adset_id": f"2386{i % 400:013d}", "adset_name": f"Broad {i % 400}",
        "ad_id": f"2387{i:013d}", "ad_name": f"Ad {i}",
        "spend": f"{(i % 9000) / 100:.2f}", "impressions": str(1000 + i % 5000), "clicks": str(10 + i % 90),
        "reach": str(800 + i % 4000),
        "actions": [{"action_type": "link_click", "value": "37"}]
        + [{"action_type": t, "value": conversions} for t in ALIASES],
        "action_values": [{"action_type": t, "value": value} for t in ALIASES],
        "date_start": day, "date_stop": day,
    }  # fmt: skip
    return RawRecord(row, ("ad", "", row["account_id"], row["ad_id"], day, day))


def google_record(i: int) -> RawRecord:
    """An ad-group-day searchStream row shaped like the recorded REST responses."""
    day = (DAY0 + timedelta(days=i % 365)).isoformat()
    row: dict[str, Any] = {
        "customer": {"currencyCode": "GBP" if i % 4 == 0 else "USD"},
        "campaign": {"resourceName": f"customers/4445556666/campaigns/{i % 50}", "id": str(i % 50),
                     "name": f"Search {i % 50}"},
        "adGroup": {"resourceName": f"customers/4445556666/adGroups/{i}", "id": str(i), "name": f"Group {i}"},
        "segments": {"date": day},
        "metrics": {"costMicros": str((i % 90000) * 1000), "impressions": str(1000 + i % 900),
                    "clicks": str(40 + i % 60), "conversions": float(i % 5),
                    "conversionsValue": (i % 300) * 1.5},
    }  # fmt: skip
    return RawRecord(row, (row["adGroup"]["id"], day))


def build_events(count: int) -> list[RawEvent]:
    """Half Meta, half Google raw events, wrapped by the connectors like a poll would."""
    meta = MetaAdsConnector(access_token="bench")
    google = GoogleAdsConnector(client_id="c", client_secret="s", refresh_token="r")
    window = RequestSlice(start=DAY0, end=DAY0 + timedelta(days=29))
    half = count // 2
    return [
        *meta.to_raw_events([meta_record(i) for i in range(half)], "act_100000000000001", "insights", window),
        *google.to_raw_events(
            [google_record(i) for i in range(count - half)], "4445556666", "ad_group_daily", window
        ),
    ]


async def publish(settings: KafkaSettings, events: list[RawEvent]) -> float:
    """Publish every event (acks=all); returns seconds."""
    producer = make_producer(settings)
    await producer.start()
    started = time.perf_counter()
    futures = [await producer.send(RAW.name, value=encode(e), key=e.idempotency_key.encode()) for e in events]
    await asyncio.gather(*futures)
    await producer.stop()
    return time.perf_counter() - started


async def plain_consume(settings: KafkaSettings, count: int) -> float:
    """Messages per second of a fresh-group getmany loop over the raw topic (first batch to last)."""
    consumer = make_consumer(settings, RAW.name, group_id=f"bench-plain-{time.time_ns()}")
    await consumer.start()
    seen, first_batch, first = 0, 0, 0.0
    while seen < count:
        batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
        got = sum(len(records) for records in batches.values())
        if got and not first:
            first, first_batch = time.perf_counter(), got  # the clock starts after the first batch
        seen += got
    elapsed = time.perf_counter() - first
    await consumer.stop()
    return (seen - first_batch) / elapsed


def _metric(port: int) -> float:
    """Messages the normalizer on ``port`` has consumed (-1 while it is not serving yet)."""
    try:
        return metric_total(f"http://127.0.0.1:{port}/metrics", "liftos_normalizer_messages_in_total")
    except OSError:
        return -1.0


def normalizer_rate(
    bootstrap: str, count: int, batch_size: int, replicas: int, timeout_s: float = 600.0
) -> tuple[float, float]:
    """Run the normalizer as ``replicas`` processes (one consumer group, fresh, reading the topic from
    the start); (messages/s from the first processed message to the last, start-up seconds)."""
    ports = [free_port("127.0.0.1") for _ in range(replicas)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "liftos_normalizer"],
            env=os.environ
            | {
                "LIFTOS_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
                "LIFTOS_OBSERVABILITY__PORT": str(port),
                "LIFTOS_OBSERVABILITY__LOG_LEVEL": "WARNING",
                "LIFTOS_DATA_DIR": tempfile.mkdtemp(prefix="bench-normalizer-"),
                "LIFTOS_APP_ID": f"bench-normalizer-app-{replicas}",
                "LIFTOS_CONSUMER_GROUP": f"bench-normalizer-{replicas}",
                "LIFTOS_BATCH_SIZE": str(batch_size),
                "LIFTOS_FX_RATES": '{"EUR": 1.08, "GBP": 1.27}',
            },
            stdout=subprocess.DEVNULL,
        )
        for port in ports
    ]
    launched, first, first_value, value = time.perf_counter(), 0.0, 0.0, 0.0
    try:
        while value < count:
            if any(p.poll() is not None for p in processes) or time.perf_counter() - launched > timeout_s:
                raise RuntimeError(f"normalizer stopped or stalled at {value:.0f}/{count} messages")
            value = sum(max(0.0, _metric(port)) for port in ports)
            if value > 0 and not first:
                first, first_value = time.perf_counter(), value
            time.sleep(0.02)
        last = time.perf_counter()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
    return (value - first_value) / (last - first), first - launched


async def main(messages: int, batch_size: int, replicas: list[int]) -> None:
    started = time.perf_counter()
    events = build_events(messages)
    size = sum(len(encode(e)) for e in events[:: max(1, messages // 1000)]) / len(
        events[:: max(1, messages // 1000)]
    )
    print(
        f"events              {messages:,} Meta/Google raw events, ~{size:.0f} B "
        f"({time.perf_counter() - started:.1f} s to build)"
    )
    with LocalBroker() as broker:
        settings = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        await ensure_topics(settings, ALL_TOPICS)
        produce_s = await publish(settings, events)
        print(f"publish (acks=all)  {messages / produce_s:,.0f} msg/s")
        # a pass over the topic takes about a second, so its rate is noisy: the median of three passes
        passes = sorted([await plain_consume(settings, messages) for _ in range(3)])
        plain = passes[1]
        print(
            f"plain consume       {plain:,.0f} msg/s  (aiokafka getmany, fresh group; median of 3 passes: "
            f"{', '.join(f'{rate:,.0f}' for rate in passes)})"
        )
        rates = {}
        for count in replicas:
            rates[count], startup = normalizer_rate(broker.bootstrap_servers, messages, batch_size, count)
            print(
                f"normalizer x{count}       {rates[count]:,.0f} msg/s  ({count} process(es), one group; "
                f"map + publish + commit; start-up {startup:.1f} s)"
            )
    for count, rate in rates.items():
        print(f"ratio x{count}            {rate / plain:.2f}  (normalizer / plain consume; goal >= 0.33)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=2_000)
    parser.add_argument(
        "--replicas",
        default="1,2",
        help="comma-separated process counts to measure the normalizer with (default 1,2)",
    )
    arguments = parser.parse_args()
    counts = [int(part) for part in arguments.replicas.split(",")]
    asyncio.run(main(arguments.messages, arguments.batch_size, counts))
