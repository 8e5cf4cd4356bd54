"""The causal engine's loop with a real broker and warehouse: a lift test published to
``liftos.lift_tests.v1`` lands in ``lift_tests``, calibrates the refit (the effect update names it),
and the version's budget plan and experiment ranking are published to ``liftos.recommendations.v1``
and written to ``recommendations``; a malformed lift-test message goes to the dead-letter topic; rows
rewritten with the same values publish no new version, nor does a restarted engine on unchanged
inputs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from liftos.cli.lift_tests import publish_lift_tests, record
from liftos.events import EnrichedRow, LiftTestRecord, Recommendation, StoreOutcomeRow, version_of
from liftos.observability import configure_logging
from liftos.settings import KafkaSettings, ObservabilitySettings, WarehouseSettings
from liftos.streaming.codec import decode
from liftos.streaming.dead_letters import DeadLetterSink
from liftos.streaming.kafka import ensure_topics, make_consumer, make_producer, publish_raw
from liftos.topics import ALL_TOPICS, LIFT_TESTS, RECOMMENDATIONS
from liftos.warehouse.connection import connect, insert_events
from liftos.warehouse.lift_test_store import recommendations_of, recorded_lift_tests
from liftos.warehouse.migrations import apply_migrations
from liftos_causal_engine.lift_test_inbox import LiftTestInbox
from liftos_causal_engine.service import CausalEngine
from liftos_causal_engine.settings import CausalEngineSettings
from liftos_sandbox import CHANNELS, World, WorldSpec, simulate_world

START, DAYS = date(2024, 1, 1), 400
_WRITTEN = datetime(2025, 3, 1, tzinfo=UTC)


def _calendar(day: date) -> dict[str, object]:
    return {
        "country": "US", "day_of_week": day.weekday(), "week_of_year": day.isocalendar().week,
        "month": day.month, "quarter": (day.month - 1) // 3 + 1, "year": day.year,
        "is_weekend": day.weekday() >= 5, "is_holiday": False, "is_month_end": False, "is_quarter_end": False,
    }  # fmt: skip


def _load(world: World, days: int, settings: WarehouseSettings, written: datetime = _WRITTEN) -> None:
    """One marketing row per channel and day (the channel's spend in USD) and the store's outcome,
    as versions of ``written``."""
    apply_migrations(connect(settings, use_database=False), settings.database)
    client = connect(settings)
    version = version_of(written)
    rows, outcomes = [], []
    for i, day in enumerate(world.outcome["date"].dt.date[:days]):
        for channel in CHANNELS:
            spend = float(world.model.channels[channel].spend[i])
            rows.append(
                EnrichedRow(
                    date=day,
                    channel=channel,
                    platform=channel,
                    source=channel,
                    account_id="a",
                    campaign_id="c",
                    currency="USD",
                    source_currency="USD",
                    fx_rate=1.0,
                    spend=round(spend, 2),
                    impressions=0,
                    clicks=0,
                    conversions=0.0,
                    revenue=0.0,
                    event_id=f"{channel}-{day}",
                    version=version,
                    **_calendar(day),
                )
            )
        outcomes.append(
            StoreOutcomeRow(
                date=day,
                source="shop",
                account_id="store",
                orders=int(world.outcome["orders"].iloc[i]),
                revenue=float(world.outcome["revenue"].iloc[i]),
                currency="USD",
                event_id=f"o-{day}",
                version=version,
            )
        )
    insert_events(client, rows)
    insert_events(client, outcomes)
    client.close()


async def _recommendations_on_topic(kafka: KafkaSettings, since: datetime) -> list[Recommendation]:
    consumer = make_consumer(kafka, RECOMMENDATIONS.name, group_id=f"engine-test-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    rows: list[Recommendation] = []
    try:
        for _ in range(20):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                rows += [decode(Recommendation, r.value) for r in records]
            mine = [r for r in rows if r.generated_at >= since]
            if len(mine) >= 2 * len(CHANNELS):
                return mine
    finally:
        await consumer.stop()
    return [r for r in rows if r.generated_at >= since]


async def _dead_letter(kafka: KafkaSettings, value: bytes) -> dict[str, bytes] | None:
    consumer = make_consumer(kafka, LIFT_TESTS.dead_letters, group_id=f"engine-dlq-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    try:
        for _ in range(20):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    if r.value == value:
                        return dict(r.headers)
    finally:
        await consumer.stop()
    return None


@pytest.mark.timeout(600)
async def test_lift_tests_calibrate_refits_and_every_version_publishes_its_plan(
    kafka_settings: KafkaSettings, warehouse_settings: WarehouseSettings
) -> None:
    world = simulate_world(
        WorldSpec(seed=4, start=START, end=START + timedelta(days=DAYS + 60), entities_per_channel=8)
    )
    _load(world, DAYS, warehouse_settings)
    end = START + timedelta(days=DAYS - 1)
    measured = world.lift_test("google_ads", end - timedelta(days=27), end)
    test = record(
        "google_ads", measured.start, measured.end, measured.incremental_revenue, measured.standard_error,
        test_id=f"geo-{uuid.uuid4().hex[:6]}",
    )  # fmt: skip
    await publish_lift_tests([test], kafka_settings)
    await ensure_topics(kafka_settings, ALL_TOPICS)
    settings = CausalEngineSettings(
        kafka=kafka_settings, warehouse=warehouse_settings, min_refit_interval_s=0, plan_horizon_days=14,
        observability=ObservabilitySettings(log_format="console"),
    )  # fmt: skip
    client = connect(warehouse_settings)
    producer = make_producer(kafka_settings, client_suffix="engine-test")
    await producer.start()
    consumer = make_consumer(kafka_settings, LIFT_TESTS.name, group_id=f"engine-tests-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    garbage = b'{"test_id": "x", "channel": 3}' + uuid.uuid4().hex.encode()
    await publish_raw(producer, LIFT_TESTS.name, [(b"x", garbage)])
    log = configure_logging(settings.observability, "causal-engine-test")
    inbox = LiftTestInbox(consumer, client, DeadLetterSink(producer, "causal-engine"), log)
    engine = CausalEngine(settings, client, producer, log, inbox=inbox)
    since = datetime.now(UTC)
    try:
        for _ in range(30):  # the consumer joins its group, then the engine drains and refits
            if test.test_id in {t.test_id for t in recorded_lift_tests(client)}:
                break
            await inbox.drain(timeout_ms=1000)
        assert await engine.step()
        stored = {t.test_id: t for t in recorded_lift_tests(client)}
        assert stored[test.test_id] == test
        updates = client.query(
            "SELECT channel, lift_tests FROM effect_updates FINAL WHERE model_version = 1 ORDER BY channel"
        ).result_rows
        assert dict(updates) == {"google_ads": [test.test_id], "klaviyo": [], "meta": []}
        rows = recommendations_of(client, 1)
        plan = [r for r in rows if r.kind == "budget_plan"]
        tests = sorted((r for r in rows if r.kind == "experiment"), key=lambda r: r.rank)
        assert sorted(r.channel for r in plan) == sorted(CHANNELS) and [r.rank for r in tests] == [1, 2, 3]
        assert sum(r.spend or 0.0 for r in plan) == pytest.approx(plan[0].total_budget, rel=1e-9)
        assert plan[0].risk == 0.05 and (plan[0].horizon_end - plan[0].horizon_start).days == 13
        assert all(
            r.min_spend is not None and r.min_spend <= (r.spend or 0.0) <= (r.max_spend or 0.0) for r in plan
        )
        on_topic = await _recommendations_on_topic(kafka_settings, since)
        assert {(r.kind, r.channel) for r in on_topic} == {(r.kind, r.channel) for r in rows}
        headers = await _dead_letter(kafka_settings, garbage)
        assert headers is not None and b"invalid LiftTestRecord" in headers["liftos.dlq.reason"]
        assert not await engine.step()  # nothing new: no refit
        _load(world, DAYS, warehouse_settings, written=_WRITTEN + timedelta(days=1))  # same values rewritten
        assert not await engine.step() and engine.version == 1  # nothing changed: no new version
        (stored_fingerprint,) = client.query(
            "SELECT inputs_fingerprint FROM model_status FINAL WHERE status = 'published'"
        ).result_rows[0]
        assert len(stored_fingerprint) == 64
        restarted = CausalEngine(settings, client, producer, log)  # a restart: the same inputs, no version
        assert not await restarted.step() and restarted.version == 1
        second = record("meta", START + timedelta(days=100), START + timedelta(days=127), 1.0e5, 2.0e4)
        await publish_lift_tests([second], kafka_settings)
        for _ in range(10):
            if await engine.step():
                break
            await asyncio.sleep(0.5)
        used = dict(client.query(
            "SELECT channel, lift_tests FROM effect_updates FINAL WHERE model_version = 2 ORDER BY channel"
        ).result_rows)  # fmt: skip
        assert used["meta"] == [second.test_id] and used["google_ads"] == [test.test_id]
        assert isinstance(stored[test.test_id], LiftTestRecord)
    finally:
        await consumer.stop()
        await producer.stop()
        client.close()
