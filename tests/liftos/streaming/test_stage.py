"""The stage consumer's bookkeeping that needs no broker: lag of moved partitions, collector settings."""

from __future__ import annotations

import gc

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Gauge

from liftos.settings import KafkaSettings
from liftos.streaming.stage import STAGE_GC_THRESHOLDS, StageConsumer, settle_heap


class _Consumer:
    """What ``_record_lag`` reads from an aiokafka consumer: high watermarks and the assignment."""

    def __init__(self, assignment: set[TopicPartition]) -> None:
        self.owned = assignment

    def highwater(self, tp: TopicPartition) -> int:
        assert tp in self.owned, "Partition is not assigned"  # as aiokafka's consumer does
        return 100 + tp.partition

    def assignment(self) -> set[TopicPartition]:
        return self.owned


def _lag(gauge: Gauge) -> dict[str, float]:
    return {
        sample.labels["partition"]: sample.value for metric in gauge.collect() for sample in metric.samples
    }


def test_lag_of_partitions_moved_to_another_replica_is_dropped() -> None:
    gauge = Gauge("lag", "test", ["topic", "partition"], registry=CollectorRegistry())
    stage = StageConsumer(KafkaSettings(), ("raw",), "group", lag=gauge)
    p0, p1 = TopicPartition("raw", 0), TopicPartition("raw", 1)
    consumer = _Consumer({p0, p1})
    stage._record_lag(consumer, {p0: 90, p1: 101})  # type: ignore[arg-type]
    assert _lag(gauge) == {"0": 10.0, "1": 0.0}
    consumer.owned = {p1}  # a rebalance gave partition 0 to another replica
    stage._record_lag(consumer, {p1: 95})  # type: ignore[arg-type]
    assert _lag(gauge) == {"1": 6.0}


def test_lag_skips_a_fetched_partition_the_consumer_lost_before_the_commit() -> None:
    """A reset or rebalance between the fetch and the commit takes the batch's partition away: the
    stage must not ask for its watermark (aiokafka asserts, and the stage would crash)."""
    gauge = Gauge("lag", "test", ["topic", "partition"], registry=CollectorRegistry())
    stage = StageConsumer(KafkaSettings(), ("raw",), "group", lag=gauge)
    p0, p1 = TopicPartition("raw", 0), TopicPartition("raw", 1)
    stage._record_lag(_Consumer({p1}), {p0: 90, p1: 95})  # type: ignore[arg-type]
    assert _lag(gauge) == {"1": 6.0}


def test_settle_heap_freezes_start_up_objects_and_raises_thresholds() -> None:
    before = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_threshold() == STAGE_GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
