"""``liftos report``: the one-page HTML report from the latest model in a real (embedded) warehouse.

The warehouse is loaded with 120 days x 3 channels of a simulated business (``simulate_world``) as the
enricher writes them (``enrich_row``), store outcomes, a restatement of ten days of Meta rows (collapsed
by ``FINAL``), three missing Google Ads days, and two model versions fitted by the causal engine's own
code (``estimate_effects``). The page is checked as text (sections, channels, the latest version's
numbers, nothing external) and rendered in headless Chromium (screenshot not blank, no console
message). Chromium tests skip when ``/usr/bin/chromium`` (Debian's ``chromium``) is absent.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from clickhouse_connect.driver.client import Client
from typer.testing import CliRunner

from liftos.cli import app
from liftos.events import (
    EffectUpdate,
    EnrichedRow,
    NormalizedRow,
    Recommendation,
    StoreOutcomeRow,
    version_of,
)
from liftos.pipeline.effects import ModelRun, estimate_effects
from liftos.pipeline.enrich import enrich_row
from liftos.pipeline.recommendations import PlanRequest, make_plans, recommendation_rows
from liftos.report import ReportData, load_report
from liftos.report.render import fmt_money, fmt_ratio
from liftos.settings import WarehouseSettings
from liftos.warehouse.connection import connect, insert_events
from liftos.warehouse.migrations import apply_migrations
from liftos.warehouse.modelling_panel import daily_panel, panel_currencies
from liftos_sandbox import World, WorldSpec, simulate_world
from tests.fixtures.warehouse import WarehouseEndpoint
from tests.liftos.report.chromium import (
    CHROMIUM,
    console_messages,
    dump_dom,
    screenshot,
    screenshot_stats,
)

START, END = date(2025, 1, 1), date(2025, 4, 30)  # 120 days
CHANNELS = ("google_ads", "klaviyo", "meta")
PLATFORMS = {"meta": "facebook", "google_ads": "google", "klaviyo": "email"}
RESTATED_META_DAYS = 10
MISSING_GOOGLE_DAYS = (date(2025, 2, 10), date(2025, 2, 11), date(2025, 3, 5))
SECTIONS = (
    "effects",
    "effect-history",
    "waterfall",
    "response-curves",
    "budget-plan",
    "experiments",
    "roas",
    "data-quality",
    "model",
)
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium absent: install Debian's chromium package"
)


@dataclass(frozen=True)
class Loaded:
    """A loaded warehouse: its settings, the effect versions written and the physical row counts."""

    settings: WarehouseSettings
    versions: tuple[list[EffectUpdate], list[EffectUpdate]]
    recommendations: list[Recommendation]
    restated_rows: int
    days_with_rows: dict[str, int]


# ------------------------------------------------------------------ warehouse data


def _normalized(world: World, row: Any, version: int, spend_factor: float = 1.0) -> NormalizedRow:
    fx = float(world.fx_daily.at[row.date, row.currency])
    return NormalizedRow(
        date=row.date.date(),
        channel=row.channel,
        platform=PLATFORMS[row.channel],
        source=row.channel,
        account_id=row.account_id,
        campaign_id=row.campaign_id,
        ad_group_id=row.group_id,
        ad_id=row.ad_id,
        currency="USD",
        source_currency=row.currency,
        fx_rate=fx,
        spend=row.spend * fx * spend_factor,
        impressions=int(row.impressions),
        clicks=int(row.clicks),
        conversions=float(row.platform_conversions),
        revenue=row.platform_revenue * fx,
        event_id=f"{row.channel}-{row.ad_id}-{row.date.date()}",
        version=version,
    )


def _marketing_rows(world: World) -> tuple[list[EnrichedRow], list[EnrichedRow]]:
    """All rows (minus the missing Google days) and a later restatement of ten days of Meta rows."""
    fetched = version_of(datetime(2025, 5, 1, tzinfo=UTC))
    daily = world.daily[
        ~((world.daily["channel"] == "google_ads") & world.daily["date"].dt.date.isin(MISSING_GOOGLE_DAYS))
    ]
    rows = [enrich_row(_normalized(world, r, fetched), "US") for r in daily.itertuples(index=False)]
    restated_days = daily[
        (daily["channel"] == "meta") & (daily["date"] < pd.Timestamp(START + timedelta(RESTATED_META_DAYS)))
    ]
    restated = [
        enrich_row(_normalized(world, r, fetched + 1, 1.01), "US")
        for r in restated_days.itertuples(index=False)
    ]
    return rows, restated


def _outcomes(world: World) -> list[StoreOutcomeRow]:
    fetched = version_of(datetime(2025, 5, 1, tzinfo=UTC))
    return [
        StoreOutcomeRow(
            date=d.date(),
            source="klaviyo",
            account_id="store",
            orders=int(o),
            revenue=float(r),
            currency="USD",
            event_id=f"outcome-{d.date()}",
            version=fetched,
        )
        for d, o, r in world.outcome[["date", "orders", "revenue"]].itertuples(index=False)
    ]


def _fit_versions(
    client: Client,
) -> tuple[tuple[list[EffectUpdate], list[EffectUpdate]], list[Recommendation]]:
    """Two model versions as the causal engine writes them (the first without the last two weeks) and
    the second version's budget plan and experiment ranking."""
    panel = daily_panel(client)
    units = panel_currencies(client)  # as the engine does: revenue and spend are both in USD here
    head = panel.iloc[:-14].reset_index(drop=True)
    first = estimate_effects(head, ModelRun(1, "mmm", 0.9, 0, *units), {}).updates
    previous = {u.channel: u for u in first}
    second = estimate_effects(panel, ModelRun(2, "mmm", 0.9, 0, *units), previous)
    assert second.results is not None
    plan, designs = make_plans(second.results, PlanRequest(horizon_days=14, risk=0.05))
    rows = recommendation_rows(plan, designs, 2, datetime(2025, 5, 2, tzinfo=UTC))
    return (first, second.updates), rows


def _load(settings: WarehouseSettings) -> Loaded:
    apply_migrations(connect(settings, use_database=False), settings.database)
    client = connect(settings)
    client.command("SYSTEM STOP MERGES marketing_daily")  # keep the physical duplicates countable
    world = simulate_world(WorldSpec(seed=3, start=START, end=END, entities_per_channel=20))
    rows, restated = _marketing_rows(world)
    insert_events(client, rows)
    insert_events(client, restated)
    insert_events(client, _outcomes(world))
    versions, recommendations = _fit_versions(client)
    for updates in versions:
        insert_events(client, updates)
    insert_events(client, recommendations)
    client.close()
    days = {channel: len({r.date for r in rows if r.channel == channel}) for channel in CHANNELS}
    return Loaded(settings, versions, recommendations, len(restated), days)


@pytest.fixture(scope="module")
def loaded(warehouse_server: WarehouseEndpoint) -> Loaded:
    """A fresh database with the simulated business and two model versions."""
    settings = WarehouseSettings(
        host=warehouse_server.host, port=warehouse_server.port, database=f"t_{uuid.uuid4().hex[:12]}"
    )
    return _load(settings)


def _cli(settings: WarehouseSettings, out: Path, *extra: str) -> Any:
    args = ["report", "--out", str(out), "--warehouse-host", settings.host]
    args += ["--warehouse-port", str(settings.port), "--database", settings.database, *extra]
    return CliRunner().invoke(app, args)


@pytest.fixture(scope="module")
def page(loaded: Loaded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The report rendered by ``liftos report`` (with the refit response curves)."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = _cli(loaded.settings, out)
    assert result.exit_code == 0, result.output
    assert "model v2 (mmm), 3 channels" in result.output and "response curves: refit" in result.output
    yield out


# ------------------------------------------------------------------ the page as text


def test_page_has_every_section_and_channel(page: Path) -> None:
    text = page.read_text()
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in text, anchor
    for heading in (
        "Channel effects",
        "Attribution waterfall",
        "Response curves",
        "Reported vs incremental ROAS",
    ):
        assert heading in text
    assert "Data quality" in text and "Model metadata" in text and 'id="dead-letters"' in text
    for channel in CHANNELS:
        assert text.count(f"<td>{channel}</td>") >= 3, channel  # effects, ROAS and data-quality tables
    assert text.count('<img src="data:image/png;base64,') == 6
    assert 'id="restated"' in text and "model versions; each point is a version" in text
    assert 'data-curve-source="refit"' in text


def test_page_shows_the_latest_version_numbers(page: Path, loaded: Loaded) -> None:
    text = page.read_text()
    first, latest = loaded.versions
    assert '<span id="model-version">2</span>' in text
    assert f"{latest[0].window_start} – {latest[0].window_end}" in text
    for update in latest:
        assert f'<span class="iroas">{fmt_ratio(update.incremental_roas)}</span>' in text
        assert fmt_money(update.revenue_lift) in text
        assert f"{fmt_money(update.ci_lower)} – {fmt_money(update.ci_upper)}" in text
    for old in first:  # the older version's lifts are not on the page
        assert fmt_money(old.revenue_lift) not in text
    # the completeness the version was fitted on, and the latest gate (none ran for these versions)
    assert '<span id="completeness">not measured</span>' in text
    assert '<span id="latest-gate">none yet</span>' in text


def test_page_shows_the_published_plan_and_the_top_test(page: Path, loaded: Loaded) -> None:
    text = page.read_text()
    plan = [r for r in loaded.recommendations if r.kind == "budget_plan"]
    tests = sorted((r for r in loaded.recommendations if r.kind == "experiment"), key=lambda r: r.rank)
    assert f'<p id="plan-summary">{html.escape(plan[0].summary, quote=True)}</p>' in text
    assert f"<b>{fmt_money(plan[0].plan_outcome or 0.0)}</b> incremental outcome" in text
    for row in plan:
        assert f"<b>{fmt_money(row.spend or 0.0)}</b>" in text
    assert f"<b>Top test:</b> {html.escape(tests[0].summary, quote=True)}" in text
    assert "published by the causal engine with model v2" in text and "risk-aware" in text


def test_plan_command_prints_and_writes_the_plan(loaded: Loaded, tmp_path: Path) -> None:
    """``liftos plan``: refit on the warehouse, a table of the plan and of the tests, the report with
    that plan; bounds the budget cannot meet are refused with the conflicting bounds named."""
    out = tmp_path / "plan.html"
    where = _warehouse_options(loaded.settings)
    result = CliRunner().invoke(
        app,
        [
            "plan",
            "--budget",
            "90000",
            "--days",
            "14",
            "--bounds",
            "meta=10000:60000",
            "--out",
            str(out),
            *where,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Budget plan" in result.output and "Lift tests to run next" in result.output
    assert "Top test:" in result.output and "90,000 over" in result.output and "14 days from" in result.output
    text = out.read_text()
    assert "computed by liftos plan" in text and 'id="top-test"' in text and "90,000" in text
    refused = CliRunner().invoke(
        app, ["plan", "--budget", "90000", "--bounds", "meta=100000:", "--out", str(out), *where]
    )
    assert refused.exit_code == 2 and "meta: minimum 100,000.00 (bounds) is above maximum" in refused.output


def test_plan_command_plans_from_the_day_after_the_clocks_last_complete_day(
    loaded: Loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An accelerated clock (``LIFTOS_CLOCK__…``, as the services read it) that has not reached the
    warehouse's last days: ``liftos plan`` fits up to the clock's last complete day, not the data's."""
    monkeypatch.setenv("LIFTOS_CLOCK__ORIGIN_DAY", "2025-04-21")
    monkeypatch.setenv("LIFTOS_CLOCK__ORIGIN_UNIX", str(time.time() + 3_600))  # not started: 04-20 is over
    out = tmp_path / "plan.html"
    plan = ["plan", "--budget", "90000", "--days", "14", "--out", str(out)]
    result = CliRunner().invoke(app, [*plan, *_warehouse_options(loaded.settings)])
    assert result.exit_code == 0, result.output
    assert "14 days from 2025-04-21" in result.output, result.output


def _warehouse_options(settings: WarehouseSettings) -> list[str]:
    """The ``liftos`` options that point a command at the test warehouse."""
    return [
        "--warehouse-host",
        settings.host,
        "--warehouse-port",
        str(settings.port),
        "--database",
        settings.database,
    ]


def test_page_is_self_contained(page: Path) -> None:
    text = page.read_text()
    assert re.search(r"https?://", text) is None
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)


# ------------------------------------------------------------------ the numbers behind the page


def test_report_data_quality_and_roas(loaded: Loaded) -> None:
    client = connect(loaded.settings)
    data: ReportData = load_report(client, loaded.settings.database, refit=False)
    client.close()
    quality = {q.channel: q for q in data.quality.channels}
    assert sorted(quality) == list(CHANNELS)
    assert quality["meta"].duplicates == loaded.restated_rows > 0
    assert quality["google_ads"].duplicates == 0 and quality["klaviyo"].duplicates == 0
    restated = {"meta": loaded.restated_rows, "google_ads": 0, "klaviyo": 0, "klaviyo outcome": 0}
    assert data.quality.restated == restated  # re-reads of equal values do not count
    versions = {p.model_version for p in data.history}
    assert versions == {v[0].model_version for v in loaded.versions}
    assert {p.channel for p in data.history} == set(CHANNELS)
    for channel in CHANNELS:
        assert quality[channel].window_days == 120
        assert quality[channel].missing_days == 120 - loaded.days_with_rows[channel]
    assert quality["google_ads"].missing_days >= len(MISSING_GOOGLE_DAYS)
    assert data.quality.outcomes.rows_final == 120 and data.quality.outcomes.missing_days == 0
    assert "Not tracked in the warehouse" in data.quality.dead_letters
    for effect in data.effects:
        assert effect.platform_roas > 0 and effect.platform_spend > 0
    assert data.waterfall.outcome_days == 120
    assert data.waterfall.baseline == pytest.approx(
        data.waterfall.total_revenue - sum(e.revenue_lift for e in data.effects)
    )


def test_no_refit_labels_the_curves_illustrative(loaded: Loaded, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = _cli(loaded.settings, out, "--no-refit")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert 'data-curve-source="derived"' in text and "Illustrative, not fitted" in text


def test_empty_warehouse_is_a_clear_error(warehouse_settings: WarehouseSettings, tmp_path: Path) -> None:
    apply_migrations(connect(warehouse_settings, use_database=False), warehouse_settings.database)
    result = _cli(warehouse_settings, tmp_path / "report.html")
    assert result.exit_code == 1
    assert "no model version" in result.output
    assert not (tmp_path / "report.html").exists()


# ------------------------------------------------------------------ rendered in a browser


@needs_chromium
def test_page_renders_in_headless_chromium(page: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    shot = screenshot(page, png, tmp_path)
    size, colours, ink = screenshot_stats(png)
    assert size == (2000, 1280)
    assert colours > 50 and ink > 0.05  # charts and text, not a blank or single-colour page
    dom = dump_dom(page, tmp_path)
    assert all(f'id="{anchor}"' in dom.stdout for anchor in SECTIONS)
    assert console_messages(shot.stderr, page) == [] and console_messages(dom.stderr, page) == []


@needs_chromium
def test_rendered_page_says_a_verdict_sentence_per_channel(
    page: Path, loaded: Loaded, tmp_path: Path
) -> None:
    """In the DOM Chromium built: one plain sentence per channel that names its verdict, and the
    120-day window (less than a year) keeps every channel from being called identified."""
    dom = dump_dom(page, tmp_path).stdout
    sentences = dict(re.findall(r'<li class="verdict-sentence" data-channel="(\w+)">([^<]+)</li>', dom))
    assert sorted(sentences) == list(CHANNELS)
    latest = {u.channel: u for u in loaded.versions[1]}
    for channel, sentence in sentences.items():
        verdict = latest[channel].verdict
        assert verdict in ("weak", "not_identified"), (channel, verdict)
        words = "not identified" if verdict == "not_identified" else "weak:"
        assert words in sentence and "per unit spent" in sentence, sentence
        assert html.unescape(sentence).startswith(latest[channel].summary[:30])
    assert 'id="model-accuracy"' in dom and "seasonal-naive baseline" in dom


@needs_chromium
def test_console_check_catches_page_errors(tmp_path: Path) -> None:
    """The console check works: a page that logs an error and throws is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><p>x</p><script>console.error("boom"); missingFunction();</script>')
    messages = console_messages(dump_dom(bad, tmp_path).stderr, bad)
    assert any("boom" in m for m in messages)
    assert any("Uncaught ReferenceError" in m for m in messages)


def test_settings_come_from_the_environment_with_cli_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    from liftos.cli.report import warehouse_settings

    monkeypatch.setenv("LIFTOS_WAREHOUSE__HOST", "ch.internal")
    monkeypatch.setenv("LIFTOS_WAREHOUSE__PORT", "8443")
    monkeypatch.setenv("LIFTOS_WAREHOUSE__DATABASE", "prod")
    monkeypatch.setenv("LIFTOS_WAREHOUSE__SECURE", "true")
    from_env = warehouse_settings(None, None, None)
    assert (from_env.host, from_env.port, from_env.database, from_env.secure) == (
        "ch.internal",
        8443,
        "prod",
        True,
    )
    overridden = warehouse_settings("127.0.0.1", 9000, None)
    assert (overridden.host, overridden.port, overridden.database) == ("127.0.0.1", 9000, "prod")
