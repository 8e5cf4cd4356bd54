"""Klaviyo within its documented limits: the seed call for a quarter, limits on, 30 % faults.

The emulator enforces Klaviyo's tiers (metric-aggregates 3/s and 60/min, values reports 1/s, 2/min,
225/day) on an injected clock that the connector's waits advance, so the emulated wall time of a call
is measured without sleeping. One reporting call per day and kind (the values reports) took 180 calls
at 2/min for a quarter; the daily shape from metric-aggregates takes one call per metric and year.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from liftos.integrations import RetryPolicy
from liftos.integrations.klaviyo import KlaviyoConnector
from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig
from liftos_sandbox.emulators.ratelimit import EmulatedClock
from liftos_sandbox.emulators.server import EmulatorConfig

from .emulator_harness import one_year_world, running

LIMITS_AND_FAULTS = EmulatorConfig(
    klaviyo=KlaviyoConfig(rate_limits=True), fault_rate=0.3, timeout_delay_s=0.6
)
#: Most requests (retries included) the quarter may take: 6 metrics, 3 listings, the metric list and
#: retries of the faulted ones. Far inside 60/min; the values reports needed 180 at 2/min.
MAX_REQUESTS = 30


def test_seed_call_for_a_quarter_completes_within_the_real_limits() -> None:
    world = one_year_world()
    clock = EmulatedClock()
    with running(world, LIMITS_AND_FAULTS, clock=clock) as srv:
        creds: dict[str, Any] = dict(world.credentials["klaviyo"])
        policy = RetryPolicy(sleep=clock.sleep, jitter=lambda: 0.5)
        connector = KlaviyoConnector(**creds, base_url=srv.url, policy=policy, timeout_s=0.3)
        frame = connector.get_campaign_data(date_range=("2025-10-01", "2025-12-31"), include_flows=True)
    daily = world.daily["klaviyo"]
    quarter = daily[(daily["date"] >= "2025-10-01") & (daily["date"] <= "2025-12-31")]
    assert len(frame) == len(quarter)  # one row per campaign/flow message and day
    assert set(frame["kind"]) == {"campaign", "flow"}
    assert int(frame["recipients"].sum()) == int(quarter["recipients"].sum())
    assert round(float(frame["conversion_value"].sum()), 2) == round(
        float(quarter["revenue_cents"].sum()) / 100, 2
    )
    assert isinstance(frame["date"].iloc[0], type(pd.Timestamp("2025-10-01").date()))
    assert connector.stats["requests"] <= MAX_REQUESTS
    assert clock.elapsed < 120.0  # emulated wall time: waits for 429s and backoff only
