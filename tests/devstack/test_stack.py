"""``liftos up``: the whole embedded stack as real processes, end to end, and a clean shutdown.

The stack runs both stream stages as two replicas each, so the same tests show that replicas share the
partitions and that the rows still land exactly once.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psutil
import pytest

from liftos.errors import ConfigError
from liftos.observability import metric_total
from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.kafka import make_producer, publish
from liftos.topics import RAW
from liftos.warehouse.connection import connect
from liftos_devstack.broker import free_port
from liftos_devstack.stack import EmbeddedStack, StackPorts
from tests.factories import canonical_outcome_event, canonical_row_event

HEALTHY = re.compile(r"all healthy in ([0-9.]+) s")
METRICS_URL = re.compile(r"(normalizer(?:-2)?): (http://127\.0\.0\.1:\d+/metrics)")


class RunningStack:
    def __init__(
        self, process: subprocess.Popen[str], kafka_port: int, warehouse_port: int, log: Path
    ) -> None:
        self.process, self.kafka_port, self.warehouse_port, self.log = (
            process,
            kafka_port,
            warehouse_port,
            log,
        )


@pytest.fixture(scope="module")
def liftos_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    directory = tmp_path_factory.mktemp("stack")
    kafka_port, warehouse_port = free_port(), free_port()
    log = directory / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "liftos.cli",
                "up",
                "--data-dir",
                str(directory / "data"),
                "--kafka-port",
                str(kafka_port),
                "--warehouse-port",
                str(warehouse_port),
                "--service-base-port",
                "0",
                "--replicas",
                "normalizer=2",
                "--replicas",
                "enricher=2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=os.environ | {"COLUMNS": "200"},
        )
    stack = RunningStack(process, kafka_port, warehouse_port, log)
    deadline = time.monotonic() + 90
    while not HEALTHY.search(log.read_text()):
        assert process.poll() is None, log.read_text()[-5000:]
        assert time.monotonic() < deadline, log.read_text()[-5000:]
        time.sleep(0.2)
    yield stack
    if process.poll() is None:
        process.kill()


def test_stack_becomes_healthy_within_a_minute(liftos_up: RunningStack) -> None:
    match = HEALTHY.search(liftos_up.log.read_text())
    assert match is not None and float(match.group(1)) < 60


def test_a_published_raw_event_lands_in_the_warehouse(liftos_up: RunningStack) -> None:
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{liftos_up.kafka_port}")
    day = date(2024, 12, 25)

    async def send() -> None:
        producer = make_producer(kafka)
        await producer.start()
        try:
            await publish(
                producer,
                RAW,
                [
                    canonical_row_event(day, campaign_id="xmas", spend=123.45),
                    canonical_outcome_event(day, revenue=5000.0),
                ],
            )
        finally:
            await producer.stop()

    asyncio.run(send())
    client = connect(WarehouseSettings(port=liftos_up.warehouse_port))
    deadline = time.monotonic() + 60
    rows: list[tuple[object, ...]] = []
    while time.monotonic() < deadline and not rows:
        rows = client.query(
            "SELECT campaign_id, spend, is_holiday, holiday_name, day_of_week FROM marketing_daily FINAL"
            " WHERE campaign_id = 'xmas'"
        ).result_rows
        time.sleep(0.3)
    assert rows == [("xmas", 123.45, True, "Christmas Day", 2)], liftos_up.log.read_text()[-3000:]
    outcome = client.query("SELECT revenue FROM store_outcomes FINAL WHERE date = '2024-12-25'").result_rows
    assert outcome == [(5000.0,)]


def test_replicas_share_the_partitions_and_rows_land_once(liftos_up: RunningStack) -> None:
    log = liftos_up.log.read_text()
    assert "normalizer-2 healthy" in log and "enricher-2 healthy" in log  # healthy = owns partitions
    urls = dict(METRICS_URL.findall(log))
    assert set(urls) == {"normalizer", "normalizer-2"}, log[-3000:]
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{liftos_up.kafka_port}")
    events = [canonical_row_event(date(2024, 6, 1), campaign_id=f"replica-{i}", spend=1.0) for i in range(60)]

    async def send() -> None:
        producer = make_producer(kafka)
        await producer.start()
        try:
            await publish(producer, RAW, events)
        finally:
            await producer.stop()

    asyncio.run(send())
    client = connect(WarehouseSettings(port=liftos_up.warehouse_port))
    deadline, count = time.monotonic() + 60, 0
    while time.monotonic() < deadline and count < len(events):
        count = client.query(
            "SELECT count() FROM marketing_daily WHERE campaign_id LIKE 'replica-%'"
        ).result_rows[0][0]
        time.sleep(0.3)
    assert count == len(events)  # without FINAL: no replica wrote a row twice
    consumed = {name: metric_total(url, "liftos_normalizer_messages_in_total") for name, url in urls.items()}
    assert all(value > 0 for value in consumed.values()), consumed


def test_only_stream_stages_scale() -> None:
    with pytest.raises(ConfigError, match="single writer"):
        EmbeddedStack(Path("unused"), replicas={"causal-engine": 2})
    with pytest.raises(ConfigError, match="at least 1"):
        EmbeddedStack(Path("unused"), replicas={"normalizer": 0})
    with pytest.raises(ConfigError, match="not in this stack"):
        EmbeddedStack(Path("unused"), services=("normalizer",), replicas={"enricher": 2})
    stack = EmbeddedStack(
        Path("unused"),
        StackPorts(0, 0, {"normalizer": 0}),
        services=("normalizer",),
        replicas={"normalizer": 3},
    )
    assert [child.name for child in stack.processes] == [
        "broker", "warehouse", "normalizer", "normalizer-2", "normalizer-3"
    ]  # fmt: skip
    assert len({child.port for child in stack.processes}) == 5
    assert len({child.env["LIFTOS_DATA_DIR"] for child in stack.processes[2:]}) == 3


def test_sigterm_stops_everything_with_no_stray_process(liftos_up: RunningStack) -> None:
    children = psutil.Process(liftos_up.process.pid).children(recursive=True)
    assert len(children) >= 8  # broker, warehouse, four services, a second normalizer and enricher
    liftos_up.process.send_signal(signal.SIGTERM)
    assert liftos_up.process.wait(60) == 0, liftos_up.log.read_text()[-3000:]
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], [p.info for p in alive]
