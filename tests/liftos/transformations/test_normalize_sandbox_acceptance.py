"""Acceptance: a sandbox backfill through the three connectors, normalized, equals the simulator.

Per channel and per day, normalized spend equals the simulated spend converted to the reporting
currency, and normalized platform revenue equals the platform-reported revenue as of the emulator's
"today" (converted), to the cent, across account currencies; Klaviyo spend is recipients x rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import pytest

from liftos.events import RawEvent
from liftos.integrations import (
    Connector,
    GoogleAdsConnector,
    KlaviyoConnector,
    MemoryCursorStore,
    MetaAdsConnector,
)
from liftos.integrations.sync import sync_connector
from liftos.pipeline.normalize import NormalizedBatch, normalize_messages
from liftos.streaming.codec import encode
from liftos.streaming.messages import Inbound
from liftos.transformations import EMAIL_COST_PER_RECIPIENT, MappingContext
from liftos.transformations.fx_rates import DailyRates
from liftos_sandbox import World, WorldSpec, simulate_world
from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig
from liftos_sandbox.emulators.server import EmulatorConfig
from liftos_sandbox.emulators.source import serve_world
from tests.liftos.integrations.emulator_harness import fast_policy, running

SPEC = WorldSpec(seed=7, start=date(2025, 9, 1), end=date(2025, 12, 29), entities_per_channel=30)
CENT = 0.005


def _connectors(world: World, url: str) -> list[Connector]:
    creds: dict[str, dict[str, Any]] = dict(world.credentials())
    fast: dict[str, Any] = {"policy": fast_policy(), "timeout_s": 5.0}
    return [
        MetaAdsConnector(**creds["meta"], base_url=url, poll_interval_s=0.01, **fast),
        GoogleAdsConnector(
            **{**creds["google_ads"], "customer_id": None}, base_url=url, token_url=f"{url}/token", **fast
        ),
        KlaviyoConnector(**creds["klaviyo"], base_url=url, **fast),
    ]


async def _backfill(connector: Connector) -> list[RawEvent]:
    events: list[RawEvent] = []

    async def publish(batch: Any) -> None:
        events.extend(batch)

    await sync_connector(
        connector, publish=publish, store=MemoryCursorStore(), since=SPEC.start, until=SPEC.end
    )
    await connector.aclose()
    return events


@pytest.fixture(scope="module")
def world() -> World:
    return simulate_world(SPEC)


@pytest.fixture(scope="module")
def normalized(world: World) -> Iterator[NormalizedBatch]:
    config = EmulatorConfig(klaviyo=KlaviyoConfig(rate_limits=False), fault_rate=0.0)
    with running(serve_world(world), config) as server:

        async def all_events() -> list[RawEvent]:
            found = await asyncio.gather(*(_backfill(c) for c in _connectors(world, server.url)))
            return [event for events in found for event in events]

        events = asyncio.run(all_events())
    context = MappingContext(
        reporting_currency=SPEC.reporting_currency,
        daily_rates=DailyRates(SPEC.reporting_currency),
        account_currencies=dict(zip(world.accounts["account_id"], world.accounts["currency"], strict=True)),
    )
    messages = [Inbound("liftos.raw.v1", 0, i, None, encode(e)) for i, e in enumerate(events)]
    yield normalize_messages(messages, context)


def _per_day(frame: pd.DataFrame, column: str) -> dict[tuple[str, date], float]:
    sums = frame.groupby(["channel", "date"])[column].sum()
    return {(str(key[0]), pd.Timestamp(key[1]).date()): float(v) for key, v in sums.items()}  # type: ignore[index]


def _assert_to_the_cent(got: dict[tuple[str, date], float], want: dict[tuple[str, date], float]) -> None:
    want = {k: v for k, v in want.items() if abs(v) >= CENT}
    got = {k: v for k, v in got.items() if abs(v) >= CENT}
    assert got.keys() == want.keys()
    off = {k: (got[k], want[k]) for k in want if abs(got[k] - want[k]) >= CENT}
    assert not off, f"{len(off)} channel-days differ, e.g. {list(off.items())[:3]}"


def _rows(batch: NormalizedBatch) -> pd.DataFrame:
    return pd.DataFrame([r.model_dump() for r in batch.rows])


def _converted(world: World, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    fx = world.fx_of(frame)
    return frame.assign(value=frame[column] * fx, date=frame["date"].dt.date)


def test_every_event_maps_and_currencies_vary(world: World, normalized: NormalizedBatch) -> None:
    assert normalized.dead_letters == []
    rows = _rows(normalized)
    assert set(rows["channel"]) == {"meta", "google_ads", "klaviyo"}
    assert {"EUR", "GBP"} <= set(rows["source_currency"]) and set(rows["currency"]) == {"USD"}
    assert len(rows) == len(world.daily)


def test_spend_per_channel_and_day_equals_the_simulator(world: World, normalized: NormalizedBatch) -> None:
    want = _per_day(_converted(world, world.daily, "spend"), "value")
    _assert_to_the_cent(_per_day(_rows(normalized), "spend"), want)


def test_platform_revenue_equals_what_the_platforms_report(world: World, normalized: NormalizedBatch) -> None:
    reported = world.reported_as_of(SPEC.end)
    want = _per_day(_converted(world, reported, "platform_revenue"), "value")
    _assert_to_the_cent(_per_day(_rows(normalized), "revenue"), want)


def test_klaviyo_spend_is_recipients_times_rate(world: World, normalized: NormalizedBatch) -> None:
    rows = _rows(normalized)
    email = rows[rows["channel"] == "klaviyo"]
    assert email["spend"].to_numpy() == pytest.approx(
        email["impressions"].to_numpy() * EMAIL_COST_PER_RECIPIENT
    )
    daily = world.daily[world.daily["channel"] == "klaviyo"]
    assert email["spend"].sum() == pytest.approx(
        daily["recipients"].sum() * EMAIL_COST_PER_RECIPIENT, abs=CENT
    )


def test_store_outcomes_equal_the_simulated_outcome(world: World, normalized: NormalizedBatch) -> None:
    got = {o.date: (o.orders, round(o.revenue, 2)) for o in normalized.outcomes}
    want = {
        pd.Timestamp(d).date(): (int(o), round(float(r), 2))
        for d, o, r in world.outcome[["date", "orders", "revenue"]].itertuples(index=False)
    }
    assert got == want
