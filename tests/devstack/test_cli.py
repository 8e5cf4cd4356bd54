"""``liftos broker`` and ``liftos warehouse`` as the real commands a user runs."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pytest

from liftos.settings import KafkaSettings
from liftos.streaming.kafka import make_consumer, make_producer
from liftos_devstack.broker import free_port, wait_for_port
from tests.fixtures.broker import unique_name


def _start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "liftos.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.fixture
def broker_command() -> Iterator[int]:
    port = free_port()
    process = _start("broker", "--port", str(port))
    try:
        wait_for_port("127.0.0.1", port, 15)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) is not None


def test_broker_command_carries_ten_thousand_messages(broker_command: int) -> None:
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{broker_command}")
    topic = unique_name("cli")

    async def round_trip() -> list[bytes]:
        producer = make_producer(settings)
        await producer.start()
        try:
            futures = [await producer.send(topic, f"m{i}".encode()) for i in range(10_000)]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()
        consumer = make_consumer(settings, topic, group_id=unique_name("g"))
        await consumer.start()
        values: list[bytes] = []
        try:
            async with asyncio.timeout(60):
                while len(values) < 10_000:
                    batches = await consumer.getmany(timeout_ms=500)
                    values += [r.value for records in batches.values() for r in records]
        finally:
            await consumer.stop()
        return values

    values = asyncio.run(round_trip())
    assert sorted(values) == sorted(f"m{i}".encode() for i in range(10_000))


def test_warehouse_command_answers_clickhouse_connect(tmp_path: Path) -> None:
    port = free_port()
    process = _start("warehouse", "--port", str(port), "--path", str(tmp_path / "store"))
    try:
        wait_for_port("127.0.0.1", port, 30)
        client = clickhouse_connect.get_client(host="127.0.0.1", port=port)
        assert client.query("SELECT 40 + 2").result_rows == [(42,)]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
