"""The simulated world: a store whose daily orders and revenue respond to Meta, Google Ads and
Klaviyo activity with known causal effects, plus what each platform reports about it.

``simulate_world(spec)`` is pure and deterministic for ``spec`` (numpy ``Generator`` streams seeded
from ``spec.seed``) and cached per spec; treat the returned tables as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos_sandbox.ad_delivery import (
    EMAIL_COST_PER_RECIPIENT,
    Cells,
    allocate_spend,
    email_metrics,
    email_sends,
    paid_metrics,
)
from liftos_sandbox.credentials import credentials_for_seed
from liftos_sandbox.currency import SUPPORTED_CURRENCIES, fx_daily
from liftos_sandbox.demand import DemandPath, simulate_demand
from liftos_sandbox.entities import ChannelEntities, build_google, build_klaviyo, build_meta, min_entities
from liftos_sandbox.media import MAX_LAG, budget_path, demand_tilt, draw_response, seasonal_cycle
from liftos_sandbox.naming import NameBook
from liftos_sandbox.platform_reporting import (
    allocate_value,
    platform_conversions,
    platform_value,
    reported_as_of,
)
from liftos_sandbox.scenarios import CHANNELS, SCENARIOS, Channel, Scenario, ScenarioParams, scenario_params
from liftos_sandbox.seeding import stream
from liftos_sandbox.tables import daily_frame
from liftos_sandbox.truth import ChannelSeries, TruthModel, orders_truth, season_truth, truth_dict
from liftos_sandbox.what_if import LiftTestResult, plan_outcome, run_lift_test

__all__ = ["CHANNELS", "Scenario", "World", "WorldSpec", "build_world", "simulate_world"]

FloatArray = NDArray[np.float64]
_SEND_CONCENTRATION = 4.0  # Klaviyo campaign send dates follow exp(4 x tilt)


@dataclass(frozen=True)
class WorldSpec:
    """What to simulate. ``end`` is inclusive and is also the emulators' "today";
    ``entities_per_channel`` counts leaf entities (Meta ads, Google ad groups, Klaviyo campaigns+flows);
    ``drift_start``: the day the ``drift`` scenario's change is centred on (default the middle)."""

    seed: int = 0
    scenario: Scenario = "default"
    start: date = date(2023, 1, 1)
    end: date = date(2025, 12, 31)
    entities_per_channel: int = 60
    reporting_currency: str = "USD"
    drift_start: date | None = None

    def validate(self) -> None:
        """Raise ``ValueError`` when the spec cannot be simulated."""
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}")
        if (self.end - self.start).days < 27:
            raise ValueError("the simulated range must span at least 28 days")
        if self.reporting_currency not in SUPPORTED_CURRENCIES:
            raise ValueError(f"unsupported reporting currency {self.reporting_currency!r}")
        if self.drift_start is not None and not self.start <= self.drift_start <= self.end:
            raise ValueError(f"drift_start {self.drift_start} is outside {self.start}..{self.end}")
        if self.entities_per_channel < min_entities():
            raise ValueError(f"entities_per_channel must be >= {min_entities()}")


@dataclass(frozen=True, eq=False)
class World:
    """A simulated world (see ``CONTRACT.md`` for the column contract).

    ``accounts``: channel, account_id, name, currency, timezone, manager_id (Google manager, else "").
    ``entities``: channel, account_id, campaign_id, campaign_name, group_id, group_name, ad_id, ad_name,
    kind, campaign_type, start_date, end_date (datetime64; the leaf's active flight, inclusive).
    ``daily``: one row per active (date, leaf): keys + currency, spend (account currency, cents),
    spend_micros (int64, spend * 1e6 exactly), impressions, clicks, platform_conversions,
    platform_revenue (account currency, final), recipients, delivered, opens, opens_unique,
    clicks_unique, unsubscribes, bounces, cost_estimate (Klaviyo only, == spend).
    ``outcome``: date, orders (int64), revenue (reporting currency, cents).
    ``components``: date, holiday, retail_event, expected_demand (index), shock (unobserved log shock),
    noise (log outcome noise), baseline_revenue, media_revenue_<channel> (reporting currency).
    ``fx_daily``: reporting units per one unit of each account currency on each simulated day (index:
    the days; one column per currency), the ECB history LiftOS's normalizer converts with.
    """

    spec: WorldSpec
    accounts: pd.DataFrame
    entities: pd.DataFrame
    daily: pd.DataFrame
    outcome: pd.DataFrame
    fx_daily: pd.DataFrame
    components: pd.DataFrame = field(repr=False)
    model: TruthModel = field(repr=False)

    def reported_as_of(self, as_of: date) -> pd.DataFrame:
        """``daily`` rows up to ``as_of`` with platform values as reported on ``as_of`` (values of the
        last 28 days before ``as_of`` are partially matured)."""
        return reported_as_of(self.daily, as_of)

    def truth(self, start: date | None = None, end: date | None = None) -> dict[str, Any]:
        """The ``liftos sandbox truth`` JSON object for ``start..end`` (inclusive; default: all)."""
        return truth_dict(self.model, self.accounts, self.outcome, *self._range(start, end))

    def orders_truth(self, start: date | None = None, end: date | None = None) -> dict[str, dict[str, float]]:
        """The counterfactual effect of each channel on the store's orders over ``start..end``
        (inclusive; default all): ``spend``, ``orders_lift``, ``orders_per_spend``."""
        return orders_truth(self.model, *self._range(start, end))

    def season_truth(
        self, start: date | None = None, end: date | None = None
    ) -> dict[str, dict[str, dict[str, float]]]:
        """The effect of each channel's spend placed in each season (calendar quarter, ``"Jan-Mar"`` ..
        ``"Oct-Dec"``) of ``start..end`` (inclusive; default all): ``spend``, ``revenue_lift`` (revenue
        lost had that spend been zero, carryover included) and ``iroas``. In the ``seasonal`` world
        meta's differ by season; elsewhere they differ only through saturation and the spend's timing."""
        return season_truth(self.model, *self._range(start, end))

    def fx_of(self, rows: pd.DataFrame) -> pd.Series:
        """The rate of each row's ``currency`` on its ``date`` (reporting units per account unit)."""
        stacked = self.fx_daily.stack()
        index = pd.MultiIndex.from_arrays([pd.to_datetime(rows["date"]), rows["currency"]])
        return pd.Series(stacked.reindex(index).to_numpy(), index=rows.index, name="fx_rate")

    def plan_outcome(self, start: date, plan: Mapping[str, FloatArray]) -> dict[str, float]:
        """True incremental revenue per channel of spending ``plan[channel]`` (daily spend, reporting
        currency) on the days from ``start`` instead of nothing
        (:func:`liftos_sandbox.what_if.plan_outcome`)."""
        return plan_outcome(self.model, start, plan)

    def lift_test(self, channel: Channel, start: date, end: date, spend_scale: float = 0.0) -> LiftTestResult:
        """Run a lift test in this world: ``channel``'s spend times ``spend_scale`` on ``start..end``
        (see :func:`liftos_sandbox.what_if.run_lift_test`)."""
        return run_lift_test(self.model, self.outcome, self.spec.seed, channel, start, end, spend_scale)

    def credentials(self) -> dict[str, dict[str, str]]:
        """The ``liftos sandbox credentials`` JSON object (depends on the seed only)."""
        return credentials_for_seed(self.spec.seed)

    def _range(self, start: date | None, end: date | None) -> tuple[int, int]:
        """Day indices of ``start..end`` (default: the whole range); ``ValueError`` when reversed."""
        first = self._day_index(start or self.spec.start)
        last = self._day_index(end or self.spec.end)
        if first > last:
            raise ValueError(f"start {start} is after end {end}")
        return first, last

    def _day_index(self, day: date) -> int:
        if not self.spec.start <= day <= self.spec.end:
            raise ValueError(f"{day} is outside the simulated range {self.spec.start}..{self.spec.end}")
        return (day - self.spec.start).days


def simulate_world(spec: WorldSpec) -> World:
    """The world of ``spec`` (deterministic; cached for the last few specs)."""
    return _cached(spec)


@lru_cache(maxsize=4)
def _cached(spec: WorldSpec) -> World:
    return build_world(spec)


def _entities(
    spec: WorldSpec, days: pd.DatetimeIndex, demand: DemandPath, params: ScenarioParams
) -> dict[Channel, ChannelEntities]:
    rng, book, k = (
        stream(spec.seed, "entities"),
        NameBook(stream(spec.seed, "names")),
        spec.entities_per_channel,
    )
    tilt = demand_tilt("klaviyo", demand.expected, demand.shock, params)
    send_weight = np.exp(_SEND_CONCENTRATION * (tilt - tilt.max()))
    return {
        "meta": build_meta(spec.seed, rng, days, k, spec.reporting_currency, book),
        "google_ads": build_google(spec.seed, rng, days, k, spec.reporting_currency, book),
        "klaviyo": build_klaviyo(spec.seed, rng, days, k, send_weight, book, spec.reporting_currency),
    }


def _spend(
    spec: WorldSpec,
    entities: dict[Channel, ChannelEntities],
    demand: DemandPath,
    params: ScenarioParams,
    fx: pd.DataFrame,
) -> dict[Channel, Cells]:
    rng = stream(spec.seed, "spend")
    cells: dict[Channel, Cells] = {}
    for channel in ("meta", "google_ads"):
        ents = entities[channel]
        currency_leaf = ents.accounts["currency"].to_numpy()[ents.account_index]
        fx_leaf = fx[list(currency_leaf)].to_numpy(dtype=np.float64)  # (T, E): the rate of each day
        budget = budget_path(channel, demand_tilt(channel, demand.expected, demand.shock, params), rng)
        cells[channel] = allocate_spend(budget, ents, fx_leaf, rng)
    n_days = len(demand.expected)
    list_size = rng.uniform(80_000, 200_000) * np.exp(rng.uniform(0.1, 0.3) * np.arange(n_days) / 365.25)
    tilt = demand_tilt("klaviyo", demand.expected, demand.shock, params)
    cells["klaviyo"] = email_sends(entities["klaviyo"], list_size, tilt, EMAIL_COST_PER_RECIPIENT, rng)
    return cells


def _sum_days(media: dict[Channel, FloatArray], n_days: int) -> FloatArray:
    """Total media revenue per simulated day, ``(n_days,)``."""
    return np.asarray(np.sum([media[c][:n_days] for c in CHANNELS], axis=0), dtype=np.float64)


def _padded(values: FloatArray) -> FloatArray:
    return np.concatenate([values, np.zeros(MAX_LAG)])


def _baseline(demand: DemandPath, media_total: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Organic revenue per day, levelled so media makes up a drawn 18-30 % of revenue."""
    shape = demand.expected * np.exp(demand.shock)
    share = rng.uniform(0.18, 0.30)
    level = float(media_total.sum()) * (1.0 - share) / share / float(shape.sum())
    return shape * (level if level > 0 else 50_000.0)


def _outcome(days: pd.DatetimeIndex, revenue: FloatArray, aov: FloatArray) -> pd.DataFrame:
    cents = np.rint(revenue * 100.0).astype(np.int64)
    orders = np.rint(revenue / aov).astype(np.int64)
    return pd.DataFrame({"date": days, "orders": orders, "revenue": cents / 100.0})


def _components(
    days: pd.DatetimeIndex, demand: DemandPath, baseline: FloatArray, media: dict[Channel, FloatArray]
) -> pd.DataFrame:
    n = len(days)
    frame = pd.DataFrame(
        {
            "date": days,
            "holiday": demand.holiday,
            "retail_event": demand.retail_event,
            "expected_demand": demand.expected,
            "shock": demand.shock,
            "noise": demand.noise[:n],
            "baseline_revenue": baseline,
        }
    )
    for channel in CHANNELS:
        frame[f"media_revenue_{channel}"] = media[channel][:n]
    return frame


def build_world(spec: WorldSpec) -> World:
    """Simulate ``spec`` from scratch (no cache)."""
    spec.validate()
    days = pd.date_range(spec.start, spec.end, freq="D").as_unit("ns")
    n_days, params = len(days), scenario_params(spec.scenario)
    demand = simulate_demand(days, MAX_LAG, stream(spec.seed, "demand"))
    entities = _entities(spec, days, demand, params)
    accounts = pd.concat([entities[c].accounts for c in CHANNELS], ignore_index=True)
    fx = fx_daily(accounts["currency"], spec.reporting_currency, days)
    cells = _spend(spec, entities, demand, params, fx)
    spend = {c: _padded(cells[c].per_day(cells[c].spend_reporting, n_days)) for c in CHANNELS}
    rng = stream(spec.seed, "response")
    drift_index = None if spec.drift_start is None else (spec.drift_start - spec.start).days
    responses = {c: draw_response(c, spend[c], n_days, params, rng, drift_index) for c in CHANNELS}
    if params.seasonal_channel is not None:  # its own stream: the other draws stay as in ``default``
        padded_days = pd.date_range(spec.start, periods=n_days + MAX_LAG, freq="D")
        channel = params.seasonal_channel
        responses[channel] = seasonal_cycle(
            responses[channel],
            spend[channel],
            padded_days.day_of_year.to_numpy(dtype=np.float64),
            params,
            stream(spec.seed, "seasonal"),
        )
    media = {c: responses[c].contribution(spend[c]) for c in CHANNELS}
    media_total = _sum_days(media, n_days)
    baseline = _baseline(demand, media_total, rng)
    noise_factor = np.exp(demand.noise)
    revenue = (baseline + media_total) * noise_factor[:n_days]
    outcome = _outcome(days, revenue, demand.aov)
    frames, platform = _reports(spec, days, entities, cells, media, baseline, spend, float(demand.aov.mean()))
    series = {c: ChannelSeries(spend[c], platform[c], responses[c]) for c in CHANNELS}
    return World(
        spec=spec,
        accounts=accounts,
        entities=pd.concat([entities[c].leaves for c in CHANNELS], ignore_index=True),
        daily=pd.concat(frames, ignore_index=True),
        outcome=outcome,
        fx_daily=fx,
        components=_components(days, demand, baseline, media),
        model=TruthModel(days, noise_factor, series, np.asarray(demand.aov, dtype=np.float64)),
    )


def _reports(
    spec: WorldSpec,
    days: pd.DatetimeIndex,
    entities: dict[Channel, ChannelEntities],
    cells: dict[Channel, Cells],
    media: dict[Channel, FloatArray],
    baseline: FloatArray,
    spend: dict[Channel, FloatArray],
    aov: float,
) -> tuple[list[pd.DataFrame], dict[Channel, FloatArray]]:
    """Per-channel ``daily`` frames and final platform value per day (reporting currency)."""
    n_days = len(days)
    rng, delivery_rng = stream(spec.seed, "platform"), stream(spec.seed, "delivery")
    frames, platform = [], {}
    for channel in CHANNELS:
        ch_cells, n_leaves = cells[channel], len(entities[channel].leaves)
        value = platform_value(channel, media[channel][:n_days], baseline, spend[channel][:n_days], rng)
        value_cents = allocate_value(value, ch_cells, rng, n_leaves)
        platform[channel] = ch_cells.per_day(value_cents / 100.0 * ch_cells.fx, n_days)
        metrics: dict[str, NDArray[np.int64] | NDArray[np.float64]] = {
            "platform_revenue": value_cents / 100.0,
            "platform_conversions": platform_conversions(channel, value_cents, ch_cells, aov, rng),
        }
        if channel == "klaviyo":
            metrics.update(email_metrics(ch_cells, n_leaves, delivery_rng))
        else:
            metrics.update(paid_metrics(channel, ch_cells, n_leaves, delivery_rng))
        frames.append(daily_frame(channel, days, entities[channel], ch_cells, metrics))
    return frames, platform
