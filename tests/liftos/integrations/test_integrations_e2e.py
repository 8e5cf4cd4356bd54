"""End to end against the sandbox emulators with 30 % injected faults: a one-year backfill per source
returns exactly the rows the emulator holds, and an overlapping second run rewrites the same keys."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
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
from liftos.integrations.http_core import RetryPolicy
from liftos.integrations.sync import ProgressUpdate, SyncResult, sync_connector
from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig
from liftos_sandbox.emulators.server import EmulatorConfig
from liftos_sandbox.emulators.source import ServedWorld

from .emulator_harness import Running, fast_policy, one_year_world, running

SINCE, UNTIL = date(2025, 1, 1), date(2025, 12, 31)
FAULTS = EmulatorConfig(klaviyo=KlaviyoConfig(rate_limits=False), fault_rate=0.3, timeout_delay_s=0.6)


@pytest.fixture(scope="module")
def world() -> ServedWorld:
    return one_year_world()


@pytest.fixture(scope="module")
def server(world: ServedWorld) -> Iterator[Running]:
    with running(world, FAULTS) as srv:
        yield srv


def _connectors(world: ServedWorld, url: str) -> dict[str, Connector]:
    creds: dict[str, dict[str, Any]] = dict(world.credentials)
    fast: dict[str, Any] = {"policy": fast_policy(), "timeout_s": 0.3}
    return {
        "meta": MetaAdsConnector(**creds["meta"], base_url=url, **fast),
        "google_ads": GoogleAdsConnector(
            **{**creds["google_ads"], "customer_id": None}, base_url=url, token_url=f"{url}/token", **fast
        ),
        "klaviyo": KlaviyoConnector(**creds["klaviyo"], base_url=url, **fast),
    }


async def _backfill(connector: Connector, store: MemoryCursorStore) -> list[RawEvent]:
    events: list[RawEvent] = []
    progress: list[ProgressUpdate] = []

    async def publish(batch: Any) -> None:
        events.extend(batch)

    await sync_connector(
        connector, publish=publish, store=store, since=SINCE, until=UNTIL, progress=progress.append
    )
    assert progress and all(p.done <= p.total for p in progress)
    await connector.aclose()
    return events


def _cents(text: Any) -> int:
    return round(float(text) * 100)


def _assert_idempotent(first: list[RawEvent], second: list[RawEvent]) -> None:
    by_key = {e.idempotency_key: e.payload for e in first}
    assert len(by_key) == len(first), "duplicate natural keys in the backfill"
    assert second, "the overlapping run re-read nothing"
    assert all(by_key[e.idempotency_key] == e.payload for e in second)


async def test_meta_backfill_matches_the_emulator(server: Running, world: ServedWorld) -> None:
    """Given 30 % faults, a year of ad-day insights equals the world's rows and spend per account."""
    store = MemoryCursorStore()
    first = await _backfill(_connectors(world, server.url)["meta"], store)
    daily = world.daily["meta"]
    assert len(first) == len(daily)
    spend: dict[str, int] = {}
    for event in first:
        spend[event.account_id] = spend.get(event.account_id, 0) + _cents(event.payload["spend"])
    assert spend == {k: int(v) for k, v in daily.groupby("account_id")["spend_cents"].sum().items()}
    second = await _backfill(_connectors(world, server.url)["meta"], store)
    assert {e.request_slice.start for e in second} == {date(2025, 12, 4)}
    _assert_idempotent(first, second)


async def test_google_backfill_matches_the_emulator(server: Running, world: ServedWorld) -> None:
    """Given 30 % faults, a year of ad-group-day rows equals the world's, cost in exact micros."""
    store = MemoryCursorStore()
    first = await _backfill(_connectors(world, server.url)["google_ads"], store)
    daily = world.daily["google_ads"]
    assert len(first) == len(daily)
    micros: dict[str, int] = {}
    for event in first:
        micros[event.account_id] = micros.get(event.account_id, 0) + int(
            event.payload["metrics"]["costMicros"]
        )
    assert micros == {k: int(v) for k, v in daily.groupby("account_id")["spend_micros"].sum().items()}
    second = await _backfill(_connectors(world, server.url)["google_ads"], store)
    _assert_idempotent(first, second)


async def test_klaviyo_backfill_matches_the_emulator(server: Running, world: ServedWorld) -> None:
    """Given faults, every campaign/flow-day and every store day arrives exactly once."""
    store = MemoryCursorStore()
    first = await _backfill(_connectors(world, server.url)["klaviyo"], store)
    reports = [e for e in first if e.stream in ("campaign_values", "flow_values", "message_daily")]
    daily = world.daily["klaviyo"]
    assert len(reports) == len(daily)
    assert sum(int(e.payload["statistics"]["recipients"]) for e in reports) == int(daily["recipients"].sum())
    value = sum(_cents(e.payload["statistics"]["conversion_value"]) for e in reports)
    assert value == int(daily["revenue_cents"].sum())
    outcomes = [e for e in first if e.stream == "store_outcomes"]
    assert len(outcomes) == len(world.outcome)
    assert sum(int(e.payload["measurements"]["count"]) for e in outcomes) == int(
        world.outcome["orders"].sum()
    )
    revenue = sum(e.payload["measurements"]["sum_value"] for e in outcomes)
    assert revenue == pytest.approx(float(world.outcome["revenue"].sum()), abs=0.01)
    second = await _backfill(_connectors(world, server.url)["klaviyo"], store)
    _assert_idempotent(first, second)


async def test_notebook_dataframes_inside_a_running_loop(server: Running, world: ServedWorld) -> None:
    """The seed's calls work from a notebook (an event loop is already running here)."""
    connectors = _connectors(world, server.url)
    meta = connectors["meta"]
    assert isinstance(meta, MetaAdsConnector)
    frame = meta.get_campaign_data(
        date_range=("2025-11-01", "2025-11-30"),
        fields=[
            "campaign_name",
            "adset_name",
            "ad_name",
            "date_start",
            "date_stop",
            "spend",
            "impressions",
            "clicks",
            "conversions",
            "conversion_values",
            "cpm",
            "cpc",
            "ctr",
            "frequency",
            "reach",
        ],
        breakdown=["placement"],
        time_increment="day",
    )
    nov = world.daily["meta"][
        (world.daily["meta"]["date"] >= "2025-11-01") & (world.daily["meta"]["date"] <= "2025-11-30")
    ]
    assert int(np.rint(frame["spend"].sum() * 100)) == int(nov["spend_cents"].sum())
    assert {"placement", "conversions", "conversion_values"} <= set(frame.columns)
    google = connectors["google_ads"]
    assert isinstance(google, GoogleAdsConnector)
    gframe = google.get_campaign_data(
        date_range=("2025-11-01", "2025-11-30"),
        fields=[
            "campaign.name",
            "ad_group.name",
            "segments.date",
            "metrics.cost_micros",
            "metrics.impressions",
            "metrics.clicks",
            "metrics.conversions",
            "metrics.conversions_value",
        ],
        segments=["segments.device"],
    )
    gnov = world.daily["google_ads"]
    gnov = gnov[(gnov["date"] >= "2025-11-01") & (gnov["date"] <= "2025-11-30")]
    assert int(gframe["metrics.cost_micros"].sum()) == int(gnov["spend_micros"].sum())
    klaviyo = connectors["klaviyo"]
    assert isinstance(klaviyo, KlaviyoConnector)
    kframe = klaviyo.get_campaign_data(
        date_range=("2025-11-01", "2025-11-30"),
        metrics=[
            "campaign_name",
            "sent_at",
            "recipients",
            "opens",
            "clicks",
            "unsubscribes",
            "bounces",
            "revenue",
            "placed_order_count",
        ],
        include_flows=True,
        include_segments=True,
    )
    knov = world.daily["klaviyo"]
    knov = knov[(knov["date"] >= "2025-11-01") & (knov["date"] <= "2025-11-30")]
    assert len(kframe) == len(knov)
    assert int(kframe["recipients"].sum()) == int(knov["recipients"].sum())
    outcomes = klaviyo.get_store_outcomes(("2025-11-01", "2025-11-30"))
    expected = world.outcome[
        (world.outcome["date"] >= "2025-11-01") & (world.outcome["date"] <= "2025-11-30")
    ]
    assert outcomes["orders"].tolist() == expected["orders"].astype(int).tolist()
    assert isinstance(outcomes, pd.DataFrame)


def test_klaviyo_report_rate_limits_are_waited_out(world: ServedWorld) -> None:
    """With the documented report tier on (1/s, 2/min), 429 Retry-After waits let every day through."""
    clock = _Clock()

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    events: list[RawEvent] = []

    async def publish(batch: Any) -> None:
        events.extend(batch)

    async def backfill(url: str) -> list[SyncResult]:
        klaviyo: dict[str, Any] = dict(world.credentials["klaviyo"])
        connector = KlaviyoConnector(
            **klaviyo, base_url=url, policy=RetryPolicy(sleep=sleep, jitter=lambda: 0.5)
        )
        try:
            return await sync_connector(
                connector,
                publish=publish,
                store=MemoryCursorStore(),
                streams=["flow_values"],
                since=date(2025, 12, 1),
                until=date(2025, 12, 4),
            )
        finally:
            await connector.aclose()

    with running(world, EmulatorConfig(), clock=clock) as srv:
        results = asyncio.run(backfill(srv.url))
    days = world.daily["klaviyo"]
    expected = days[
        (days["kind"] == "flow") & (days["date"] >= "2025-12-01") & (days["date"] <= "2025-12-04")
    ]
    assert len(events) == len(expected)
    assert results[0].retries.get("throttle", 0) >= 2
    assert clock.now > 1_000_000.0  # the Retry-After waits were taken (on the injected clock)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now
