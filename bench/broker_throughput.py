"""Produce/consume rate through the local Tansu broker with the project's own Kafka helpers.

Usage: .venv/bin/python bench/broker_throughput.py [--messages 100000] [--partitions 6]

Starts its own broker (``liftos broker``'s code path) on a free port, publishes RawEvent-sized JSON
messages keyed by natural key with acks=all, then consumes them with a fresh group and manual commits.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, date, datetime

from liftos.events import RawEvent, RequestSlice, idempotency_key
from liftos.settings import KafkaSettings
from liftos.streaming.codec import encode
from liftos.streaming.kafka import ensure_topics, make_consumer, make_producer, publish_raw
from liftos.topics import TopicSpec
from liftos_devstack.broker import LocalBroker


def raw_event(index: int) -> RawEvent:
    """A marketing-row raw event of realistic size (one campaign-day)."""
    day = date(2025, 1, 1)
    payload = {
        "date": day.isoformat(),
        "channel": "meta",
        "platform": "facebook",
        "campaign_id": f"c{index}",
        "campaign": f"Campaign {index}",
        "currency": "USD",
        "spend": "123.45",
        "impressions": "10000",
        "clicks": "250",
        "conversions": "12",
        "revenue": "480.00",
    }
    return RawEvent(
        source="canonical",
        account_id="acct-1",
        stream="marketing_daily",
        request_slice=RequestSlice(start=day, end=day),
        fetched_at=datetime.now(UTC),
        payload=payload,
        idempotency_key=idempotency_key("bench", index),
    )


async def produce(settings: KafkaSettings, topic: str, payloads: list[tuple[bytes, bytes]]) -> float:
    """Seconds to publish with one ``send`` per message (aiokafka's default path)."""
    producer = make_producer(settings)
    await producer.start()
    started = time.perf_counter()
    futures = [await producer.send(topic, value=value, key=key) for key, value in payloads]
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await producer.stop()
    return elapsed


async def produce_batched(settings: KafkaSettings, topic: str, payloads: list[tuple[bytes, bytes]]) -> float:
    """Seconds to publish through :func:`liftos.streaming.kafka.publish_raw` (per-partition batches)."""
    producer = make_producer(settings)
    await producer.start()
    started = time.perf_counter()
    for index in range(0, len(payloads), 5_000):
        await publish_raw(producer, topic, payloads[index : index + 5_000])
    elapsed = time.perf_counter() - started
    await producer.stop()
    return elapsed


async def consume(settings: KafkaSettings, topic: str, count: int) -> tuple[float, float]:
    consumer = make_consumer(settings, topic, group_id=f"bench-{time.time_ns()}")
    join_started = time.perf_counter()
    await consumer.start()
    seen, first = 0, None
    while seen < count:
        batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
        if first is None and batches:
            first = time.perf_counter()
        seen += sum(len(records) for records in batches.values())
        await consumer.commit()
    end = time.perf_counter()
    await consumer.stop()
    assert first is not None
    return first - join_started, end - first


async def main(messages: int, partitions: int) -> None:
    events = [raw_event(i) for i in range(messages)]
    payloads = [(event.idempotency_key.encode(), encode(event)) for event in events]
    size = sum(len(value) for _, value in payloads) / messages
    with LocalBroker() as broker:
        settings = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        spec = TopicSpec("bench.raw", RawEvent, partitions=partitions)
        await ensure_topics(settings, [spec])
        produce_s = await produce(settings, spec.name, payloads)
        batched_s = await produce_batched(settings, spec.name, payloads)
        join_s, consume_s = await consume(settings, spec.name, 2 * messages)
    print(f"messages            {messages:,} x {size:.0f} B, {partitions} partitions")
    print(f"produce (acks=all)  {messages / produce_s:,.0f} msg/s  ({produce_s:.2f} s, one send per message)")
    print(f"produce (acks=all)  {messages / batched_s:,.0f} msg/s  ({batched_s:.2f} s, publish_raw batches)")
    print(
        f"consume (+commits)  {2 * messages / consume_s:,.0f} msg/s  "
        f"({consume_s:.2f} s, group join {join_s:.2f} s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=6)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.messages, arguments.partitions))
