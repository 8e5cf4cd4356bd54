"""Helpers: small sandbox worlds as the pipeline would see them (wide and long), and ground-truth
worlds generated independently of the sandbox (:func:`independent_world`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

import numpy as np
import pandas as pd

from liftos_sandbox.scenarios import Scenario
from liftos_sandbox.world import CHANNELS, World, WorldSpec, simulate_world


def world_of(seed: int, scenario: str = "easy", days: int = 730) -> World:
    """A sandbox world of ``days`` days from 2024-01-01."""
    end = date.fromordinal(date(2024, 1, 1).toordinal() + days - 1)
    return simulate_world(
        WorldSpec(
            seed=seed,
            scenario=cast(Scenario, scenario),
            start=date(2024, 1, 1),
            end=end,
            entities_per_channel=20,
        )
    )


def long_spend(world: World) -> pd.DataFrame:
    """The entity-level daily table with spend converted to the reporting currency."""
    daily = world.daily
    return daily.assign(spend=daily["spend"] * world.fx_of(daily))


def wide_inputs(world: World) -> pd.DataFrame:
    """date, one spend column per channel (reporting currency), revenue."""
    wide = long_spend(world).pivot_table(
        index="date", columns="channel", values="spend", aggfunc="sum", fill_value=0.0
    )
    wide = wide.reindex(pd.to_datetime(world.outcome["date"]), fill_value=0.0)[list(CHANNELS)].reset_index()
    wide["revenue"] = world.outcome["revenue"].to_numpy()
    return wide


@dataclass(frozen=True)
class IndependentWorld:
    """A ground-truth world built without the sandbox: ``frame`` (``date``, one spend column per
    channel ``x1..xC``, outcome ``y``), and per channel the true whole-range lift ``contribution``
    (outcome units, carryover after the range included) and ``spend``."""

    frame: pd.DataFrame
    contribution: dict[str, float]
    spend: dict[str, float]


def independent_world(
    seed: int, periods: int = 156, channels: int = 6, weekly: bool = True
) -> IndependentWorld:
    """A world unlike the sandbox's: additive noise on an outcome in units (a count, not money),
    logistic saturation (PyMC-Marketing's) instead of Hill, delayed (peaked) carryover on half the
    channels, spend correlated across channels through a common budget factor, and channel shares of
    the outcome drawn from 2-25 % each."""
    rng = np.random.default_rng(10_000 + seed)
    step = "7D" if weekly else "D"
    dates = pd.date_range("2021-01-04", periods=periods, freq=step)
    t = np.arange(periods, dtype=np.float64)
    per_year = 52.18 if weekly else 365.25
    common = np.cumsum(rng.normal(0.0, 0.08, periods))
    lag = 8 if weekly else 42
    base = (
        1000.0
        * (1.0 + 0.3 * t / periods)
        * (1.0 + 0.15 * np.sin(2 * np.pi * t / per_year + rng.uniform(0, 6)))
    )
    columns, contributions, media_total = {}, {}, np.zeros(periods)
    shares = rng.uniform(0.02, 0.25, channels)
    for c in range(channels):
        level = rng.uniform(50.0, 5000.0)
        log_spend = 0.6 * common + np.cumsum(rng.normal(0.0, 0.05, periods)) + rng.normal(0.0, 0.3, periods)
        spend = level * np.exp(log_spend - log_spend.mean())
        if c % 3 == 2:  # flighting: on/off bursts
            spend *= rng.random(periods) < 0.6
        decay = rng.uniform(0.1, 0.7 if weekly else 0.9)
        peak = 1 if c % 2 else 0
        weights = decay ** np.abs(np.arange(lag) - peak)
        weights /= weights.sum()
        padded = np.concatenate([spend, np.zeros(lag - 1)])
        stocked = np.convolve(padded, weights)[: len(padded)]
        lam = rng.uniform(0.5, 3.0)
        scaled = stocked / stocked[:periods].max()
        saturation = (1 - np.exp(-lam * scaled)) / (1 + np.exp(-lam * scaled))
        beta = shares[c] * base.mean() / saturation[:periods].mean()
        effect = beta * saturation
        media_total += effect[:periods]
        name = f"x{c + 1}"
        columns[name] = spend
        contributions[name] = float(effect.sum())
    noise = rng.normal(0.0, 0.04 * base.mean(), periods)
    frame = pd.DataFrame({"date": dates, **columns, "y": np.maximum(base + media_total + noise, 1.0)})
    return IndependentWorld(frame, contributions, {k: float(v.sum()) for k, v in columns.items()})
