"""The ingestor's landing tracker against a real Tansu: checkpoints land through both stage groups, a
broker that lost the topics rewinds the cursors, drained topics are recycled.

The stage groups' progress is their committed offsets, committed here as the stages would."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import structlog
from aiokafka import TopicPartition

from liftos.integrations.cursors import CursorState, CursorStore
from liftos.observability import Logger
from liftos.settings import KafkaSettings
from liftos.streaming.kafka import ensure_topics, make_consumer, make_producer, publish_raw
from liftos.streaming.topic_probe import TopicProbe
from liftos.topics import ALL_TOPICS, ENRICHED, NORMALIZED, OUTCOMES, RAW
from liftos_devstack.broker import LocalBroker
from liftos_ingestor.landing_tracker import LandingTracker, PublishGate, TopicsReset
from liftos_ingestor.settings import IngestorSettings


@pytest.fixture
def kafka() -> Iterator[KafkaSettings]:
    """A broker of each test's own: the tracker deletes the pipeline's topics."""
    with LocalBroker() as broker:
        yield KafkaSettings(bootstrap_servers=broker.bootstrap_servers)


def _settings(kafka: KafkaSettings, tmp_path: Path, recycle_after: int = 0) -> IngestorSettings:
    return IngestorSettings(
        kafka=kafka, data_dir=tmp_path, recycle_topics_after=recycle_after, recycle_settle_s=0.0
    )


def _state(day: date) -> CursorState:
    return CursorState(source="meta", account="act_1", stream="insights", cursor=day)


async def _publish(kafka: KafkaSettings, topic: str, count: int) -> None:
    producer = make_producer(kafka)
    await producer.start()
    try:
        await publish_raw(producer, topic, [(f"{topic}-{i}".encode(), b"{}") for i in range(count)])
    finally:
        await producer.stop()


async def _commit_to_end(kafka: KafkaSettings, group: str, topics: tuple[str, ...]) -> None:
    """What a stage does once it has passed on everything: commit every partition's end."""
    async with TopicProbe(kafka) as probe:
        ends = await probe.end_offsets(await probe.partitions(topics))
    consumer = make_consumer(kafka, group_id=group)
    await consumer.start()
    try:
        offsets = {TopicPartition(topic, partition): end for (topic, partition), end in ends.items()}
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def _stages_pass_everything_on(kafka: KafkaSettings, settings: IngestorSettings) -> None:
    await _commit_to_end(kafka, settings.normalizer_group, (RAW.name,))
    await _commit_to_end(kafka, settings.enricher_group, (NORMALIZED.name, OUTCOMES.name))


async def _tracker(settings: IngestorSettings) -> tuple[LandingTracker, CursorStore, PublishGate]:
    await ensure_topics(settings.kafka, ALL_TOPICS)
    store, gate = CursorStore(settings.data_dir / "cursors.json"), PublishGate()
    log: Logger = structlog.get_logger("test")
    tracker = LandingTracker(settings, store, gate, log)
    await tracker.reconcile()
    return tracker, store, gate


async def test_a_checkpoint_lands_once_both_stages_have_passed_it_on(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka, tmp_path)
    tracker, store, _ = await _tracker(settings)
    store.commit(_state(date(2025, 3, 1)))
    await _publish(kafka, RAW.name, 50)

    assert await tracker.step() == "waiting"  # the normalizer has not consumed the raw records
    await _commit_to_end(kafka, settings.normalizer_group, (RAW.name,))
    await _publish(kafka, NORMALIZED.name, 40)  # what it produced from them
    assert await tracker.step() == "waiting"  # the enricher has not written them
    assert store.landed() == {}
    await _commit_to_end(kafka, settings.enricher_group, (NORMALIZED.name, OUTCOMES.name))
    assert await tracker.step() == "landed"
    assert store.landed() == store.snapshot()
    assert await tracker.step() == "idle"  # nothing new


async def test_a_broker_that_lost_the_topics_rewinds_the_cursors_and_stops_publishing_polls(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka, tmp_path)
    tracker, store, gate = await _tracker(settings)
    store.commit(_state(date(2025, 3, 1)))
    await _stages_pass_everything_on(kafka, settings)
    assert await tracker.step() == "landed"
    store.commit(_state(date(2025, 6, 1)))  # published, not landed
    epochs = store.epochs

    aborted: list[BaseException] = []

    async def poll() -> None:  # a poll publishing page after page
        async with gate.publishing():
            try:
                while True:
                    gate.check()
                    await asyncio.sleep(0.05)
            except TopicsReset as error:
                aborted.append(error)

    polling = asyncio.create_task(poll())
    async with TopicProbe(kafka) as probe:  # what a restarted memory broker looks like
        await probe.recreate([RAW, NORMALIZED, OUTCOMES])
    assert await tracker.step() == "reset"
    await asyncio.wait_for(polling, 5)
    assert aborted, "the publishing poll was not stopped"
    assert store.load("meta", "act_1", "insights").cursor == date(2025, 3, 1)
    assert set(store.epochs) == set(epochs) and all(store.epochs[t] != epochs[t] for t in epochs)
    assert CursorStore(tmp_path / "cursors.json").snapshot() == store.landed()  # durable
    assert await tracker.step() == "idle"


async def test_drained_topics_are_recycled_once_everything_landed(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka, tmp_path, recycle_after=100)
    tracker, store, _ = await _tracker(settings)
    store.commit(_state(date(2025, 3, 1)))
    await _publish(kafka, RAW.name, 80)
    await _publish(kafka, NORMALIZED.name, 60)
    await _publish(kafka, ENRICHED.name, 60)
    await _stages_pass_everything_on(kafka, settings)
    downstream = "a-dashboard"  # a consumer of the enriched topic that is behind holds the recycle back
    consumer = make_consumer(kafka, group_id=downstream)
    await consumer.start()
    consumer.assign([TopicPartition(ENRICHED.name, 0)])
    await consumer.commit({TopicPartition(ENRICHED.name, 0): 0})
    await consumer.stop()
    assert await tracker.step() == "landed"
    assert await tracker.step() == "idle"

    await _commit_to_end(kafka, downstream, (ENRICHED.name,))
    epochs = store.epochs
    assert await tracker.step() == "recycled"
    async with TopicProbe(kafka) as probe:
        ends = await probe.end_offsets(await probe.partitions(t.name for t in (RAW, NORMALIZED, ENRICHED)))
        assert sum(ends.values()) == 0
        assert await probe.misshapen(ALL_TOPICS) == []  # each with its own partition count
        assert await probe.epochs(store.epochs) == store.epochs != epochs
    assert store.load("meta", "act_1", "insights").cursor == date(2025, 3, 1)  # no rewind
    assert await tracker.step() == "idle"
