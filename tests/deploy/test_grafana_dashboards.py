"""deploy/grafana: every dashboard loads, every ClickHouse query runs, every PromQL expression parses.

Grafana itself cannot run here, so the test does what Grafana's ClickHouse plugin does with a panel's SQL:
substitute template variables and expand the plugin's macros (:func:`expand`), then runs the SQL on the
real embedded warehouse loaded with ~60 days × 3 channels of marketing rows, store outcomes and three
model versions of effects (or, with ``LIFTOS_DASHBOARD_WAREHOUSE=host:port/database``, against a warehouse
left by a demo run), and requires rows with the expected columns. PromQL targets are parsed by
``promtool`` and may only select metrics the services define (see ``tests/deploy/prom_support.py``).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest
import yaml
from clickhouse_connect.driver.client import Client

from liftos.events import EffectUpdate, EnrichedRow, Event, Recommendation, StoreOutcomeRow, version_of
from liftos.settings import WarehouseSettings
from liftos.warehouse.connection import connect, insert_events
from liftos.warehouse.migrations import apply_migrations
from tests.deploy.prom_support import (
    PROPOSED_METRICS,
    check_promql,
    known_metric_names,
    metric_names,
    promtool,
    recorded_names,
)
from tests.fixtures.warehouse import WarehouseEndpoint

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
CLICKHOUSE_UID, PROMETHEUS_UID = "liftos-clickhouse", "liftos-prometheus"
CHANNELS = ("google", "klaviyo", "meta")
DAYS = 60

#: Columns each ClickHouse query must return, by dashboard uid and panel title (or variable/annotation).
EXPECTED_COLUMNS: dict[tuple[str, str], list[str]] = {
    ("liftos-effects", "variable channel"): ["channel"],
    ("liftos-effects", "Latest model version"): ["model_version", "trained_at"],
    ("liftos-effects", "Latest effects per channel"): [
        "channel",
        "model_version",
        "spend",
        "revenue_lift",
        "ci_lower",
        "ci_upper",
        "confidence_level",
        "incremental_roas",
        "marginal_roas",
        "p_value",
        "verdict",
        "incremental_roas_90d",
        "model_accuracy",
        "baseline_accuracy",
        "method",
        "trained_at",
    ],
    ("liftos-effects", "iROAS of ${channel} now: trailing 28 and 90 days over model versions"): [
        "time",
        "iroas_28d",
        "iroas_90d",
        "iroas_90d_lower",
        "iroas_90d_upper",
    ],
    ("liftos-effects", "Verdicts (latest model)"): [
        "channel",
        "verdict",
        "verdict_reason",
        "prior_contraction",
        "summary",
    ],
    ("liftos-effects", "iROAS of ${channel} over model versions"): [
        "time",
        "iroas",
        "iroas_lower",
        "iroas_upper",
    ],
    ("liftos-effects", "Revenue lift per channel over model versions"): ["time", "channel", "revenue_lift"],
    ("liftos-effects", "Revenue lift per channel (latest model, with interval)"): [
        "channel",
        "revenue_lift",
        "ci_lower",
        "ci_upper",
    ],
    ("liftos-effects", "Incremental vs platform-reported ROAS (latest model window)"): [
        "channel",
        "incremental_roas",
        "platform_roas",
    ],
    ("liftos-effects", "Budget plan (latest model)"): [
        "channel",
        "current_spend",
        "spend",
        "change",
        "min_spend",
        "max_spend",
        "limit_rule",
        "expected_outcome",
        "outcome_lower",
        "outcome_upper",
        "plan_gain",
        "plan_gain_lower",
        "plan_gain_upper",
        "probability_of_gain",
        "risk",
        "horizon_start",
        "horizon_end",
        "model_version",
    ],
    ("liftos-effects", "Lift tests to run next (latest model)"): [
        "rank",
        "channel",
        "test_kind",
        "test_days",
        "spend_forgone",
        "expected_lift",
        "predicted_se",
        "iroas_lower",
        "iroas_upper",
        "predicted_lower",
        "predicted_upper",
        "reaches_target",
        "value_per_spend",
        "summary",
    ],
    ("liftos-marketing", "variable channel"): ["channel"],
    ("liftos-marketing", "annotation Holidays"): ["time", "text", "tags"],
    ("liftos-marketing", "Spend per channel per day"): ["time", "channel", "spend"],
    ("liftos-marketing", "Store outcome per day"): ["time", "revenue", "orders"],
    ("liftos-marketing", "Total spend vs outcome revenue"): ["time", "outcome_revenue", "spend"],
    ("liftos-marketing", "Channel summary (platform-reported)"): [
        "channel",
        "spend",
        "impressions",
        "clicks",
        "conversions",
        "platform_revenue",
        "platform_roas",
        "cpc",
    ],
    ("liftos-marketing", "Average daily spend by weekday"): ["day_of_week", "weekday", "avg_daily_spend"],
    ("liftos-marketing", "Holidays in range"): ["date", "holiday", "spend"],
}


# ------------------------------------------------------------------ the plugin's macros


@dataclass(frozen=True)
class QueryContext:
    """What Grafana knows when it sends a query: the time range, the interval and variable values."""

    start: datetime
    end: datetime
    interval_s: int
    variables: dict[str, list[str]]


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _variable(ctx: QueryContext, name: str, fmt: str | None) -> str:
    """Grafana's interpolation: ``singlequote`` → ``'a','b'``; unformatted → ``a,b`` (csv)."""
    values = ctx.variables[name]
    if fmt == "singlequote":
        return ",".join(_quote(value) for value in values)
    if fmt in (None, "csv"):
        return ",".join(values)
    raise ValueError(f"unsupported variable format {fmt!r}")


def expand(sql: str, ctx: QueryContext) -> str:
    """Expand template variables and the ClickHouse plugin's macros the way Grafana does.

    Mirrors ``pkg/macros/macros.go`` of grafana-clickhouse-datasource (v4): ``$__timeFilter(c)`` →
    ``c >= toDateTime(FROM) AND c <= toDateTime(TO)``; ``$__dateFilter(c)`` → ``c >= toDate('YYYY-MM-DD')
    AND c <= toDate(…)``; ``$__timeInterval(c)`` → ``toStartOfInterval(toDateTime(c), INTERVAL N second)``;
    ``$__fromTime``/``$__toTime`` → ``toDateTime(unix seconds)``; ``$__interval_s`` → N. Variables
    (``${name}``, ``${name:format}``, ``$name``) are replaced first, as Grafana's frontend does.
    """
    sql = re.sub(r"\$\{(\w+)(?::(\w+))?\}", lambda m: _variable(ctx, m[1], m[2]), sql)
    sql = re.sub(r"\$(?!__)(\w+)", lambda m: _variable(ctx, m[1], None), sql)
    start, end = int(ctx.start.timestamp()), int(ctx.end.timestamp())
    day_from, day_to = ctx.start.date().isoformat(), ctx.end.date().isoformat()
    functions = {
        "timeFilter": lambda c: f"{c} >= toDateTime({start}) AND {c} <= toDateTime({end})",
        "dateFilter": lambda c: f"{c} >= toDate('{day_from}') AND {c} <= toDate('{day_to}')",
        "timeInterval": lambda c: (
            f"toStartOfInterval(toDateTime({c}), INTERVAL {max(ctx.interval_s, 1)} second)"
        ),
    }
    sql = re.sub(r"\$__(\w+)\(([^)]*)\)", lambda m: functions[m[1]](m[2].strip()), sql)
    plain = {
        "fromTime": f"toDateTime({start})",
        "toTime": f"toDateTime({end})",
        "interval_s": str(ctx.interval_s),
    }
    sql = re.sub(r"\$__(fromTime|toTime|interval_s)\b", lambda m: plain[m[1]], sql)
    assert "$" not in sql, f"unexpanded macro or variable in: {sql}"
    return sql


def test_expand_matches_the_plugin() -> None:
    """Spot checks against the plugin's documented expansions."""
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 31, 12, tzinfo=UTC)
    ctx = QueryContext(start, end, 3600, {"channel": ["meta", "o'brien"]})
    assert expand("$__timeFilter(d)", ctx) == "d >= toDateTime(1735689600) AND d <= toDateTime(1738324800)"
    assert expand("$__dateFilter(d)", ctx) == "d >= toDate('2025-01-01') AND d <= toDate('2025-01-31')"
    assert expand("$__timeInterval(d)", ctx) == "toStartOfInterval(toDateTime(d), INTERVAL 3600 second)"
    assert expand("$__fromTime $__toTime $__interval_s", ctx) == (
        "toDateTime(1735689600) toDateTime(1738324800) 3600"
    )
    assert expand("IN (${channel:singlequote})", ctx) == "IN ('meta','o\\'brien')"
    assert expand("$channel", ctx) == "meta,o'brien"


# ------------------------------------------------------------------ dashboards and their queries


@dataclass(frozen=True)
class Query:
    """One query a dashboard sends: where it is, its datasource uid and text, and its panel's repeat."""

    dashboard: str
    title: str
    datasource: str
    text: str
    repeat: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Key of :data:`EXPECTED_COLUMNS`."""
        return (self.dashboard, self.title)


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _target_query(uid: str, title: str, panel: dict[str, Any], target: dict[str, Any]) -> Query:
    source = (target.get("datasource") or panel.get("datasource") or {}).get("uid", "")
    text = target.get("rawSql") if source == CLICKHOUSE_UID else target.get("expr")
    return Query(uid, title, source, str(text or ""), panel.get("repeat"))


def dashboard_queries(path: Path) -> list[Query]:
    """Every query of a dashboard: panel targets, query variables and annotation queries."""
    board = _load(path)
    uid = board["uid"]
    queries = [
        _target_query(uid, panel["title"], panel, target)
        for panel in _panels(board["panels"])
        for target in panel.get("targets", [])
    ]
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            queries.append(
                Query(uid, f"variable {variable['name']}", variable["datasource"]["uid"], variable["query"])
            )
    for annotation in board.get("annotations", {}).get("list", []):
        if "target" in annotation:
            target = annotation["target"]
            queries.append(_target_query(uid, f"annotation {annotation['name']}", annotation, target))
    return queries


ALL_QUERIES = [query for path in DASHBOARDS for query in dashboard_queries(path)]
CLICKHOUSE_QUERIES = [query for query in ALL_QUERIES if query.datasource == CLICKHOUSE_UID]
PROMQL = [query for query in ALL_QUERIES if query.datasource == PROMETHEUS_UID]


def test_dashboards_exist_and_are_distinct() -> None:
    """The effects, pipeline and marketing dashboards exist, with unique uids and titles."""
    boards = [_load(path) for path in DASHBOARDS]
    assert {board["uid"] for board in boards} >= {"liftos-effects", "liftos-pipeline", "liftos-marketing"}
    assert len({board["uid"] for board in boards}) == len(boards)
    assert len({board["title"] for board in boards}) == len(boards)


def test_every_query_uses_a_provisioned_datasource() -> None:
    """Panels only reference the provisioned datasource uids; panel ids are unique per dashboard."""
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "datasources.yml").read_text())
    uids = {source["uid"] for source in provisioned["datasources"]}
    assert {CLICKHOUSE_UID, PROMETHEUS_UID} <= uids
    assert all(query.datasource in uids and query.text for query in ALL_QUERIES)
    for path in DASHBOARDS:
        ids = [panel["id"] for panel in _panels(_load(path)["panels"])]
        assert len(ids) == len(set(ids)), path.name


def test_every_clickhouse_query_has_expected_columns() -> None:
    """Each ClickHouse query is registered in EXPECTED_COLUMNS, and nothing stale is."""
    assert sorted({query.key for query in CLICKHOUSE_QUERIES}) == sorted(EXPECTED_COLUMNS)


# ------------------------------------------------------------------ realistic warehouse rows


def _calendar(day: date, names: holidays.HolidayBase) -> dict[str, Any]:
    tomorrow = day + timedelta(days=1)
    return {
        "country": "US",
        "day_of_week": day.weekday(),
        "week_of_year": day.isocalendar().week,
        "month": day.month,
        "quarter": (day.month - 1) // 3 + 1,
        "year": day.year,
        "is_weekend": day.weekday() >= 5,
        "is_holiday": day in names,
        "holiday_name": names.get(day) or "",
        "is_month_end": tomorrow.month != day.month,
        "is_quarter_end": tomorrow.month != day.month and day.month % 3 == 0,
    }


def _marketing_row(
    day: date, channel: str, campaign: int, version: int, names: holidays.HolidayBase
) -> EnrichedRow:
    spend = 200.0 + 40 * CHANNELS.index(channel) + 15 * campaign + 10 * day.weekday()
    return EnrichedRow(
        date=day,
        channel=channel,
        platform={"google": "google_ads", "klaviyo": "email", "meta": "facebook"}[channel],
        source=channel,
        account_id=f"{channel}-acct",
        campaign_id=f"{channel}-c{campaign}",
        campaign=f"Campaign {campaign}",
        currency="USD",
        source_currency="USD",
        fx_rate=1.0,
        spend=spend,
        impressions=int(spend * 90),
        clicks=int(spend * 1.5),
        conversions=spend / 40,
        revenue=spend * (2.0 + 0.5 * CHANNELS.index(channel)),
        event_id=f"{channel}-{campaign}-{day}",
        version=version,
        **_calendar(day, names),
    )


def _effect(channel: str, model_version: int, trained: datetime, first: date) -> EffectUpdate:
    spend = 12_000.0 + 500 * model_version
    lift = spend * (1.2 + 0.3 * CHANNELS.index(channel) + 0.05 * model_version)
    return EffectUpdate(
        model_version=model_version,
        trained_at=trained,
        window_start=first,
        window_end=trained.date() - timedelta(days=1),
        channel=channel,
        spend=spend,
        revenue_lift=lift,
        ci_lower=lift * 0.75,
        ci_upper=lift * 1.25,
        confidence_level=0.95,
        p_value=0.02,
        incremental_roas=lift / spend,
        marginal_roas=0.9,
        method="mmm",
        refresh_stability=None if model_version == 1 else 0.04,
        verdict="identified" if channel == "meta" else "weak",
        verdict_reason="the data narrowed the prior by 90%",
        summary=f"{channel} returns between 1.0 and 2.0 revenue per unit spent",
        prior_contraction=0.9,
        model_accuracy=0.92,
        baseline_accuracy=0.85,
        spend_28d=spend / 20,
        revenue_lift_28d=lift / 20,
        ci_lower_28d=lift / 25,
        ci_upper_28d=lift / 15,
        incremental_roas_28d=lift / spend,
        spend_90d=spend / 8,
        revenue_lift_90d=lift / 8,
        ci_lower_90d=lift / 10,
        ci_upper_90d=lift / 6,
        incremental_roas_90d=lift / spend,
    )


def _recommendations(model_version: int, generated: datetime, start: date) -> list[Recommendation]:
    """One version's budget plan (a row per channel) and experiment ranking, as the engine writes them."""
    common = {"model_version": model_version, "generated_at": generated, "horizon_start": start}
    common |= {"horizon_end": start + timedelta(days=27), "confidence_level": 0.95}
    plan = [
        Recommendation(
            **common,
            kind="budget_plan",
            channel=channel,
            spend=9_000.0 + 500 * i,
            current_spend=9_000.0,
            min_spend=6_300.0,
            max_spend=11_700.0,
            limit_rule="max change 30% of current 9,000.00",
            expected_outcome=20_000.0,
            outcome_lower=15_000.0,
            outcome_upper=26_000.0,
            marginal_return=1.4,
            total_budget=28_500.0,
            objective="revenue",
            risk=0.05,
            plan_outcome=60_000.0,
            plan_gain=800.0,
            plan_gain_lower=-200.0,
            plan_gain_upper=1_900.0,
            probability_of_gain=0.91,
        )
        for i, channel in enumerate(CHANNELS)
    ]
    tests = [
        Recommendation(
            **common,
            kind="experiment",
            channel=channel,
            rank=i + 1,
            test_kind="go_dark",
            test_days=28,
            spend_scale=0.0,
            spend_forgone=9_000.0,
            expected_lift=18_000.0,
            predicted_se=4_000.0,
            iroas=2.0,
            iroas_lower=1.0,
            iroas_upper=3.5,
            predicted_lower=1.5,
            predicted_upper=2.6,
            reaches_target=False,
            value_per_spend=0.1 / (i + 1),
            summary=f"{channel}: go dark for 28 days",
        )
        for i, channel in enumerate(CHANNELS)
    ]
    return plan + tests


def demo_rows(
    today: date,
) -> tuple[list[EnrichedRow], list[StoreOutcomeRow], list[EffectUpdate], list[Event]]:
    """60 days × 3 channels × 2 campaigns of marketing rows, daily outcomes, 3 model versions and the
    last version's recommendations."""
    days = [today - timedelta(days=offset) for offset in range(DAYS, 0, -1)]
    names = holidays.country_holidays("US", years={day.year for day in days})
    names[days[DAYS // 2]] = "Store anniversary sale"  # a business event, so every 60-day window has one
    version = version_of(datetime.now(UTC))
    marketing = [
        _marketing_row(day, channel, campaign, version, names)
        for day in days
        for channel in CHANNELS
        for campaign in (1, 2)
    ]
    outcomes = [
        StoreOutcomeRow(
            date=day,
            source="shop",
            account_id="store-1",
            orders=80 + day.weekday() * 3,
            revenue=6_000.0 + 150 * day.weekday(),
            currency="USD",
            event_id=f"shop-{day}",
            version=version,
        )
        for day in days
    ]
    midnight = datetime(today.year, today.month, today.day, 6, tzinfo=UTC)
    effects = [
        _effect(channel, model_version, midnight - timedelta(days=7 * (4 - model_version)), days[0])
        for model_version in (1, 2, 3)
        for channel in CHANNELS
    ]
    plans: list[Event] = list(_recommendations(3, midnight - timedelta(days=7), today))
    return marketing, outcomes, effects, plans


@pytest.fixture(scope="module")
def warehouse(request: pytest.FixtureRequest) -> Client:
    """A database of this module's own on the session warehouse, loaded with :func:`demo_rows`.

    With ``LIFTOS_DASHBOARD_WAREHOUSE=host:port/database`` the queries run against that warehouse as it is
    (e.g. after ``make demo``) instead, without loading anything.
    """
    existing = os.environ.get("LIFTOS_DASHBOARD_WAREHOUSE")
    if existing:
        address, database = existing.split("/", 1)
        host, port = address.rsplit(":", 1)
        return connect(WarehouseSettings(host=host, port=int(port), database=database))
    server: WarehouseEndpoint = request.getfixturevalue("warehouse_server")
    settings = WarehouseSettings(host=server.host, port=server.port, database=f"g_{uuid.uuid4().hex[:12]}")
    apply_migrations(connect(settings, use_database=False), settings.database)
    client = connect(settings)
    for rows in demo_rows(datetime.now(UTC).date()):
        insert_events(client, rows)
    return client


def _context(client: Client, repeat_value: str | None) -> QueryContext:
    end = datetime.now(UTC)
    channels = [row[0] for row in client.query("SELECT DISTINCT channel FROM marketing_daily").result_rows]
    values = [repeat_value] if repeat_value else sorted(channels)
    return QueryContext(end - timedelta(days=90), end, 7200, {"channel": values})


@pytest.mark.parametrize("query", CLICKHOUSE_QUERIES, ids=lambda q: f"{q.dashboard}:{q.title}")
def test_clickhouse_query_returns_rows(warehouse: Client, query: Query) -> None:
    """The expanded SQL runs on the warehouse and returns ≥ 1 row with exactly the expected columns."""
    for value in CHANNELS if query.repeat == "channel" else (None,):
        result = warehouse.query(expand(query.text, _context(warehouse, value)))
        assert list(result.column_names) == EXPECTED_COLUMNS[query.key], query.title
        assert result.result_rows, f"{query.title} returned no rows (channel={value})"
        if "time" in result.column_names:
            assert all(row[0] is not None for row in result.result_rows)


# ------------------------------------------------------------------ PromQL


def test_promql_expressions_parse(tmp_path: Path) -> None:
    """``promtool check rules`` accepts every Prometheus target (Grafana's $__rate_interval → 5m)."""
    if promtool() is None:
        pytest.skip("promtool not found: install Debian's `prometheus` package")
    assert PROMQL, "no Prometheus panels"
    done = check_promql([query.text for query in PROMQL], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("query", PROMQL, ids=lambda q: f"{q.dashboard}:{q.title}:{q.text[:40]}")
def test_promql_selects_only_exported_metrics(query: Query) -> None:
    """Every metric a Prometheus panel selects is defined by a service (or recorded, or proposed)."""
    unknown = metric_names(query.text) - known_metric_names() - recorded_names() - PROPOSED_METRICS
    assert not unknown, f"{query.title}: {unknown} is not exported by any service"


def test_pipeline_dashboard_covers_the_health_signals() -> None:
    """Rows/s per stage, dead letters, freshness, lag and last fit age are all on the pipeline dashboard."""
    used = set().union(*(metric_names(q.text) for q in PROMQL if q.dashboard == "liftos-pipeline"))
    for name in (
        "liftos_ingestor_rows_published_total",
        "liftos_normalizer_rows_out_total",
        "liftos_enricher_rows_written_total",
        "liftos_normalizer_dead_lettered_total",
        "liftos_enricher_dead_lettered_total",
        "liftos_enricher_freshness_seconds_bucket",
        "liftos_normalizer_consumer_lag_messages",
        "liftos_causal_engine_last_fit_timestamp_seconds",
        "liftos_causal_engine_effect_freshness_seconds_bucket",
    ):
        assert name in used, name
