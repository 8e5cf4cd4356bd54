"""A stage whose input topic loses its messages (broker restart, topic recycled) reads the new life of the
topic from its earliest offset instead of skipping up to its old position; against a real Tansu."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from liftos.events import RawEvent
from liftos.settings import KafkaSettings
from liftos.streaming.kafka import ensure_topics, make_producer, publish_raw
from liftos.streaming.messages import Inbound
from liftos.streaming.stage import StageConsumer
from liftos.streaming.topic_probe import TopicProbe
from liftos.topics import TopicSpec
from liftos_devstack.broker import LocalBroker
from tests.fixtures.broker import unique_name


@pytest.fixture(scope="module")
def kafka() -> Iterator[KafkaSettings]:
    """A broker of this module's own: these tests delete and recreate topics."""
    with LocalBroker() as broker:
        yield KafkaSettings(bootstrap_servers=broker.bootstrap_servers)


async def _publish(kafka: KafkaSettings, topic: str, values: list[bytes]) -> None:
    producer = make_producer(kafka)
    await producer.start()
    try:
        await publish_raw(producer, topic, [(value, value) for value in values])
    finally:
        await producer.stop()


async def _until(condition: object, timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("marked", [True, False], ids=["epochs-marked", "no-epochs"])
async def test_a_recreated_input_topic_is_read_from_its_start(kafka: KafkaSettings, marked: bool) -> None:
    spec = TopicSpec(unique_name("reset"), RawEvent, partitions=3)
    wider = TopicSpec(spec.name, RawEvent, partitions=5)
    await ensure_topics(kafka, [spec])
    if marked:
        async with TopicProbe(kafka) as probe:
            await probe.ensure_epochs([spec.name])
    seen: list[bytes] = []

    async def handle(messages: list[Inbound]) -> None:
        seen.extend(message.value or b"" for message in messages)

    stage = StageConsumer(kafka, (spec.name,), unique_name("group"), max_wait_ms=100, reset_check_s=0.5)
    stop = asyncio.Event()
    running = asyncio.create_task(stage.run(handle, stop))
    try:
        await _publish(kafka, spec.name, [f"old-{i}".encode() for i in range(300)])
        await _until(lambda: len(seen) >= 300, 30)

        async with TopicProbe(kafka) as probe:
            await probe.recreate([spec])
            await probe.recreate([wider])  # as Tansu may leave it: another partition count
            if marked:  # what the ingestor does after a recycle: new epochs
                await probe.ensure_epochs([spec.name])
        await asyncio.sleep(1.5)
        fresh = [f"new-{i}".encode() for i in range(30)]  # far fewer than the stage's old positions
        await _publish(kafka, spec.name, fresh)
        await _until(lambda: set(fresh) <= set(seen), 30)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert stage.resets >= 1
    assert sorted(set(seen) - {f"old-{i}".encode() for i in range(300)}) == sorted(fresh)
