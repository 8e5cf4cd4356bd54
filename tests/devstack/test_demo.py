"""The main job end to end: sandbox APIs → broker → four services → warehouse → effects topic.

Checks what issue 6 and 7 promise of a sandbox backfill streamed through the embedded stack: one row
per natural key, spend equal to the simulator's, calendar features on every row, and an effect update
per channel read back from the effects topic.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from liftos.settings import WarehouseSettings
from liftos.warehouse.connection import connect
from liftos_devstack.demo import DEMO_END, DemoOptions, DemoResult, Stage, run_demo
from liftos_sandbox import World, WorldSpec, simulate_world
from tests.fixtures.warehouse import start_warehouse, stop_warehouse

OPTIONS = DemoOptions(days=120, seed=11, entities=16)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, Path, list[Stage]]:
    data_dir = tmp_path_factory.mktemp("demo")
    stages: list[Stage] = []
    result = run_demo(DemoOptions(**{**OPTIONS.__dict__, "data_dir": data_dir}), stages.append, io.StringIO())
    return result, data_dir, stages


@pytest.fixture(scope="module")
def demo_warehouse(demo: tuple[DemoResult, Path, list[Stage]]) -> Iterator[WarehouseSettings]:
    """The demo's warehouse store, reopened after the stack stopped."""
    process, endpoint = start_warehouse(demo[1] / "stack" / "warehouse")
    try:
        yield WarehouseSettings(host=endpoint.host, port=endpoint.port)
    finally:
        stop_warehouse(process)


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: WarehouseSettings) -> Client:
    """A client of the demo's warehouse."""
    return connect(demo_warehouse)


def _world() -> World:
    start = DEMO_END - timedelta(days=OPTIONS.days - 1)
    return simulate_world(WorldSpec(OPTIONS.seed, "default", start, DEMO_END, OPTIONS.entities))


def test_demo_reports_progress_and_one_update_per_channel(demo: tuple[DemoResult, Path, list[Stage]]) -> None:
    result, _, stages = demo
    assert [u.channel for u in result.updates] == ["google_ads", "klaviyo", "meta"]
    assert len({u.model_version for u in result.updates}) == 1
    rank = {"identified": 0, "weak": 1, "not_identified": 2}  # the effect "now" is judged, through the topic
    assert all(rank[u.verdict_90d] >= rank[u.verdict] and u.verdict_reason_28d for u in result.updates)
    phases = {stage.phase for stage in stages}
    assert "ingesting from the sandbox APIs (raw records)" in phases
    assert "waiting for the causal engine's model on all the data" in phases


def test_warehouse_spend_equals_the_simulator(
    demo: tuple[DemoResult, Path, list[Stage]], warehouse: Client
) -> None:
    truth = demo[0].truth["channels"]
    rows = warehouse.query(
        "SELECT channel, sum(spend) FROM marketing_daily FINAL GROUP BY channel"
    ).result_rows
    spend = {str(channel): float(total) for channel, total in rows}
    assert spend == {channel: pytest.approx(truth[channel]["spend"], abs=0.05) for channel in truth}
    for update in demo[0].updates:
        assert update.spend == pytest.approx(truth[update.channel]["spend"], abs=0.05)


def test_one_row_per_natural_key_and_per_simulated_row(warehouse: Client) -> None:
    world = _world()
    expected = world.daily.groupby("channel").size().to_dict()
    keys = "date, source, account_id, campaign_id, ad_group_id, ad_id, breakdown"
    rows = warehouse.query(
        f"SELECT channel, count(), uniqExact({keys}) FROM marketing_daily FINAL GROUP BY channel"
    ).result_rows
    assert {str(c): (int(n), int(u)) for c, n, u in rows} == {c: (n, n) for c, n in expected.items()}


def test_every_row_has_its_calendar_features(warehouse: Client) -> None:
    missing = warehouse.query(
        "SELECT count() FROM marketing_daily FINAL WHERE country != 'US' OR week_of_year = 0 OR month = 0"
        " OR day_of_week != toDayOfWeek(date) - 1 OR is_weekend != (toDayOfWeek(date) >= 6)"
    ).result_rows[0][0]
    assert missing == 0
    holidays = warehouse.query(
        "SELECT DISTINCT holiday_name FROM marketing_daily FINAL WHERE is_holiday ORDER BY holiday_name"
    ).result_rows
    assert ("Christmas Day",) in holidays and ("Thanksgiving Day",) in holidays


def test_demo_reads_the_plan_and_the_top_test_back_from_the_recommendations_topic(
    demo: tuple[DemoResult, Path, list[Stage]],
) -> None:
    result = demo[0]
    version = result.updates[0].model_version
    plan, tests = result.plan_rows(), result.experiments()
    assert {r.model_version for r in result.recommendations} == {version}
    assert [r.channel for r in plan] == ["google_ads", "klaviyo", "meta"]
    assert sum(r.spend or 0.0 for r in plan) == pytest.approx(plan[0].total_budget, rel=1e-9)
    assert all((r.min_spend or 0.0) <= (r.spend or 0.0) <= (r.max_spend or 0.0) for r in plan)
    assert plan[0].horizon_start == result.updates[0].window_end + timedelta(days=1)
    assert [r.rank for r in tests] == [1, 2, 3] and tests[0].summary.startswith(tests[0].channel)


def test_the_report_of_the_demo_shows_the_plan_and_the_top_test(
    demo_warehouse: WarehouseSettings, tmp_path: Path
) -> None:
    from liftos.report import write_report

    out = tmp_path / "report.html"
    data = write_report(demo_warehouse, out, refit=False)
    text = out.read_text()
    assert len(data.recommendations) == 6
    assert 'id="plan-summary"' in text and 'id="top-test"' in text
