"""Helpers shared by the reliability suites: service processes, bounded waits, metric scrapes, topic reads."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aiokafka import ConsumerRecord, TopicPartition

from liftos.observability import metric_total
from liftos.settings import KafkaSettings
from liftos.streaming.kafka import make_consumer

__all__ = [
    "ServiceProcess",
    "http_ok",
    "metric_total",
    "read_topic",
    "start_service",
    "stop_process",
    "wait_for_equal",
    "wait_until",
]

T = TypeVar("T")

_MODULES = {
    "ingestor": "liftos_ingestor",
    "normalizer": "liftos_normalizer",
    "enricher": "liftos_enricher",
    "causal-engine": "liftos_causal_engine",
}


@dataclass
class ServiceProcess:
    """A LiftOS service started by a test, with its log file and metrics port."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_service(name: str, env: Mapping[str, str], port: int, log: Path) -> ServiceProcess:
    """``python -m <service module>`` in its own process group, output to ``log``."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", _MODULES[name]],
            env=os.environ | dict(env) | {"LIFTOS_OBSERVABILITY__PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ServiceProcess(name, process, port, log)


def stop_process(process: subprocess.Popen[bytes], grace_s: float = 15.0) -> None:
    """SIGTERM the process group, SIGKILL after ``grace_s``; never raises for a gone process."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def http_ok(url: str) -> bool:
    """Whether ``url`` answers 200 right now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_until(condition: Callable[[], T], timeout_s: float, what: str, interval_s: float = 0.2) -> T:
    """Poll ``condition`` until it returns something truthy (returned); fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def wait_for_equal(
    current: Callable[[], T], expected: T, timeout_s: float, what: str, stable_s: float = 45.0
) -> None:
    """Poll ``current()`` until it equals ``expected``; fail after ``timeout_s``, or as soon as the value
    has not changed for ``stable_s`` (the stream has settled on a wrong answer)."""
    deadline = time.monotonic() + timeout_s
    last, since = current(), time.monotonic()
    while last != expected:
        now = time.monotonic()
        if now > deadline or now - since > stable_s:
            raise AssertionError(
                f"{what}: expected {expected!r}, got {last!r} (unchanged for {now - since:.0f} s)"
            )
        time.sleep(1.0)
        value = current()
        if value != last:
            last, since = value, time.monotonic()


async def read_topic(
    kafka: KafkaSettings,
    topic: str,
    *,
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout_s: float,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` from the beginning, read until ``done(records)`` or ``timeout_s``.

    Reads with manual assignment (no group), so it never disturbs the stages' consumer groups.
    """
    consumer = make_consumer(kafka, group_id=f"reader-{time.time_ns()}", enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        partitions = consumer.partitions_for_topic(topic)
        deadline = time.monotonic() + 10
        while not partitions and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()  # topic created after start
            partitions = consumer.partitions_for_topic(topic)
        assignment = [TopicPartition(topic, p) for p in sorted(partitions or ())]
        consumer.assign(assignment)
        await consumer.seek_to_beginning(*assignment)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for batch in batches.values():
                records.extend(batch)
            if done(records):
                break
    finally:
        await consumer.stop()
    return records
