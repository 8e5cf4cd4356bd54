"""The main job on the embedded default: sandbox APIs → broker → four services → warehouse → effects.

:func:`run_demo` simulates a business with known causal effects, serves it through the API emulators,
starts the embedded stack with the ingestor pointed at the emulators, waits while every record is
ingested, normalized, enriched and stored, waits for the causal engine's first model version trained
on all of it, reads that version's effect updates back from the effects topic and its budget plan and
experiment ranking from the recommendations topic, and compares the effects with the simulator's
ground truth.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from liftos.errors import TransientError
from liftos.events import EffectUpdate, Recommendation
from liftos.observability import metric_total
from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.codec import decode
from liftos.streaming.kafka import make_consumer
from liftos.topics import EFFECTS, RECOMMENDATIONS
from liftos.warehouse.connection import connect
from liftos_devstack.broker import free_port, wait_for_port
from liftos_devstack.stack import EmbeddedStack, StackPorts
from liftos_sandbox import WorldSpec, simulate_world
from liftos_sandbox.environment import connector_environment, sandbox_argv

__all__ = ["DemoOptions", "DemoResult", "Stage", "run_demo", "service_environment"]

#: Last simulated day of the demo world (the emulators' "today").
DEMO_END = date(2025, 12, 31)
_SOURCES = ("meta", "google_ads", "klaviyo")


@dataclass(frozen=True)
class DemoOptions:
    """What to simulate and how.

    Attributes:
        days: Days of history to simulate and ingest (ending on :data:`DEMO_END`).
        seed: Seed of the simulated world.
        scenario: ``easy``, ``default``, ``hard`` or ``drift``.
        entities: Leaf entities per channel (ads, ad groups, emails).
        fault_rate: Share of API requests the emulators fail (throttles, 5xx, timeouts, bad bodies).
        data_dir: Where the warehouse, cursors and service logs go.
        timeout_s: Give up after this many seconds.
        method: The causal engine's estimator (``mmm``, ``dml`` or ``causal_forest``).
    """

    days: int = 730
    seed: int = 7
    scenario: str = "default"
    entities: int = 40
    fault_rate: float = 0.0
    data_dir: Path = Path(".liftos/demo")
    timeout_s: float = 900.0
    method: str = "mmm"


@dataclass(frozen=True)
class DemoResult:
    """The demo's outcome: the published updates of the final model, the simulator's truth over the
    window and over its last 90 days (what the update's ``incremental_roas_90d`` estimates), and the
    model's recommendations read back from the recommendations topic (budget-plan rows by channel,
    then experiments by rank)."""

    updates: list[EffectUpdate]
    truth: dict[str, Any]
    seconds: float
    warehouse_rows: int
    recent_truth: dict[str, Any]
    recommendations: list[Recommendation] = field(default_factory=list)

    def plan_rows(self) -> list[Recommendation]:
        """The budget plan's rows (one per channel)."""
        return [r for r in self.recommendations if r.kind == "budget_plan"]

    def experiments(self) -> list[Recommendation]:
        """The experiment designs, best first."""
        return sorted((r for r in self.recommendations if r.kind == "experiment"), key=lambda r: r.rank)


@dataclass(frozen=True)
class Stage:
    """A progress report: which phase, and how far (``done`` of ``total``; total 0 when unknown)."""

    phase: str
    done: int
    total: int


Report = Callable[[Stage], None]


def _sandbox(options: DemoOptions, spec: WorldSpec, port: int, log: Path) -> subprocess.Popen[bytes]:
    argv = sandbox_argv(port, spec, fault_rate=options.fault_rate)
    with log.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def service_environment(start: date, world: Any, sandbox_url: str, method: str = "mmm") -> dict[str, str]:
    """The services' environment for a demo of ``world`` served at ``sandbox_url`` from ``start``, the
    causal engine fitting ``method``."""
    currencies = dict(zip(world.accounts["account_id"], world.accounts["currency"], strict=True))
    connectors = connector_environment(world.credentials(), sandbox_url)
    # Read every customer the manager account can access, as an agency would (not just the first one).
    connectors.pop("LIFTOS_GOOGLE_ADS__CUSTOMER_ID")
    return connectors | {
        "LIFTOS_SOURCES": json.dumps(list(_SOURCES)),
        "LIFTOS_SINCE": start.isoformat(),
        "LIFTOS_UNTIL": DEMO_END.isoformat(),
        "LIFTOS_REQUEST_TIMEOUT_S": "10",
        "LIFTOS_META__POLL_INTERVAL_S": "0.1",
        "LIFTOS_REPORTING_CURRENCY": world.spec.reporting_currency,
        "LIFTOS_ACCOUNT_CURRENCIES": json.dumps(currencies),
        "LIFTOS_CHECK_INTERVAL_S": "2",
        "LIFTOS_MIN_REFIT_INTERVAL_S": "15",
        "LIFTOS_METHOD": method,
    }


def _wait(condition: Callable[[], bool], deadline: float, what: str) -> None:
    while not condition():
        if time.monotonic() > deadline:
            raise TransientError(f"demo timed out waiting for {what}")
        time.sleep(1.0)


def _covers(updates: list[EffectUpdate], spend: dict[str, float]) -> bool:
    """Whether a version was trained on all the data: its spend per channel equals the warehouse's."""
    return len(updates) == len(_SOURCES) and all(
        abs(u.spend - spend.get(u.channel, 0.0)) <= 1e-6 * max(1.0, u.spend) for u in updates
    )


async def _read_effects(kafka: KafkaSettings, spend: dict[str, float], deadline: float) -> list[EffectUpdate]:
    """Effect updates of the first model version whose spend matches ``spend``, read from the topic."""
    consumer = make_consumer(kafka, EFFECTS.name, group_id=f"liftos-demo-{time.time_ns()}")
    await consumer.start()
    found: dict[int, list[EffectUpdate]] = {}
    try:
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for record in (r for records in batches.values() for r in records):
                update = decode(EffectUpdate, record.value)
                found.setdefault(update.model_version, []).append(update)
            complete = [version for version, updates in found.items() if _covers(updates, spend)]
            if complete:
                return sorted(found[min(complete)], key=lambda u: u.channel)
    finally:
        await consumer.stop()
    raise TransientError("demo timed out waiting for a model version trained on all the data")


async def _read_recommendations(kafka: KafkaSettings, version: int, deadline: float) -> list[Recommendation]:
    """The budget plan and experiment rows of model ``version`` (all channels of both), from the topic."""
    consumer = make_consumer(kafka, RECOMMENDATIONS.name, group_id=f"liftos-demo-plan-{time.time_ns()}")
    await consumer.start()
    rows: dict[tuple[str, str], Recommendation] = {}
    try:
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for record in (r for records in batches.values() for r in records):
                row = decode(Recommendation, record.value)
                if row.model_version == version:
                    rows[(row.kind, row.channel)] = row
            kinds = [kind for kind, _ in rows]
            if kinds.count("budget_plan") == len(_SOURCES) and kinds.count("experiment") == len(_SOURCES):
                plan = sorted((r for r in rows.values() if r.kind == "budget_plan"), key=lambda r: r.channel)
                tests = sorted((r for r in rows.values() if r.kind == "experiment"), key=lambda r: r.rank)
                return plan + tests
    finally:
        await consumer.stop()
    raise TransientError(f"demo timed out waiting for the recommendations of model v{version}")


def run_demo(options: DemoOptions, report: Report, stack_output: Any) -> DemoResult:
    """Run the whole demo; ``report`` receives progress, ``stack_output`` the services' logs."""
    started = time.monotonic()
    deadline = started + options.timeout_s
    start = DEMO_END - timedelta(days=options.days - 1)
    spec = WorldSpec(options.seed, options.scenario, start, DEMO_END, options.entities)  # type: ignore[arg-type]
    report(Stage("simulating the world", 0, 0))
    world = simulate_world(spec)
    # Each run is one world: a store and cursors left by an earlier run (another seed or scenario, or
    # an older version) would mix into this one's data, so the demo's stack starts empty.
    shutil.rmtree(options.data_dir / "stack", ignore_errors=True)
    options.data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    sandbox = _sandbox(options, spec, port, options.data_dir / "sandbox.log")
    try:
        wait_for_port("127.0.0.1", port, 120)
        environment = service_environment(start, world, f"http://127.0.0.1:{port}", options.method)
        stack = EmbeddedStack(
            options.data_dir / "stack",
            StackPorts(0, 0, dict.fromkeys(("ingestor", "normalizer", "enricher", "causal-engine"), 0)),
            environment,
            stack_output,
        )
        report(Stage("starting broker, warehouse and services", 0, 0))
        with stack:
            result = _follow(stack, world, report, deadline)
    finally:
        sandbox.terminate()
        sandbox.wait(30)
    recent = world.truth(DEMO_END - timedelta(days=89), DEMO_END)
    truth = world.truth(start, DEMO_END)
    return DemoResult(result[0], truth, time.monotonic() - started, result[1], recent, result[2])


def _follow(
    stack: EmbeddedStack, world: Any, report: Report, deadline: float
) -> tuple[list[EffectUpdate], int, list[Recommendation]]:
    """Watch ingestion, processing and modelling until the final effects are on the topic."""
    ingestor = f"http://127.0.0.1:{stack.ports.services['ingestor']}/metrics"
    client = connect(WarehouseSettings(port=stack.ports.warehouse))
    expected_days = len(world.outcome)

    def ingested() -> bool:
        polls = sum(metric_total(ingestor, "liftos_ingestor_polls_total", source=s) >= 1 for s in _SOURCES)
        rows = int(metric_total(ingestor, "liftos_ingestor_rows_published_total"))
        report(Stage("ingesting from the sandbox APIs (raw records)", rows, 0))
        if stack.failed():
            raise TransientError(f"stopped unexpectedly: {stack.failed()}")
        return polls == len(_SOURCES)

    _wait(ingested, deadline, "ingestion")
    previous = -1

    def drained() -> bool:
        nonlocal previous
        rows = int(client.query("SELECT count() FROM marketing_daily FINAL").result_rows[0][0])
        days = int(client.query("SELECT uniqExact(date) FROM store_outcomes FINAL").result_rows[0][0])
        report(Stage("normalizing and enriching into the warehouse (rows)", rows, 0))
        steady, previous = rows == previous and days >= expected_days, rows
        return steady

    _wait(drained, deadline, "the warehouse to hold every day")
    spend_rows = client.query(
        "SELECT channel, sum(spend) FROM marketing_daily FINAL GROUP BY channel"
    ).result_rows
    report(Stage("waiting for the causal engine's model on all the data", 0, 0))
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{stack.ports.kafka}")
    updates = asyncio.run(_read_effects(kafka, {str(c): float(s) for c, s in spend_rows}, deadline))
    report(Stage("waiting for the budget plan and the experiment ranking", 0, 0))
    plan = asyncio.run(_read_recommendations(kafka, updates[0].model_version, deadline))
    return updates, previous, plan
