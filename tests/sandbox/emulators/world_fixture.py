"""A small, hand-built World matching sandbox/CONTRACT.md exactly, for emulator tests.

Used until (and alongside) the real simulator: it keeps emulator tests independent of the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FixtureSpec", "FixtureWorld", "build_fixture_world"]

_KEYS = ["channel", "account_id", "campaign_id", "group_id", "ad_id"]


@dataclass(frozen=True)
class FixtureSpec:
    """Mirror of WorldSpec's fields the emulators read."""

    seed: int = 7
    scenario: str = "default"
    start: date = date(2025, 10, 1)
    end: date = date(2025, 12, 31)
    entities_per_channel: int = 12
    reporting_currency: str = "USD"


@dataclass(frozen=True)
class FixtureWorld:
    """Contract-shaped World with a trivial restatement model."""

    spec: FixtureSpec
    accounts: pd.DataFrame
    entities: pd.DataFrame
    daily: pd.DataFrame
    outcome: pd.DataFrame
    fx_to_reporting: dict[str, float] = field(default_factory=lambda: {"USD": 1.0, "EUR": 1.1})

    def reported_as_of(self, as_of: date) -> pd.DataFrame:
        """Conversions of the last 28 days before ``as_of`` are not matured yet (scaled down)."""
        out = self.daily.copy()
        age = (pd.Timestamp(as_of) - pd.to_datetime(out["date"])).dt.days.to_numpy()
        factor = np.clip(0.6 + 0.4 * age / 28.0, 0.0, 1.0)
        out["platform_conversions"] = np.round(out["platform_conversions"].to_numpy() * factor, 3)
        out["platform_revenue"] = np.round(out["platform_revenue"].to_numpy() * factor, 2)
        return out

    def truth(self, start: date | None = None, end: date | None = None) -> dict[str, Any]:
        """Spend per channel only (the part emulator tests compare)."""
        frame = self.daily
        if start is not None:
            frame = frame[pd.to_datetime(frame["date"]) >= pd.Timestamp(start)]
        if end is not None:
            frame = frame[pd.to_datetime(frame["date"]) <= pd.Timestamp(end)]
        spend = frame.groupby("channel")["spend"].sum()
        return {
            "channels": {
                ch: {"spend": round(float(spend.get(ch, 0.0)), 2)} for ch in ("meta", "google_ads", "klaviyo")
            }
        }

    def credentials(self) -> dict[str, Any]:
        """Credentials the emulator accepts."""
        return {
            "meta": {"access_token": "EAAfixtureTOKEN", "app_id": "1234567890123", "app_secret": "s3cr3t"},
            "google_ads": {
                "developer_token": "DEVTOKEN0001",
                "client_id": "123-abc.apps.googleusercontent.com",
                "client_secret": "GOCSPX-fixture",
                "refresh_token": "1//fixture-refresh",
                "customer_id": "4445556666",
                "login_customer_id": "1112223333",
            },
            "klaviyo": {"api_key": "pk_fixture0000000000000000000000000", "public_key": "XyZ123"},
        }


def _entity_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    start, end = date(2025, 10, 1), date(2025, 12, 31)
    for a, account in enumerate(("act_100000000000001", "act_100000000000002")):
        for c in range(2):
            cid = f"2385{a}{c}00000000001"
            for s in range(2):
                gid = f"2385{a}{c}{s}0000000002"
                for d in range(2 if a == 0 else 1):
                    rows.append(
                        {
                            "channel": "meta",
                            "account_id": account,
                            "campaign_id": cid,
                            "campaign_name": f"Meta {a}/{c}",
                            "group_id": gid,
                            "group_name": f"Adset {a}/{c}/{s}",
                            "ad_id": f"2385{a}{c}{s}{d}000000003",
                            "ad_name": f"Ad {a}/{c}/{s}/{d}",
                            "kind": "ad",
                            "start_date": start + timedelta(days=7 * c),
                            "end_date": end,
                        }
                    )
    for c in range(3):
        for g in range(2):
            rows.append(
                {
                    "channel": "google_ads",
                    "account_id": "4445556666",
                    "campaign_id": f"{2000001 + c}",
                    "campaign_name": f"Search {c}",
                    "group_id": f"{3000001 + 10 * c + g}",
                    "group_name": f"Ad group {c}/{g}",
                    "ad_id": "",
                    "kind": "ad_group",
                    "start_date": start,
                    "end_date": end - timedelta(days=10 * c),
                }
            )
    for c in range(4):
        rows.append(
            {
                "channel": "klaviyo",
                "account_id": "XyZ123",
                "campaign_id": f"01JAB{c:021d}",
                "campaign_name": f"Newsletter {c}",
                "group_id": "",
                "group_name": "",
                "ad_id": "",
                "ad_name": "",
                "kind": "campaign",
                "start_date": start + timedelta(days=20 * c),
                "end_date": start + timedelta(days=20 * c + 3),
            }
        )
    for f in range(2):
        rows.append(
            {
                "channel": "klaviyo",
                "account_id": "XyZ123",
                "campaign_id": f"Fl{f}w0A",
                "campaign_name": f"Welcome flow {f}",
                "group_id": "",
                "group_name": "",
                "ad_id": "",
                "ad_name": "",
                "kind": "flow",
                "start_date": start,
                "end_date": end,
            }
        )
    return rows


def _daily(entities: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for entity in entities.itertuples(index=False):
        for day in pd.date_range(entity.start_date, entity.end_date, freq="D"):
            if entity.channel != "klaviyo" and rng.random() < 0.1:
                continue  # dark day
            impressions = int(rng.integers(200, 5000))
            clicks = int(rng.binomial(impressions, 0.02))
            spend = round(float(rng.gamma(4.0, 12.0)), 2)
            conv = float(rng.poisson(2.5))
            row = {
                "date": day.date(),
                "channel": entity.channel,
                "account_id": entity.account_id,
                "campaign_id": entity.campaign_id,
                "group_id": entity.group_id,
                "ad_id": entity.ad_id,
                "spend": spend,
                "impressions": impressions,
                "clicks": clicks,
                "platform_conversions": conv,
                "platform_revenue": round(conv * 61.37, 2),
                "recipients": 0,
                "opens": 0,
                "unsubscribes": 0,
                "bounces": 0,
                "cost_estimate": 0.0,
            }
            if entity.channel == "google_ads":
                row["spend_micros"] = round(spend * 1e6) + int(rng.integers(0, 9999))
                row["spend"] = round(row["spend_micros"] / 1e6, 2)
            if entity.channel == "klaviyo":
                recipients = int(rng.integers(1000, 20000))
                cost = round(recipients * 0.0009, 2)
                row.update(
                    recipients=recipients,
                    opens=int(rng.binomial(recipients, 0.4)),
                    clicks=int(rng.binomial(recipients, 0.03)),
                    impressions=0,
                    unsubscribes=int(rng.binomial(recipients, 0.002)),
                    bounces=int(rng.binomial(recipients, 0.01)),
                    spend=cost,
                    cost_estimate=cost,
                )
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame["spend_micros"] = (
        frame.get("spend_micros", pd.Series(dtype=float))
        .fillna(np.rint(frame["spend"] * 1e6))
        .astype(np.int64)
    )
    for column in ("impressions", "clicks", "recipients", "opens", "unsubscribes", "bounces"):
        frame[column] = frame[column].astype(np.int64)
    return frame


def build_fixture_world(seed: int = 7) -> FixtureWorld:
    """Two Meta accounts (USD, EUR), one Google customer, one Klaviyo account, Oct-Dec 2025."""
    rng = np.random.default_rng(seed)
    spec = FixtureSpec(seed=seed)
    accounts = pd.DataFrame(
        [
            {
                "channel": "meta",
                "account_id": "act_100000000000001",
                "name": "Shop US",
                "currency": "USD",
                "timezone": "America/New_York",
            },
            {
                "channel": "meta",
                "account_id": "act_100000000000002",
                "name": "Shop EU",
                "currency": "EUR",
                "timezone": "Europe/Berlin",
            },
            {
                "channel": "google_ads",
                "account_id": "4445556666",
                "name": "Shop Search",
                "currency": "USD",
                "timezone": "America/New_York",
            },
            {
                "channel": "klaviyo",
                "account_id": "XyZ123",
                "name": "Shop Email",
                "currency": "USD",
                "timezone": "America/New_York",
            },
        ]
    )
    entities = pd.DataFrame(_entity_rows())
    daily = _daily(entities, rng)
    days = pd.date_range(spec.start, spec.end, freq="D")
    orders = rng.poisson(120, len(days)).astype(np.int64)
    outcome = pd.DataFrame(
        {
            "date": [d.date() for d in days],
            "orders": orders,
            "revenue": np.round(orders * rng.uniform(55, 70, len(days)), 2),
        }
    )
    return FixtureWorld(spec=spec, accounts=accounts, entities=entities, daily=daily, outcome=outcome)
