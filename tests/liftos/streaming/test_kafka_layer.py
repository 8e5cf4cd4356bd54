"""The Kafka layer against the real Tansu broker: topics, keyed publish, manual commits, dead letters."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from liftos.errors import DataError
from liftos.events import RawEvent
from liftos.settings import KafkaSettings
from liftos.streaming.codec import decode, encode
from liftos.streaming.dead_letters import HEADER_PREFIX, DeadLetterSink
from liftos.streaming.kafka import ensure_topics, make_consumer, make_producer, publish
from liftos.streaming.messages import DeadLetter
from liftos.topics import ALL_TOPICS, RAW, TopicSpec
from tests.factories import canonical_row_event
from tests.fixtures.broker import unique_name


def test_codec_round_trip_and_clear_errors() -> None:
    event = canonical_row_event(date(2025, 1, 1))
    assert decode(RawEvent, encode(event)) == event
    with pytest.raises(DataError, match="empty message"):
        decode(RawEvent, None)
    with pytest.raises(DataError, match=r"invalid RawEvent: .*idempotency_key"):
        decode(RawEvent, encode(event).replace(b'"idempotency_key"', b'"other_key"'))


async def test_topics_are_created_once_with_dead_letter_topics(kafka_settings: KafkaSettings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    await ensure_topics(kafka_settings, ALL_TOPICS)
    await ensure_topics(kafka_settings, ALL_TOPICS)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await admin.start()
    try:
        topics = set(await admin.list_topics())
    finally:
        await admin.close()
    for spec in ALL_TOPICS:
        assert {spec.name, spec.dead_letters} <= topics


async def _consume(settings: KafkaSettings, topic: str, count: int, group: str) -> list[tuple[bytes, bytes]]:
    consumer = make_consumer(settings, topic, group_id=group)
    await consumer.start()
    seen: list[tuple[bytes, bytes]] = []
    try:
        async with asyncio.timeout(60):
            while len(seen) < count:
                batches = await consumer.getmany(timeout_ms=500)
                seen += [(r.key, r.value) for records in batches.values() for r in records]
                await consumer.commit()
    finally:
        await consumer.stop()
    return seen


async def test_ten_thousand_keyed_events_round_trip(kafka_settings: KafkaSettings) -> None:
    spec = TopicSpec(unique_name("roundtrip"), RawEvent, partitions=3)
    await ensure_topics(kafka_settings, [spec])
    events = [canonical_row_event(date(2025, 1, 1), campaign_id=f"c{i}") for i in range(10_000)]
    producer = make_producer(kafka_settings)
    await producer.start()
    try:
        assert await publish(producer, spec, events) == 10_000
    finally:
        await producer.stop()
    seen = await _consume(kafka_settings, spec.name, 10_000, unique_name("g"))
    assert len(seen) == 10_000
    assert {key for key, _ in seen} == {event.idempotency_key.encode() for event in events}
    assert {decode(RawEvent, value).payload["campaign_id"] for _, value in seen} == {
        f"c{i}" for i in range(10_000)
    }


async def test_committed_offsets_resume_without_redelivery(kafka_settings: KafkaSettings) -> None:
    spec = TopicSpec(unique_name("resume"), RawEvent, partitions=1)
    await ensure_topics(kafka_settings, [spec])
    producer = make_producer(kafka_settings)
    await producer.start()
    group = unique_name("g")
    try:
        await publish(
            producer, spec, [canonical_row_event(date(2025, 1, 1), campaign_id=f"a{i}") for i in range(50)]
        )
        first = await _consume(kafka_settings, spec.name, 50, group)
        await publish(
            producer, spec, [canonical_row_event(date(2025, 1, 1), campaign_id=f"b{i}") for i in range(5)]
        )
    finally:
        await producer.stop()
    second = await _consume(kafka_settings, spec.name, 5, group)
    assert len(first) == 50
    assert sorted(decode(RawEvent, v).payload["campaign_id"] for _, v in second) == [
        f"b{i}" for i in range(5)
    ]


async def test_dead_letters_keep_bytes_and_reason(kafka_settings: KafkaSettings) -> None:
    source = unique_name("stage-in")
    await ensure_topics(kafka_settings, [TopicSpec(source, RAW.value_model, partitions=1)])
    producer = make_producer(kafka_settings)
    await producer.start()
    letter = DeadLetter(source, 0, 41, b"key", b"\xff not json", "undecodable RawEvent: bad byte")
    try:
        assert await DeadLetterSink(producer, "normalizer").send_all([letter]) == 1
    finally:
        await producer.stop()
    consumer = make_consumer(kafka_settings, f"{source}.dlq", group_id=unique_name("g"))
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            record = await consumer.getone()
    finally:
        await consumer.stop()
    headers = {name.removeprefix(HEADER_PREFIX): value.decode() for name, value in record.headers}
    assert (record.key, record.value) == (b"key", b"\xff not json")
    assert headers["reason"] == "undecodable RawEvent: bad byte"
    assert (headers["stage"], headers["topic"], headers["offset"]) == ("normalizer", source, "41")
