"""What the cluster says about topics right now: exact end offsets, consumer groups' committed offsets,
topic epochs, and recycling a topic.

A **topic epoch** identifies one life of a topic's offsets. A broker that lost its data (the embedded
Tansu keeps messages in memory) or a deleted and recreated topic starts counting offsets at 0 again, and
an offset remembered from before means nothing after. So the ingestor marks each topic it watches with a
random number, committed as the "offset" of partition 0 in the consumer group :data:`EPOCH_GROUP`: the
broker forgets it exactly when it forgets the topic's offsets (a restart of a memory broker, a topic
deletion). A different or missing epoch means "everything you knew about this topic's offsets is void".
The ingestor creates and refreshes the marks (a group's offsets expire on Kafka after
``offsets.retention.minutes`` without a commit); stream stages only read them.

End offsets come from a fetch's high watermark: Tansu answers ``ListOffsets(latest)`` with the base
offset of the last batch + 1, short of the true end.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from liftos.errors import TransientError
from liftos.integrations.landing import Partition
from liftos.settings import KafkaSettings
from liftos.streaming.kafka import client_options, ensure_topics, make_consumer
from liftos.topics import TopicSpec

__all__ = ["EPOCH_GROUP", "TopicProbe", "new_epoch", "read_epochs"]

#: The consumer group whose committed offsets are the topics' epochs (never joined, never consumed).
EPOCH_GROUP = "liftos.offset-epochs"


async def read_epochs(reader: AIOKafkaConsumer, topics: Iterable[str]) -> dict[str, int | None]:
    """Each topic's epoch through ``reader``, a started consumer of group :data:`EPOCH_GROUP`."""
    return {topic: await reader.committed(TopicPartition(topic, 0)) for topic in topics}


def new_epoch() -> int:
    """A random epoch: positive, below 2**62 (a committed offset is a signed 64-bit number)."""
    return secrets.randbelow(2**62 - 1) + 1


class TopicProbe:
    """Short-lived questions to the cluster; each call opens and closes its own clients.

    ``async with TopicProbe(settings) as probe: ...`` keeps one admin client for the block.
    """

    def __init__(self, settings: KafkaSettings, client_suffix: str = "probe") -> None:
        self._settings = settings
        self._suffix = client_suffix
        self._admin: AIOKafkaAdminClient | None = None

    async def __aenter__(self) -> TopicProbe:
        self._admin = AIOKafkaAdminClient(
            **client_options(self._settings), client_id=f"{self._settings.client_id}-{self._suffix}"
        )
        await self._admin.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    def _consumer(self, group_id: str | None) -> AIOKafkaConsumer:
        options: dict[str, Any] = {"fetch_max_wait_ms": 50}
        if group_id is None:
            return AIOKafkaConsumer(
                **client_options(self._settings),
                client_id=f"{self._settings.client_id}-{self._suffix}",
                enable_auto_commit=False,
                **options,
            )
        return make_consumer(self._settings, group_id=group_id, **options)

    async def partitions(self, topics: Iterable[str]) -> list[Partition]:
        """Every partition of ``topics`` that exist (a missing topic has none)."""
        assert self._admin is not None, "use TopicProbe as an async context manager"
        wanted = list(topics)
        described = await self._admin.describe_topics(wanted)
        found: list[Partition] = []
        for topic in described:
            if topic.get("error_code", 0) == 0:
                found += [(topic["topic"], part["partition"]) for part in topic.get("partitions", [])]
        return sorted(found)

    async def end_offsets(
        self, partitions: Sequence[Partition], timeout_s: float = 10.0
    ) -> dict[Partition, int]:
        """The exact end offset (high watermark) of each partition, read from a fetch response."""
        if not partitions:
            return {}
        consumer = self._consumer(None)
        await consumer.start()
        try:
            tps = [TopicPartition(topic, partition) for topic, partition in partitions]
            consumer.assign(tps)
            latest = await consumer.end_offsets(tps)  # at or below the end: fetch from just before it
            for tp in tps:
                consumer.seek(tp, max(latest[tp] - 1, 0))
            async with asyncio.timeout(timeout_s):
                while any(consumer.highwater(tp) is None for tp in tps):
                    await consumer.getmany(timeout_ms=100, max_records=1)
            return {(tp.topic, tp.partition): int(consumer.highwater(tp)) for tp in tps}
        finally:
            await consumer.stop()

    async def committed(self, group: str, partitions: Sequence[Partition]) -> dict[Partition, int | None]:
        """``group``'s committed offset of each partition (None: never committed, or forgotten)."""
        if not partitions:
            return {}
        consumer = self._consumer(group)
        await consumer.start()
        try:
            return {(t, p): await consumer.committed(TopicPartition(t, p)) for t, p in partitions}
        finally:
            await consumer.stop()

    async def groups(self) -> list[str]:
        """Every consumer group the cluster knows."""
        assert self._admin is not None, "use TopicProbe as an async context manager"
        return sorted(str(group[0]) for group in await self._admin.list_consumer_groups())

    async def epochs(self, topics: Iterable[str]) -> dict[str, int | None]:
        """Each topic's epoch (None: not marked, or forgotten with the topic's offsets)."""
        reader = self._consumer(EPOCH_GROUP)
        await reader.start()
        try:
            return await read_epochs(reader, topics)
        finally:
            await reader.stop()

    async def mark_epochs(self, epochs: Mapping[str, int]) -> dict[str, int | None]:
        """Commit ``epochs`` (creating or refreshing the marks), then read them back."""
        consumer = self._consumer(EPOCH_GROUP)
        await consumer.start()
        try:
            marks = {
                TopicPartition(topic, 0): OffsetAndMetadata(epoch, "") for topic, epoch in epochs.items()
            }
            consumer.assign(list(marks))
            await consumer.commit(marks)
        finally:
            await consumer.stop()
        return await self.epochs(epochs)

    async def ensure_epochs(self, topics: Iterable[str]) -> dict[str, int]:
        """Each topic's epoch, marking those without one with a new epoch (and refreshing the others)."""
        current = await self.epochs(topics)
        wanted = {topic: epoch or new_epoch() for topic, epoch in current.items()}
        marked = await self.mark_epochs(wanted)
        return {topic: epoch or wanted[topic] for topic, epoch in marked.items()}

    async def recreate(self, specs: Sequence[TopicSpec], attempts: int = 5) -> None:
        """Delete ``specs``' topics and create them again, empty (their dead-letter topics are kept).

        Every consumer group's offsets of those topics are forgotten with them, and so are their epochs.
        A client's metadata request between the deletion and the creation makes Tansu create a topic
        itself, with 4 partitions (a producer with older metadata then writes to partitions its
        consumers never get): a topic that comes back with another partition count is deleted and
        created again.

        Raises:
            TransientError: a topic still had the wrong partition count after ``attempts`` tries.
        """
        assert self._admin is not None, "use TopicProbe as an async context manager"
        pending = list(specs)
        for _ in range(attempts):
            await self._admin.delete_topics([spec.name for spec in pending])
            await ensure_topics(self._settings, pending)
            pending = await self.misshapen(pending)
            if not pending:
                return
            await asyncio.sleep(0.2)
        raise TransientError(f"topics keep coming back with the wrong partition count: {pending}")

    async def misshapen(self, specs: Sequence[TopicSpec]) -> list[TopicSpec]:
        """The topics of ``specs`` whose partition count is not the spec's."""
        found = await self.partitions(spec.name for spec in specs)
        return [spec for spec in specs if sum(topic == spec.name for topic, _ in found) != spec.partitions]
