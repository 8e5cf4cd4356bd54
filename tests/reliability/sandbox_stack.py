"""A sandbox world served by the emulators, streamed through the embedded stack (as ``liftos demo`` does).

Shared by the crash, API-fault and secrets suites: what the simulator implies the warehouse must hold,
and the effects topic read back per model version.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from clickhouse_connect.driver.client import Client

from liftos.events import EffectUpdate
from liftos.observability import metric_total
from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.codec import decode
from liftos.topics import EFFECTS
from liftos.warehouse.connection import connect
from liftos_devstack.broker import free_port, wait_for_port
from liftos_devstack.demo import service_environment
from liftos_devstack.stack import EmbeddedStack, StackPorts
from liftos_sandbox import World, WorldSpec, simulate_world
from liftos_sandbox.environment import sandbox_argv
from tests.reliability.support import read_topic, stop_process

__all__ = [
    "END",
    "SOURCES",
    "SandboxRun",
    "duplicate_rows",
    "expected_per_channel",
    "sandbox_stack",
    "warehouse_per_channel",
]

END = date(2025, 12, 31)
SOURCES = ("meta", "google_ads", "klaviyo")


@dataclass
class SandboxRun:
    world: World
    start: date
    stack: EmbeddedStack
    sandbox: subprocess.Popen[bytes]
    sandbox_url: str
    log: Path

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=f"127.0.0.1:{self.stack.ports.kafka}")

    def client(self) -> Client:
        return connect(WarehouseSettings(port=self.stack.ports.warehouse))

    def metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.stack.ports.services[service]}/metrics"

    def kill(self, name: str) -> None:
        """``kill -9`` of the stack process ``name`` (its whole process group)."""
        child = next(c for c in self.stack.processes if c.name == name)
        assert child.process is not None and child.process.poll() is None, f"{name} is not running"
        os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait(10)

    def stored(self) -> int:
        """Rows in ``marketing_daily FINAL``."""
        client = self.client()
        try:
            return int(client.query("SELECT count() FROM marketing_daily FINAL").result_rows[0][0])
        finally:
            client.close()

    def polled(self) -> int:
        """Sources whose poll finished since the ingestor (re)started."""
        url = self.metrics_url("ingestor")
        return sum(
            metric_total(url, "liftos_ingestor_polls_total", source=s, outcome="ok") >= 1 for s in SOURCES
        )

    def effects(self, until_version: int, timeout_s: float = 30.0) -> dict[int, list[EffectUpdate]]:
        """Every effect update on the topic by model version, read until ``until_version`` is seen."""

        def seen(records: list[object]) -> bool:
            return any(decode(EffectUpdate, r.value).model_version >= until_version for r in records)  # type: ignore[attr-defined]

        records = asyncio.run(read_topic(self.kafka, EFFECTS.name, done=seen, timeout_s=timeout_s))
        found: dict[int, list[EffectUpdate]] = {}
        for record in records:
            update = decode(EffectUpdate, record.value)
            found.setdefault(update.model_version, []).append(update)
        return found


def expected_per_channel(world: World) -> dict[str, tuple[int, float]]:
    """Rows and spend per channel that the simulator implies (spend converted row by row to the
    reporting currency, as the normalizer does, and the total rounded to the cent)."""
    daily = world.daily
    fx = world.fx_of(daily)
    spend = daily["spend"] * fx
    rows = daily.groupby("channel").size()
    totals = spend.groupby(daily["channel"]).sum()
    return {str(c): (int(rows[c]), round(float(totals[c]), 2)) for c in rows.index}


def duplicate_rows(client: Client) -> int:
    """Natural keys that ``marketing_daily FINAL`` holds more than once (0 when rewrites collapsed)."""
    return int(
        client.query(
            "SELECT count() FROM (SELECT date, source, account_id, campaign_id, ad_group_id, ad_id,"
            " breakdown, count() AS n FROM marketing_daily FINAL GROUP BY ALL HAVING n > 1)"
        ).result_rows[0][0]
    )


def warehouse_per_channel(client: Client) -> dict[str, tuple[int, float]]:
    """Rows and spend per channel in ``marketing_daily FINAL``."""
    rows = client.query("SELECT channel, count(), sum(spend) FROM marketing_daily FINAL GROUP BY channel")
    return {str(c): (int(n), round(float(s), 2)) for c, n, s in rows.result_rows}


#: Serves the emulators with Klaviyo's reports tier replaced by ``limit`` calls per ``seconds`` (plus the
#: documented 1/s burst): the documented 2/minute makes even a 28-day backfill take half an hour.
_SHORT_REPORT_TIER = """
import json, sys
from datetime import date
from liftos_sandbox.emulators import klaviyo_rest as klaviyo
from liftos_sandbox.emulators.ratelimit import Window
a = json.loads(sys.argv[1])
klaviyo.TIERS["REPORT"] = (Window(1, 1.0), Window(a["limit"], a["seconds"]))
from liftos_sandbox.emulators.server import serve
serve(a["port"], "127.0.0.1", a["seed"], a["scenario"], a["fault_rate"], 0.0,
      date.fromisoformat(a["start"]), date.fromisoformat(a["end"]), a["entities"], True)
"""


def _sandbox(
    world: World,
    start: date,
    port: int,
    log: Path,
    fault_rate: float,
    latency_ms: float,
    rate_limits: bool,
    report_window: tuple[int, float] | None = None,
) -> subprocess.Popen[bytes]:
    if report_window is not None:
        arguments = {
            "port": port,
            "seed": world.spec.seed,
            "scenario": world.spec.scenario,
            "fault_rate": fault_rate,
            "start": start.isoformat(),
            "end": END.isoformat(),
            "entities": world.spec.entities_per_channel,
            "limit": report_window[0],
            "seconds": report_window[1],
        }
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-c", _SHORT_REPORT_TIER, json.dumps(arguments)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    spec = WorldSpec(world.spec.seed, world.spec.scenario, start, END, world.spec.entities_per_channel)
    argv = sandbox_argv(port, spec, fault_rate=fault_rate, latency_ms=latency_ms, rate_limits=rate_limits)
    with log.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


@contextmanager
def sandbox_stack(
    data_dir: Path,
    *,
    days: int,
    entities: int,
    seed: int = 5,
    fault_rate: float = 0.0,
    latency_ms: float = 0.0,
    rate_limits: bool = False,
    report_window: tuple[int, float] | None = None,
    extra_env: dict[str, str] | None = None,
    services: tuple[str, ...] = ("ingestor", "normalizer", "enricher", "causal-engine"),
) -> Iterator[SandboxRun]:
    """The emulators of a simulated world plus the embedded stack pointed at them; everything is stopped
    (SIGTERM, then SIGKILL) on exit."""
    start = END - timedelta(days=days - 1)
    world = simulate_world(WorldSpec(seed, "default", start, END, entities))
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    sandbox = _sandbox(
        world, start, port, data_dir / "sandbox.log", fault_rate, latency_ms, rate_limits, report_window
    )
    log = data_dir / "stack.log"
    out: IO[str] = log.open("a")
    try:
        wait_for_port("127.0.0.1", port, 120)
        url = f"http://127.0.0.1:{port}"
        env = service_environment(start, world, url) | (extra_env or {})
        stack = EmbeddedStack(
            data_dir / "stack",
            StackPorts(0, 0, dict.fromkeys(services, 0)),
            env,
            out,
            services=services,
        )
        with stack:
            yield SandboxRun(world, start, stack, sandbox, url, log)
    finally:
        stop_process(sandbox)
        time.sleep(0.1)
        out.close()
