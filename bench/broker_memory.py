"""Broker memory over a long run: a year of daily polls through the embedded stack, with and without
recycling drained topics.

Usage: .venv/bin/python bench/broker_memory.py [--days 365] [--entities 16] [--recycle-after 100000]
       [--no-recycle]

Tansu, the embedded broker, keeps every message in memory. ``liftos up`` bounds it: once the pipeline
has landed everything (LiftOS's landing checkpoints) and every consumer group has committed every
message, the ingestor deletes and recreates the raw, normalized, outcomes and enriched topics
(``LIFTOS_RECYCLE_TOPICS_AFTER`` messages at least; the stack sets 100,000).

The bench serves a simulated business for ``--days`` days through the sandbox emulators, runs the
normalizer and enricher as the embedded stack's processes, and plays the ingestor in this process with
its own Poller and LandingTracker: one poll of the three sources per simulated day (each re-reading the
sources' lookback windows, 7 to 30 days, as a daily ingestor does), then landing checks until the day
has landed. It prints the broker's resident memory (RSS) every 30 days and at the end: its peak, the
recycles, the messages published, and whether the warehouse holds exactly the simulator's rows (nothing
lost to a recycle).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psutil
import structlog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the reliability suite's helpers (the simulator's truth per channel)

from liftos.observability import Logger  # noqa: E402
from liftos.settings import KafkaSettings, WarehouseSettings  # noqa: E402
from liftos.warehouse.connection import connect  # noqa: E402
from liftos_devstack.broker import free_port, wait_for_port  # noqa: E402
from liftos_devstack.demo import _service_environment  # noqa: E402
from liftos_devstack.stack import RECYCLE_TOPICS_AFTER, EmbeddedStack, StackPorts  # noqa: E402
from liftos_ingestor.landing_tracker import StepOutcome  # noqa: E402
from liftos_ingestor.metrics import IngestorHooks  # noqa: E402
from liftos_ingestor.polling import make_connector, running_poller  # noqa: E402
from liftos_ingestor.settings import IngestorSettings  # noqa: E402
from liftos_sandbox import WorldSpec, simulate_world  # noqa: E402
from liftos_sandbox.environment import sandbox_argv  # noqa: E402
from tests.reliability.sandbox_stack import expected_per_channel, warehouse_per_channel  # noqa: E402

END = date(2025, 12, 31)
SEED = 11
SOURCES = ("meta", "google_ads", "klaviyo")


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def _daily_polls(
    settings: IngestorSettings, start: date, days: int, broker_pid: int, log: Logger
) -> tuple[list[float], int, int]:
    """One poll per simulated day, each followed by landing checks until it landed; returns the broker's
    RSS after each day (MB), the recycles and the records published."""
    hooks = IngestorHooks()
    connectors = [make_connector(source, settings, hooks) for source in SOURCES]
    rss: list[float] = []
    recycles = published = 0
    try:
        async with running_poller(settings, hooks, log, "bench") as (poller, tracker):
            for day in range(days):
                today = start + timedelta(days=day)
                for connector in connectors:
                    published += sum(r.records for r in await poller.poll(connector, start, today))
                outcome: StepOutcome = "waiting"
                deadline = time.monotonic() + 120
                while outcome in ("waiting", "landed", "unreachable") and time.monotonic() < deadline:
                    outcome = await tracker.step()
                    await asyncio.sleep(0.2 if outcome == "waiting" else 0)
                recycles += outcome == "recycled"
                rss.append(_rss_mb(broker_pid))
                if (day + 1) % 30 == 0 or day + 1 == days:
                    print(
                        f"day {day + 1:>4}: broker RSS {rss[-1]:7.1f} MB (peak {max(rss):7.1f}), "
                        f"{published:>9,} records published, {recycles} recycles",
                        flush=True,
                    )
    finally:
        for connector in connectors:
            await connector.aclose()
    return rss, recycles, published


def main(days: int, entities: int, recycle_after: int) -> None:
    start = END - timedelta(days=days - 1)
    world = simulate_world(WorldSpec(SEED, "default", start, END, entities))
    port = free_port()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.basicConfig(level=logging.WARNING)
    url = f"http://127.0.0.1:{port}"
    environment = _service_environment(start, world, url)
    os.environ.update(
        {
            k: v
            for k, v in environment.items()
            if k.startswith(("LIFTOS_META", "LIFTOS_GOOGLE", "LIFTOS_KLAVIYO"))
        }
    )
    sandbox = subprocess.Popen(
        sandbox_argv(port, world.spec), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    print(f"{days} daily polls, {entities} entities per channel, recycle after {recycle_after or 'never'}")
    try:
        wait_for_port("127.0.0.1", port, 180)
        with tempfile.TemporaryDirectory() as directory, open(os.devnull, "w") as quiet:
            stack = EmbeddedStack(
                Path(directory) / "stack",
                StackPorts(0, 0, {"normalizer": 0, "enricher": 0}),
                environment,
                quiet,
                services=("normalizer", "enricher"),
            )
            with stack:
                broker = stack.processes[0].process
                assert broker is not None
                settings = IngestorSettings(
                    kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{stack.ports.kafka}"),
                    data_dir=Path(directory) / "ingestor",
                    request_timeout_s=10,
                    recycle_topics_after=recycle_after,
                    recycle_settle_s=3.0,
                )
                log: Logger = structlog.get_logger("bench")
                began = time.perf_counter()
                rss, recycles, published = asyncio.run(_daily_polls(settings, start, days, broker.pid, log))
                elapsed = time.perf_counter() - began
                client = connect(WarehouseSettings(port=stack.ports.warehouse))
                complete = _settled(client, expected_per_channel(world))
    finally:
        sandbox.terminate()
        sandbox.wait(30)
    print(
        f"broker RSS: first day {rss[0]:.1f} MB, last {rss[-1]:.1f} MB, peak {max(rss):.1f} MB; "
        f"{recycles} recycles; {published:,} records in {elapsed:.0f} s; "
        f"warehouse equals the simulator: {complete}"
    )


def _settled(client: object, expected: dict[str, tuple[int, float]], timeout_s: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if warehouse_per_channel(client) == expected:  # type: ignore[arg-type]
            return True
        time.sleep(2)
    return False


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="simulated days, one poll each")
    parser.add_argument("--entities", type=int, default=16, help="ads / ad groups / emails per channel")
    parser.add_argument("--recycle-after", type=int, default=RECYCLE_TOPICS_AFTER)
    parser.add_argument("--no-recycle", action="store_true", help="never recycle (the broker before)")
    arguments = parser.parse_args()
    main(arguments.days, arguments.entities, 0 if arguments.no_recycle else arguments.recycle_after)
