"""A stream stage's consume loop: batches from Kafka, a handler that delivers them, then the commit.

Faust agents process one event at a time through several asyncio hand-offs; measured here, that capped
the normalizer at about 6k messages/s while a plain aiokafka consumer read the same topic at about
200k/s. So a stage reads with :meth:`AIOKafkaConsumer.getmany` in batches and hands each batch to its
handler, which must publish every output and wait for the broker's acknowledgements before returning.
Only then are the batch's offsets committed: a crash or rebalance in between redelivers the batch
(at-least-once), and the idempotent sinks absorb the repeat.

A broker can lose a topic's messages and start its offsets at 0 again (the embedded Tansu keeps them in
memory; a topic can be deleted and recreated): a stage's position would then point past records it
never saw, and it would skip them. So after every commit, and every ``reset_check_s`` when idle, a stage
compares its input topics' epochs (:mod:`liftos.streaming.topic_probe`) with those it started with, and
a high watermark below its position also counts: on a change it reads the topic again from its earliest
offset (committing that position, in case a commit of the old life reached the new one) and does not
commit the batches fetched before it.

A batch allocates hundreds of thousands of short-lived objects, and with CPython's default collector
thresholds (a young collection every 700 allocations, full ones traversing every module the service
imported) garbage collection took about 40 % of the normalizer's time. A stage therefore freezes its
start-up heap and collects less often (:func:`settle_heap`): measured with
``bench/normalizer_throughput.py``, 14.6k → 26.2k messages/s, the same as with collection disabled.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError
from prometheus_client import Gauge

from liftos.observability import Logger
from liftos.settings import KafkaSettings
from liftos.streaming.kafka import make_consumer
from liftos.streaming.messages import Inbound
from liftos.streaming.topic_probe import EPOCH_GROUP, read_epochs

__all__ = ["BatchHandler", "StageConsumer", "settle_heap"]

#: Collector thresholds of a running stage: young collections every 50,000 net allocations (instead
#: of 700); the older generations at the interpreter's usual ratios but less eagerly.
STAGE_GC_THRESHOLDS = (50_000, 20, 100)

#: Delivers one batch; returns only when every output is acknowledged (or raises to stop the stage).
BatchHandler = Callable[[list[Inbound]], Coroutine[Any, Any, None]]
#: How often a stage refreshes the cluster's metadata (ms): a recreated topic's partitions are picked
#: up within this time (aiokafka's default is 5 minutes).
_METADATA_MAX_AGE_MS = 10_000
#: Longest wait for the commit that follows a reset (seconds).
_RESET_COMMIT_TIMEOUT_S = 2.0
#: A batch in hand: its delivery, the offsets to commit after it, and the reset generation it was
#: fetched in (a batch fetched before a reset of its topic is never committed).
_Pending = tuple[asyncio.Task[None], dict[TopicPartition, int], int]


def settle_heap() -> None:
    """Move every object alive now (modules, settings, clients) out of the collector's reach and raise
    the collection thresholds to :data:`STAGE_GC_THRESHOLDS`.

    Call once, after start-up. Cyclic garbage is still collected, just in larger, rarer sweeps.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*STAGE_GC_THRESHOLDS)


def _inbound(record: ConsumerRecord[bytes, bytes]) -> Inbound:
    return Inbound(record.topic, record.partition, record.offset, record.key, record.value)


class StageConsumer:
    """Consumes ``topics`` as group ``group_id`` and feeds batches to a handler until stopped.

    ``lag``, when given, is a gauge labelled ``topic, partition`` set after every batch to the
    messages still behind the partition's high watermark.

    Up to ``max_in_flight`` batches are handled at once, so the next batch is decoded and mapped while
    the previous one waits for its acknowledgements; offsets are still committed strictly in batch
    order, each only after its own batch (and every earlier one) was delivered.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        topics: tuple[str, ...],
        group_id: str,
        *,
        max_records: int = 5_000,
        max_wait_ms: int = 200,
        log: Logger | None = None,
        lag: Gauge | None = None,
        max_in_flight: int = 2,
        reset_check_s: float = 1.0,
    ) -> None:
        self.kafka = kafka
        self._topics = topics
        self._group_id = group_id
        self._consumer: AIOKafkaConsumer | None = None
        self._max_records = max_records
        self._max_wait_ms = max_wait_ms
        self._log = log
        self._lag = lag
        self._max_in_flight = max_in_flight
        self._lag_partitions: set[TopicPartition] = set()
        self._reset_check_s = reset_check_s
        self._epochs: dict[str, int | None] = {}
        self._generation = 0
        self.resets = 0
        self.started = False

    def assigned(self) -> bool:
        """Whether the group has given this consumer its partitions (readiness)."""
        return self._consumer is not None and self.started and bool(self._consumer.assignment())

    async def run(self, handle: BatchHandler, stop: asyncio.Event) -> None:
        """Consume, handle and commit batches until ``stop`` is set (then leave the group cleanly)."""
        consumer = self._consumer = make_consumer(
            self.kafka,
            *self._topics,
            group_id=self._group_id,
            max_poll_records=self._max_records,
            fetch_max_wait_ms=self._max_wait_ms,
            metadata_max_age_ms=_METADATA_MAX_AGE_MS,
        )
        reader = make_consumer(self.kafka, group_id=EPOCH_GROUP)  # reads the epochs, never consumes
        await consumer.start()
        await reader.start()
        self._epochs = await read_epochs(reader, self._topics)
        settle_heap()
        self.started = True
        pending: deque[_Pending] = deque()
        checked = time.monotonic()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=self._max_wait_ms, max_records=self._max_records)
                if batches:
                    messages = [_inbound(record) for records in batches.values() for record in records]
                    offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
                    pending.append((asyncio.create_task(handle(messages)), offsets, self._generation))
                while pending and (pending[0][0].done() or len(pending) >= self._max_in_flight):
                    await self._settle(consumer, reader, *pending.popleft())
                    checked = time.monotonic()
                if time.monotonic() - checked >= self._reset_check_s:
                    await self._check_reset(consumer, reader)
                    checked = time.monotonic()
            while pending:  # stopping: finish and commit what is already in hand
                await self._settle(consumer, reader, *pending.popleft())
        finally:
            for task, _, _ in pending:
                task.cancel()
            self.started = False
            await reader.stop()
            await consumer.stop()

    async def _settle(
        self,
        consumer: AIOKafkaConsumer,
        reader: AIOKafkaConsumer,
        task: asyncio.Task[None],
        offsets: dict[TopicPartition, int],
        generation: int,
    ) -> None:
        """Wait for one batch's delivery (a handler error stops the stage), then commit its offsets,
        unless its topic was reset since it was fetched; then look for a reset (the commit may have
        reached a broker that restarted)."""
        await task
        if generation != self._generation:
            return
        await self._commit(consumer, offsets)
        await self._check_reset(consumer, reader)
        self._record_lag(consumer, offsets)

    async def _check_reset(self, consumer: AIOKafkaConsumer, reader: AIOKafkaConsumer) -> None:
        """Read reset topics again from the beginning (see the module doc)."""
        epochs = await read_epochs(reader, self._topics)
        reset = {topic for topic in self._topics if epochs[topic] != self._epochs.get(topic)}
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None and highwater < await consumer.position(tp):
                reset.add(tp.topic)
        self._epochs = epochs
        if not reset:
            return
        self._generation += 1
        self.resets += 1
        partitions = [tp for tp in consumer.assignment() if tp.topic in reset]
        if partitions:
            await consumer.seek_to_beginning(*partitions)
            # Best effort: while the topic is being recreated (or the group rebalances) this fails, and
            # the stage's next commit overwrites any offset of the old life anyway.
            with suppress(KafkaError, TimeoutError):
                await asyncio.wait_for(consumer.commit(dict.fromkeys(partitions, 0)), _RESET_COMMIT_TIMEOUT_S)
        # Join the group again: its assignment may have been computed while the broker had created the
        # topic with another partition count (Tansu does, for any client that asks), and aiokafka does
        # not rebalance when the count changes back; a partition nobody owns would never be read.
        consumer.unsubscribe()
        consumer.subscribe(list(self._topics))
        if self._log is not None:
            self._log.warning(
                "input topics were reset (broker restarted or topics recycled): reading them again "
                "from their earliest offset",
                topics=sorted(reset),
            )

    def _record_lag(self, consumer: AIOKafkaConsumer, next_offsets: dict[TopicPartition, int]) -> None:
        """Messages behind each partition's high watermark (from fetch responses, exact on Tansu).

        Partitions this consumer no longer owns (moved to another replica by a rebalance) drop out of
        the gauge, so summing the lag over replicas never counts a partition twice.
        """
        if self._lag is None:
            return
        for tp, offset in next_offsets.items():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                self._lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - offset))
                self._lag_partitions.add(tp)
        for tp in self._lag_partitions - consumer.assignment():
            self._lag.remove(tp.topic, str(tp.partition))
            self._lag_partitions.discard(tp)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, RebalanceInProgressError) as error:
            # Partitions moved while the batch was handled: its outputs are delivered and the new owner
            # will redeliver it; the idempotent sinks make the repeat harmless.
            if self._log is not None:
                self._log.warning("commit skipped after rebalance", error=repr(error))
