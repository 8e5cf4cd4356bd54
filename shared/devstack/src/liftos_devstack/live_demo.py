"""``liftos demo --live``: the embedded stack following the live sandbox's moving clock.

:func:`run_live_demo` simulates a business up to :data:`~liftos_devstack.demo.DEMO_END`, serves its
history through the emulators, starts the embedded stack, and then lets the sandbox's clock run
(``days_per_minute``): every new day appears on the emulators, recent days restate, the ingestor polls
on its schedule, the stages stream, the causal engine refits under its policy. A watcher follows it as
a user would: effect updates and held statuses from their topics, each day's arrival in the warehouse
(``marketing_daily`` and ``store_outcomes``), restated rows per source, drift alarms from the engine's
metrics; it hands a :class:`LiveView` to ``on_tick`` about twice a second. It returns when the clock
has stopped, a version covers the last day and the warehouse equals what the emulators serve (or on
Ctrl-C / timeout), with the per-day effect freshness and its stages (:class:`DayTiming`).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import structlog
from clickhouse_connect.driver.client import Client

from liftos.clock import ClockSettings
from liftos.events import EffectUpdate, ModelStatus
from liftos.observability import metric_total
from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.codec import decode
from liftos.streaming.kafka import make_consumer
from liftos.topics import EFFECTS, MODEL_STATUS
from liftos.warehouse.connection import connect
from liftos.warehouse.restatements import restated_rows
from liftos_devstack.broker import free_port, wait_for_port
from liftos_devstack.demo import DEMO_END, service_environment
from liftos_devstack.stack import EmbeddedStack, StackPorts
from liftos_sandbox import World, WorldSpec, simulate_world
from liftos_sandbox.emulators.source import ServedWorld, serve_world
from liftos_sandbox.environment import clock_environment, sandbox_argv

__all__ = [
    "DayTiming",
    "LiveDemoOptions",
    "LiveResult",
    "LiveView",
    "VersionRecord",
    "run_live_demo",
    "warehouse_differences",
]

_SOURCES = ("meta", "google_ads", "klaviyo")
_log = structlog.get_logger("liftos.devstack.live_demo")
_CENT = 0.01


@dataclass(frozen=True)
class LiveDemoOptions:
    """What to simulate and how fast.

    Attributes:
        history_days: Days served complete before the clock starts (backfilled first; at least the
            causal engine's ``min_days``).
        live_days: Days the clock then enters, one by one, ending on :data:`DEMO_END`.
        drift_after_days: Under the ``drift`` scenario, the change (Meta's effect halves) is centred
            this many days after the clock starts.
        days_per_minute: Simulated days per wall-clock minute.
        poll_interval_s: The ingestor's seconds between two polls of a source.
        min_refit_interval_s: The causal engine's least seconds between two refits (its policy:
            refit when new data arrived and the last refit is this old, sooner on a drift alarm).
        warmup_s: Seconds from start to the clock's first move (the backfill and first fit go here).
        settle_s: After the clock stopped, how long to wait for the last day's version and for the
            warehouse to equal the emulators.
    """

    history_days: int = 365
    live_days: int = 90
    drift_after_days: int = 14
    days_per_minute: float = 30.0
    seed: int = 7
    scenario: str = "default"
    entities: int = 24
    poll_interval_s: float = 2.0
    min_refit_interval_s: float = 10.0
    warmup_s: float = 45.0
    settle_s: float = 120.0
    data_dir: Path = Path(".liftos/demo-live")

    @property
    def first_day(self) -> date:
        """First simulated day."""
        return DEMO_END - timedelta(days=self.history_days + self.live_days - 1)

    @property
    def first_live_day(self) -> date:
        """The day the clock enters first."""
        return DEMO_END - timedelta(days=self.live_days - 1)

    @property
    def drift_start(self) -> date | None:
        """The day the drift scenario's change is centred on (None for other scenarios)."""
        if self.scenario != "drift":
            return None
        return min(self.first_live_day + timedelta(days=self.drift_after_days), DEMO_END)


@dataclass(frozen=True)
class VersionRecord:
    """One published model version: its updates (by channel), when they were published (unix s, the
    broker's timestamp) and how long its fit took (s; None when not observed)."""

    version: int
    updates: dict[str, EffectUpdate]
    published_unix: float
    fit_seconds: float | None

    @property
    def window_end(self) -> date:
        """Last day of the version's data window."""
        return next(iter(self.updates.values())).window_end

    @property
    def window_start(self) -> date:
        """First day of the version's data window."""
        return next(iter(self.updates.values())).window_start


@dataclass(frozen=True)
class DayTiming:
    """When one live day got where (unix s): first served by the emulators, fetched by the ingestor
    (latest first fetch over its sources), landed in the warehouse (every source's rows), the fit
    that first included it started, and that version was published."""

    day: date
    served: float
    fetched: float
    landed: float
    fit_started: float
    published: float

    @property
    def freshness(self) -> float:
        """Effect freshness (s): served to published."""
        return self.published - self.served

    def stages(self) -> dict[str, float]:
        """Seconds spent polling, streaming, waiting for the refit and fitting (sum = freshness)."""
        fetched = min(max(self.fetched, self.served), self.published)
        landed = min(max(self.landed, fetched), self.published)
        started = min(max(self.fit_started, landed), self.published)
        return {
            "polling": fetched - self.served,
            "streaming": landed - fetched,
            "waiting for refit": started - landed,
            "fitting": self.published - started,
        }


@dataclass
class LiveView:
    """What the watcher knows at one moment (handed to ``on_tick``)."""

    options: LiveDemoOptions
    world: World
    clock: ClockSettings
    versions: list[VersionRecord] = field(default_factory=list)
    held: list[ModelStatus] = field(default_factory=list)
    drift_alarms: int = 0
    restated: dict[str, int] = field(default_factory=dict)
    warehouse_last_day: dict[str, date] = field(default_factory=dict)
    days_landed: int = 0
    landed_at: dict[date, float] = field(default_factory=dict)
    phase: str = "starting"

    def today(self) -> date:
        """The sandbox's today now."""
        return self.clock.today()

    def truth(self, start: date, end: date) -> dict[str, Any]:
        """The simulator's truth for ``start..end`` (cached)."""
        return _truth(self.world, start, end)


@dataclass(frozen=True)
class LiveResult:
    """The run: its last view, per-day timings, whether it was interrupted, the warehouse check
    (channel-days or outcome days that differ from what the emulators serve, empty = equal to the cent)
    and the seconds it took."""

    view: LiveView
    timings: list[DayTiming]
    interrupted: bool
    differences: list[str]
    seconds: float
    missing_days: dict[str, list[date]]
    report: Path | None = None


_TRUTH_CACHE: dict[tuple[int, date, date], dict[str, Any]] = {}


def _truth(world: World, start: date, end: date) -> dict[str, Any]:
    key = (id(world), start, end)
    if key not in _TRUTH_CACHE:
        _TRUTH_CACHE[key] = world.truth(start, end)
    return _TRUTH_CACHE[key]


class _TopicTail:
    """Effect updates and model statuses read from their topics in a background thread, with the
    broker's timestamp of each record."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self._kafka = kafka
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.updates: list[tuple[EffectUpdate, float]] = []
        self.statuses: list[ModelStatus] = []
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def snapshot(self) -> tuple[list[tuple[EffectUpdate, float]], list[ModelStatus]]:
        with self._lock:
            return list(self.updates), list(self.statuses)

    async def _run(self) -> None:
        group = f"liftos-demo-live-{time.time_ns()}"
        consumer = make_consumer(self._kafka, EFFECTS.name, MODEL_STATUS.name, group_id=group)
        await consumer.start()
        try:
            while not self._stop.is_set():
                batches = await consumer.getmany(timeout_ms=300)
                for record in (r for records in batches.values() for r in records):
                    with self._lock:
                        if record.topic == EFFECTS.name:
                            self.updates.append((decode(EffectUpdate, record.value), record.timestamp / 1000))
                        else:
                            self.statuses.append(decode(ModelStatus, record.value))
        finally:
            await consumer.stop()


def _versions(updates: list[tuple[EffectUpdate, float]], fits: dict[int, float]) -> list[VersionRecord]:
    grouped: dict[int, dict[str, EffectUpdate]] = {}
    published: dict[int, float] = {}
    for update, stamp in updates:
        grouped.setdefault(update.model_version, {})[update.channel] = update
        published[update.model_version] = min(published.get(update.model_version, stamp), stamp)
    return [
        VersionRecord(version, grouped[version], published[version], fits.get(version))
        for version in sorted(grouped)
        if len(grouped[version]) == len(_SOURCES)
    ]


def _environment(options: LiveDemoOptions, world: World, url: str, clock: ClockSettings) -> dict[str, str]:
    """The demo's service environment on ``clock``: no fixed last day (the ingestor reads up to the
    clock's today), polls every ``poll_interval_s``, refits at most every ``min_refit_interval_s``."""
    environment = service_environment(options.first_day, world, url)
    environment.pop("LIFTOS_UNTIL")
    return (
        environment
        | clock_environment(clock)
        | {
            "LIFTOS_META__POLL_INTERVAL_S": "0.05",
            "LIFTOS_POLL_INTERVAL_S": repr(options.poll_interval_s),
            "LIFTOS_CHECK_INTERVAL_S": "1",
            "LIFTOS_MIN_REFIT_INTERVAL_S": repr(options.min_refit_interval_s),
            "LIFTOS_LANDING_CHECK_INTERVAL_S": "1",
        }
    )


class _Watcher:
    """Reads the warehouse, topics and metrics of a running live demo."""

    def __init__(self, view: LiveView, stack: EmbeddedStack, served_final: ServedWorld) -> None:
        self.view = view
        self.client: Client = connect(WarehouseSettings(port=stack.ports.warehouse))
        self.tail = _TopicTail(KafkaSettings(bootstrap_servers=f"127.0.0.1:{stack.ports.kafka}"))
        self._engine = f"http://127.0.0.1:{stack.ports.services['causal-engine']}/metrics"
        self._expected = _expected_sources(served_final)
        self._fetched: dict[date, float] = {}
        self._fits: dict[int, float] = {}
        self._fit_sum = 0.0
        self._last_slow = 0.0
        self.stack = stack

    def tick(self) -> None:
        """Refresh the view (warehouse arrivals every tick, the rest every two seconds)."""
        if self.stack.failed():
            raise RuntimeError(f"stopped unexpectedly: {self.stack.failed()}")
        self._arrivals()
        updates, statuses = self.tail.snapshot()
        self._record_fit(updates)
        self.view.versions = _versions(updates, self._fits)
        self.view.held = [s for s in statuses if s.status == "held"]
        if time.monotonic() - self._last_slow > 2.0:
            self._last_slow = time.monotonic()
            self.view.restated = restated_rows(self.client)
            self.view.drift_alarms = int(_metric(self._engine, "liftos_causal_engine_drift_alarms_total"))

    def _record_fit(self, updates: list[tuple[EffectUpdate, float]]) -> None:
        """Attribute the growth of the engine's fit-time histogram to each newly seen version."""
        known = {u.model_version for u, _ in updates}
        new = sorted(known - set(self._fits))
        if not new:
            return
        total = _metric(self._engine, "liftos_causal_engine_fit_seconds_sum")
        for version in new:
            self._fits[version] = (total - self._fit_sum) / len(new)
        self._fit_sum = total

    def _arrivals(self) -> None:
        """First time each day had every expected source's rows in the warehouse, and the latest of
        the sources' first fetches (the rows' ``version``)."""
        view = self.view
        since = max(view.landed_at, default=view.options.first_day - timedelta(days=1))
        rows = self.client.query(
            "SELECT 'store_outcome' AS source, date, min(version) FROM store_outcomes WHERE date > {d:Date}"
            " GROUP BY date UNION ALL SELECT source, date, min(version) FROM marketing_daily"
            " WHERE date > {d:Date} GROUP BY source, date",
            parameters={"d": since - timedelta(days=3)},
        ).result_rows
        present: dict[date, dict[str, float]] = {}
        for source, day, version in rows:
            present.setdefault(day, {})[str(source)] = int(version) / 1000
        now = time.time()
        for day in sorted(present):
            if day in view.landed_at:
                continue
            expected = self._expected.get(day, set())
            if expected and expected <= present[day].keys():
                view.landed_at[day] = now
                self._fetched[day] = max(present[day][s] for s in expected)
        last = self.client.query(
            "SELECT source, max(date) FROM marketing_daily GROUP BY source UNION ALL"
            " SELECT 'store_outcome', max(date) FROM store_outcomes"
        ).result_rows
        view.warehouse_last_day = {str(s): d for s, d in last if d.year > 1970}
        view.days_landed = len(view.landed_at)

    def timings(self) -> list[DayTiming]:
        """Per live day that a version included: its path from served to published."""
        clock, out = self.view.clock, []
        for day in sorted(self.view.landed_at):
            if day < self.view.options.first_live_day:
                continue
            version = next((v for v in self.view.versions if v.window_end >= day), None)
            if version is None:
                continue
            fit = version.fit_seconds or 0.0
            out.append(
                DayTiming(
                    day,
                    clock.began_at(day),
                    self._fetched[day],
                    self.view.landed_at[day],
                    version.published_unix - fit,
                    version.published_unix,
                )
            )
        return out


def _metric(url: str, name: str) -> float:
    try:
        return metric_total(url, name)
    except OSError:
        return 0.0


def _expected_sources(served: ServedWorld) -> dict[date, set[str]]:
    """Which sources serve rows for each day (the store outcome as ``store_outcome``)."""
    expected: dict[date, set[str]] = {}
    for channel, frame in served.daily.items():
        for day in frame["date"].dt.date.unique():
            expected.setdefault(day, set()).add(channel)
    for day in served.outcome["date"].dt.date:
        expected.setdefault(day, set()).add("store_outcome")
    return expected


def warehouse_differences(client: Client, world: World, served: ServedWorld) -> list[str]:
    """Channel-days whose spend or platform revenue (reporting currency) and outcome days whose
    revenue or orders differ from what ``served`` serves, by a cent or more (empty: equal)."""
    got = _frame(
        client,
        "SELECT channel, date, sum(spend) AS spend, sum(revenue) AS revenue FROM marketing_daily FINAL"
        " GROUP BY channel, date",
        ("channel", "date", "spend", "revenue"),
    )
    frames = []
    for channel, frame in served.daily.items():
        fx = world.fx_of(frame).to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "channel": channel,
                    "date": frame["date"].dt.date,
                    "spend": frame["spend_cents"].to_numpy() / 100.0 * fx,
                    "revenue": frame["revenue_cents"].to_numpy() / 100.0 * fx,
                }
            )
        )
    want = pd.concat(frames).groupby(["channel", "date"], as_index=False)[["spend", "revenue"]].sum()
    got["date"] = pd.to_datetime(got["date"]).dt.date
    merged = want.merge(got, on=["channel", "date"], how="outer", suffixes=("_want", "_got")).fillna(0.0)
    problems = [
        f"{row.channel} {row.date}: {column} {getattr(row, column + '_got'):.2f} in the warehouse,"
        f" {getattr(row, column + '_want'):.2f} served"
        for row in merged.itertuples()
        for column in ("spend", "revenue")
        if abs(getattr(row, column + "_got") - getattr(row, column + "_want")) >= _CENT
    ]
    outcome = _frame(
        client,
        "SELECT date, sum(revenue) AS revenue, sum(orders) AS orders FROM store_outcomes FINAL GROUP BY date",
        ("date", "revenue", "orders"),
    )
    outcome["date"] = pd.to_datetime(outcome["date"]).dt.date
    served_outcome = served.outcome.assign(date=served.outcome["date"].dt.date)
    both = served_outcome.merge(outcome, on="date", how="outer", suffixes=("_want", "_got")).fillna(-1.0)
    bad = both[
        (np.abs(both["revenue_got"] - both["revenue_want"]) >= _CENT)
        | (both["orders_got"] != both["orders_want"])
    ]
    problems += [
        f"store outcome {r.date}: revenue {r.revenue_got:.2f} / {r.orders_got:.0f} orders in the warehouse,"
        f" {r.revenue_want:.2f} / {r.orders_want:.0f} served"
        for r in bad.itertuples()
    ]
    return problems


def _frame(client: Client, sql: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """``sql``'s rows as a frame with ``columns`` (also when there is no row)."""
    return pd.DataFrame(client.query(sql).result_rows, columns=list(columns))


def _missing_days(client: Client, served: ServedWorld) -> dict[str, list[date]]:
    """Per source, days the emulators serve that the warehouse lacks."""
    expected = _expected_sources(served)
    rows = client.query(
        "SELECT DISTINCT source, date FROM marketing_daily UNION ALL"
        " SELECT DISTINCT 'store_outcome', date FROM store_outcomes"
    ).result_rows
    present = {(str(s), d) for s, d in rows}
    missing: dict[str, list[date]] = {}
    for day, sources in sorted(expected.items()):
        for source in sorted(sources):
            if (source, day) not in present:
                missing.setdefault(source, []).append(day)
    return missing


Tick = Callable[[LiveView], None]


@contextmanager
def _stop_on_hangup() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal) stop the demo like Ctrl-C, so the stack and the sandbox
    are always stopped (they run in their own sessions and would outlive it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_live_demo(options: LiveDemoOptions, on_tick: Tick, stack_output: Any) -> LiveResult:
    """Run the live demo until the clock stopped and everything settled, or Ctrl-C, SIGTERM or SIGHUP
    (then the result says ``interrupted``); ``on_tick`` receives the view about twice a second."""
    with _stop_on_hangup():
        return _run(options, on_tick, stack_output)


def _run(options: LiveDemoOptions, on_tick: Tick, stack_output: Any) -> LiveResult:
    started = time.monotonic()
    spec = WorldSpec(
        options.seed,
        options.scenario,  # type: ignore[arg-type]
        options.first_day,
        DEMO_END,
        options.entities,
        drift_start=options.drift_start,
    )
    world = simulate_world(spec)
    served_final = serve_world(world)
    clock = ClockSettings(
        origin_day=options.first_live_day,
        origin_unix=time.time() + options.warmup_s,
        days_per_minute=options.days_per_minute,
        last_day=DEMO_END,
    )
    view = LiveView(options, world, clock, phase="starting the sandbox")
    on_tick(view)
    shutil.rmtree(options.data_dir / "stack", ignore_errors=True)
    options.data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (options.data_dir / "sandbox.log").open("ab") as log:
        argv = sandbox_argv(port, spec, clock=clock)
        sandbox = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    interrupted, differences, timings = False, ["not checked"], []
    missing: dict[str, list[date]] = {}
    report: Path | None = None
    try:
        wait_for_port("127.0.0.1", port, 120)
        stack = EmbeddedStack(
            options.data_dir / "stack",
            StackPorts(0, 0, dict.fromkeys(("ingestor", "normalizer", "enricher", "causal-engine"), 0)),
            _environment(options, world, f"http://127.0.0.1:{port}", clock),
            stack_output,
        )
        view.phase = "starting broker, warehouse and services"
        on_tick(view)
        with stack:
            watcher = _Watcher(view, stack, served_final)
            watcher.tail.start()
            try:
                interrupted, differences = _follow(watcher, served_final, on_tick)
            finally:
                timings = watcher.timings()
                missing = _missing_days(watcher.client, _served_now(view) if interrupted else served_final)
                watcher.tail.stop()
            view.phase = "writing the report"
            on_tick(view)
            report = _write_report(stack, world, options.data_dir / "report.html")
    finally:
        sandbox.terminate()
        sandbox.wait(30)
    return LiveResult(view, timings, interrupted, differences, time.monotonic() - started, missing, report)


def _write_report(stack: EmbeddedStack, world: World, out: Path) -> Path | None:
    """The HTML report of the last version, its effect history drawn against the world's truth
    (None, with the reason logged, when it cannot be written: no version yet, no plotting extra)."""
    from liftos.errors import LiftOSError
    from liftos.report import write_report

    def truth(start: date, end: date) -> dict[str, float]:
        return {c: float(v["iroas"]) for c, v in _truth(world, start, end)["channels"].items()}

    try:
        write_report(WarehouseSettings(port=stack.ports.warehouse), out, refit=False, truth=truth)
    except (LiftOSError, ImportError) as error:
        _log.warning("live demo report not written", error=str(error))
        return None
    return out


def _follow(watcher: _Watcher, served_final: ServedWorld, on_tick: Tick) -> tuple[bool, list[str]]:
    """Tick until settled (the clock stopped, the warehouse equals what the emulators serve, and a
    version fitted after that was published); returns (interrupted, warehouse differences)."""
    view, clock = watcher.view, watcher.view.clock
    settle_deadline: float | None = None
    differences: list[str] = ["not checked"]
    matched_at: float | None = None
    last_check = 0.0
    try:
        while True:
            watcher.tick()
            view.phase = _phase(view, matched_at)
            on_tick(view)
            if clock.stopped():
                settle_deadline = settle_deadline or time.monotonic() + view.options.settle_s
                if matched_at is None and time.monotonic() - last_check > 3.0:
                    last_check = time.monotonic()
                    differences = warehouse_differences(watcher.client, view.world, served_final)
                    matched_at = None if differences else time.time()
                if matched_at is not None and view.versions and _fitted_after(view, matched_at):
                    return False, differences
                if time.monotonic() > settle_deadline:
                    return False, differences or [
                        "timed out waiting for a version after the last restatement"
                    ]
            time.sleep(0.5)
    except KeyboardInterrupt:
        return True, warehouse_differences(watcher.client, view.world, _served_now(view))


def _fitted_after(view: LiveView, matched_unix: float) -> bool:
    """The latest version's window reaches today and its fit started after ``matched_unix`` (a version
    whose refit began before the last rows landed is published later, but without them)."""
    last = view.versions[-1]
    started = last.published_unix - (last.fit_seconds or 0.0)
    return last.window_end >= view.today() and started > matched_unix


def _served_now(view: LiveView) -> ServedWorld:
    """What the emulators serve at this moment (the live world's current snapshot)."""
    from liftos_sandbox.live import LiveWorld

    return LiveWorld(view.world, view.clock).snapshot()[0]


def _phase(view: LiveView, matched_at: float | None) -> str:
    if view.clock.stopped():
        if matched_at is not None:
            return "clock stopped; warehouse equals the emulators: waiting for the next refit"
        return "clock stopped: waiting for the last restatements to land"
    if time.time() < view.clock.origin_unix:
        return f"backfilling the history; the clock starts in {view.clock.origin_unix - time.time():.0f} s"
    return "live"
