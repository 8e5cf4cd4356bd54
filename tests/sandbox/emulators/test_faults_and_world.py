"""Fault injection determinism and behaviour; end-to-end spend against the real simulator."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pandas as pd
import pytest

from liftos_sandbox.emulators.faults import FaultInjector, FaultKind
from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig
from liftos_sandbox.emulators.server import EmulatorConfig
from liftos_sandbox.emulators.source import ServedWorld, serve_world

from .conftest import running


def _decisions(seed: int) -> list[FaultKind | None]:
    injector = FaultInjector(seed, rate=0.3)
    return [injector.decide("meta", f"/v26.0/act_1/insights?{i % 7}") for i in range(2000)]


def test_fault_decisions_are_deterministic_and_proportioned() -> None:
    assert _decisions(5) == _decisions(5) != _decisions(6)
    counts = Counter(k for k in _decisions(5) if k is not None)
    assert 450 < sum(counts.values()) < 750
    assert counts[FaultKind.THROTTLE] == max(counts.values())


def test_faults_cap_consecutive_failures_per_path() -> None:
    injector = FaultInjector(1, rate=1.0, max_consecutive=3)
    fates = [injector.decide("klaviyo", "/api/campaigns") for _ in range(8)]
    assert fates[3] is None and fates[7] is None and all(f is not None for f in fates[:3])


def test_faulty_server_faults_but_never_on_token_endpoint(served: ServedWorld, creds: dict[str, Any]) -> None:
    config = EmulatorConfig(fault_rate=0.5, timeout_delay_s=0.05, klaviyo=KlaviyoConfig(rate_limits=False))
    g = creds["google_ads"]
    with running(served, config) as srv:
        for _ in range(20):
            token = httpx.post(
                f"{srv.url}/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": g["client_id"],
                    "client_secret": g["client_secret"],
                    "refresh_token": g["refresh_token"],
                },
            )
            assert token.status_code == 200
        outcomes = Counter()
        for _ in range(60):
            try:
                r = httpx.get(
                    f"{srv.url}/v26.0/me/adaccounts", params={"access_token": creds["meta"]["access_token"]}
                )
                json.loads(r.content)
                outcomes[r.status_code] += 1
            except (httpx.HTTPError, json.JSONDecodeError) as error:
                outcomes[type(error).__name__] += 1
        assert outcomes[200] > 10 and len(outcomes) >= 3


@pytest.fixture(scope="module")
def real_world() -> Any:
    world_module = pytest.importorskip("liftos_sandbox.world")
    spec = world_module.WorldSpec(
        seed=3, start=date(2025, 7, 1), end=date(2025, 12, 31), entities_per_channel=12
    )
    return world_module.simulate_world(spec)


def test_served_spend_equals_world_truth(real_world: Any) -> None:
    served = serve_world(real_world)
    creds = served.credentials
    truth = real_world.truth(date(2025, 7, 1), date(2025, 12, 31))

    def fx(currency: str, day: str) -> Decimal:  # the rate of the row's day
        return Decimal(str(real_world.fx_daily.at[pd.Timestamp(day), currency]))

    rng = json.dumps({"since": "2025-07-01", "until": "2025-12-31"})
    with running(served, EmulatorConfig(klaviyo=KlaviyoConfig(rate_limits=False))) as srv:
        meta_total = Decimal(0)
        for act in served.channel_accounts("meta").itertuples():
            rows = httpx.get(
                f"{srv.url}/v26.0/{act.account_id}/insights",
                params={
                    "access_token": creds["meta"]["access_token"],
                    "level": "account",
                    "time_range": rng,
                    "fields": "spend,account_currency,date_start",
                    "time_increment": "1",
                    "limit": "500",
                },
            ).json()["data"]
            meta_total += sum(Decimal(r["spend"]) * fx(r["account_currency"], r["date_start"]) for r in rows)
        g = creds["google_ads"]
        token = httpx.post(
            f"{srv.url}/token",
            data={
                "grant_type": "refresh_token",
                "client_id": g["client_id"],
                "client_secret": g["client_secret"],
                "refresh_token": g["refresh_token"],
            },
        ).json()["access_token"]
        google_total = Decimal(0)
        for cust in served.channel_accounts("google_ads").itertuples():
            batches = httpx.post(
                f"{srv.url}/v26/customers/{cust.account_id}/googleAds:searchStream",
                headers={"Authorization": f"Bearer {token}", "login-customer-id": g["login_customer_id"]},
                json={
                    "query": "SELECT customer.currency_code, segments.date, metrics.cost_micros "
                    "FROM customer WHERE "
                    "segments.date BETWEEN '2025-07-01' AND '2025-12-31'"
                },
            ).json()
            for row in (r for b in batches for r in b.get("results", [])):
                google_total += (
                    Decimal(row["metrics"]["costMicros"])
                    / 1_000_000
                    * fx(row["customer"]["currencyCode"], row["segments"]["date"])
                )
    channels = truth["channels"]
    assert (
        abs(float(meta_total) - channels["meta"]["spend"]) < 0.01 * max(1, len(served.daily["meta"])) ** 0.5
    )
    assert abs(float(google_total) - channels["google_ads"]["spend"]) < 0.05
