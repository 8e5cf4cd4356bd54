"""The live demo's parts that need no running stack: per-day stage timings, freshness percentiles,
version grouping, the warehouse-vs-emulators check (on the real dev warehouse) and the screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from rich.console import Console

from liftos.clock import ClockSettings
from liftos.events import EffectUpdate
from liftos.settings import WarehouseSettings
from liftos.warehouse.connection import connect
from liftos.warehouse.migrations import apply_migrations
from liftos_devstack.demo import DEMO_END
from liftos_devstack.live_demo import (
    DayTiming,
    LiveDemoOptions,
    LiveResult,
    LiveView,
    VersionRecord,
    _fitted_after,
    _versions,
    warehouse_differences,
)
from liftos_devstack.live_view import freshness_summary, render_view, summary_renderables
from liftos_sandbox import WorldSpec, simulate_world
from liftos_sandbox.emulators.source import serve_world

OPTIONS = LiveDemoOptions(history_days=60, live_days=30, entities=8, scenario="drift", drift_after_days=5)


def _update(channel: str, version: int, end: date = DEMO_END) -> EffectUpdate:
    spend = 1000.0
    return EffectUpdate(
        model_version=version, channel=channel, method="mmm", trained_at=datetime(2026, 1, 1, tzinfo=UTC),
        window_start=OPTIONS.first_day, window_end=end, revenue_lift=2000.0, ci_lower=1000.0,
        ci_upper=3000.0, confidence_level=0.95, spend=spend, incremental_roas=2.0, marginal_roas=1.0,
        p_value=0.01, spend_28d=300.0, revenue_lift_28d=450.0, ci_lower_28d=150.0,
        ci_upper_28d=750.0, incremental_roas_28d=1.5, verdict="identified",
    )  # fmt: skip


def test_stages_split_freshness_and_clamp_out_of_order_observations() -> None:
    timing = DayTiming(
        date(2025, 12, 1), served=100.0, fetched=103.0, landed=104.0, fit_started=110.0, published=115.0
    )
    assert timing.freshness == 15.0
    assert timing.stages() == {"polling": 3.0, "streaming": 1.0, "waiting for refit": 6.0, "fitting": 5.0}
    # the landing was observed after the fit began (the watcher looks twice a second): never negative
    late = DayTiming(
        date(2025, 12, 1), served=100.0, fetched=103.0, landed=111.0, fit_started=110.0, published=115.0
    )
    assert all(v >= 0 for v in late.stages().values()) and sum(late.stages().values()) == pytest.approx(15.0)


def test_freshness_summary_percentiles_and_shares() -> None:
    timings = [DayTiming(date(2025, 12, d), 0.0, 2.0, 3.0, 5.0, 5.0 + d) for d in range(1, 11)]
    summary = freshness_summary(timings)
    assert summary["days"] == 10 and summary["p50"] == pytest.approx(10.5) and summary["p99"] <= 15.0
    assert sum(summary["shares"].values()) == pytest.approx(1.0)
    assert freshness_summary([]) == {"days": 0}


def test_versions_group_complete_updates_by_version() -> None:
    updates = [(_update(c, 1), 10.0 + i) for i, c in enumerate(("meta", "google_ads", "klaviyo"))]
    updates.append((_update("meta", 2), 30.0))  # version 2 not complete yet
    (record,) = _versions(updates, {1: 2.5})
    assert record.version == 1 and record.published_unix == 10.0 and record.fit_seconds == 2.5
    assert sorted(record.updates) == ["google_ads", "klaviyo", "meta"] and record.window_end == DEMO_END


def test_settling_needs_a_version_fitted_after_the_last_rows_landed() -> None:
    """A refit that began before the warehouse matched the emulators is published later, but without
    the last day: the demo keeps waiting for the next one."""
    world = simulate_world(WorldSpec(1, "default", DEMO_END - timedelta(days=29), DEMO_END, 6))
    clock = ClockSettings(
        origin_day=DEMO_END - timedelta(days=5), origin_unix=0.0, days_per_minute=30, last_day=DEMO_END
    )
    channels = ("meta", "google_ads", "klaviyo")

    def view(end: date, published: float, fit: float) -> LiveView:
        record = VersionRecord(1, {c: _update(c, 1, end) for c in channels}, published, fit)
        return LiveView(OPTIONS, world, clock, versions=[record])

    matched = 1000.0
    assert clock.today() == DEMO_END
    assert _fitted_after(view(DEMO_END, published=1004.0, fit=3.0), matched)
    assert not _fitted_after(view(DEMO_END, published=1004.0, fit=5.0), matched)  # began before the match
    assert not _fitted_after(view(DEMO_END - timedelta(days=1), published=1010.0, fit=3.0), matched)


def test_drift_starts_inside_the_live_days() -> None:
    assert OPTIONS.first_live_day == DEMO_END - timedelta(days=29)
    assert OPTIONS.drift_start == OPTIONS.first_live_day + timedelta(days=5)
    assert LiveDemoOptions(scenario="default").drift_start is None


def test_warehouse_differences_name_the_channel_days(warehouse_settings: WarehouseSettings) -> None:
    apply_migrations(connect(warehouse_settings, use_database=False), warehouse_settings.database)
    client = connect(warehouse_settings)
    world = simulate_world(WorldSpec(3, "default", date(2025, 11, 1), date(2025, 11, 30), 6))
    served = serve_world(world)
    problems = warehouse_differences(client, world, served)  # an empty warehouse: everything differs
    assert any(p.startswith("store outcome 2025-11-01: revenue -1.00") for p in problems)
    assert any(p.startswith("meta 2025-11-01: spend 0.00 in the warehouse") for p in problems)
    days = {p.split(":")[0] for p in problems}
    assert len(days) == sum(frame["date"].nunique() for frame in served.daily.values()) + len(served.outcome)


def test_the_screen_and_summary_render() -> None:
    world = simulate_world(
        WorldSpec(
            OPTIONS.seed,
            "drift",
            OPTIONS.first_day,
            DEMO_END,
            OPTIONS.entities,
            drift_start=OPTIONS.drift_start,
        )
    )
    clock = ClockSettings(
        origin_day=OPTIONS.first_live_day, origin_unix=0.0, days_per_minute=30, last_day=DEMO_END
    )
    record = VersionRecord(3, {c: _update(c, 3) for c in ("meta", "google_ads", "klaviyo")}, 1e9, 2.0)
    view = LiveView(
        OPTIONS, world, clock, versions=[record], drift_alarms=1, restated={"meta": 12}, phase="live"
    )
    console = Console(width=140, record=True)
    console.print(render_view(view))
    text = console.export_text()
    assert (
        "Model v3" in text and "1 drift alarms" in text and "meta 12" in text and "1.50 [0.50, 2.50]" in text
    )
    result = LiveResult(view, [DayTiming(DEMO_END, 0.0, 1.0, 2.0, 3.0, 4.0)], True, [], 12.0, {})
    for renderable in summary_renderables(result):
        console.print(renderable)
    text = console.export_text()
    assert "interrupted (Ctrl-C)" in text and "to the cent" in text and "p50 4.0 s" in text
