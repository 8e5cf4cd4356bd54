"""Organic (no-media) demand of the simulated store: growth, weekday pattern, yearly seasonality,
Q4 peak, public holidays, retail events and unobserved demand shocks.

All series are daily arrays indexed like the simulated ``days``; multiplicative indices have no unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos_sandbox.demand_events import HOLIDAY_LIFT, RETAIL_LIFT, holiday_names, retail_event_names

__all__ = ["OUTCOME_NOISE_SD", "DemandPath", "simulate_demand"]

FloatArray = NDArray[np.float64]

_WEEKDAY = np.array([1.04, 1.03, 1.01, 1.0, 0.98, 0.95, 0.99])  # Monday .. Sunday
_SHOCK_RHO = 0.92
_SHOCK_INNOVATION_SD = 0.025
OUTCOME_NOISE_SD = 0.05  # SD of the log outcome noise per day (what a perfectly controlled test still sees)
_DECEMBER_8 = 342  # day of year in a non-leap year


@dataclass(frozen=True)
class DemandPath:
    """Daily organic-demand components, shape ``(T,)`` unless noted.

    ``expected``: foreseeable demand index (trend x weekday x season x Q4 x holidays x retail events),
    scaled to mean 1 over the range. ``shock``: unobserved log demand shock (AR(1) plus a few episodes).
    ``noise``: log outcome noise, shape ``(T + pad,)`` so counterfactual tails past the range reuse it.
    ``aov``: average order value index in reporting currency per order (before the level is set).
    ``holiday`` / ``retail_event``: event names per day ("" when none).
    """

    expected: FloatArray
    shock: FloatArray
    noise: FloatArray
    aov: FloatArray
    holiday: NDArray[np.str_]
    retail_event: NDArray[np.str_]


def _trend(n_days: int, rng: np.random.Generator) -> FloatArray:
    growth_per_year = rng.uniform(0.06, 0.2)
    return np.exp(growth_per_year * np.arange(n_days, dtype=np.float64) / 365.25)


def _weekday(days: pd.DatetimeIndex, rng: np.random.Generator) -> FloatArray:
    pattern = _WEEKDAY * np.exp(rng.normal(0.0, 0.01, size=7))
    return np.asarray(pattern[days.day_of_week.to_numpy()] / pattern.mean(), dtype=np.float64)


def _yearly(days: pd.DatetimeIndex, rng: np.random.Generator) -> FloatArray:
    phase = 2.0 * np.pi * days.day_of_year.to_numpy() / 365.25
    peak = rng.uniform(0.0, 2.0 * np.pi)
    first, second = rng.uniform(0.04, 0.1), rng.uniform(0.01, 0.04)
    return 1.0 + first * np.cos(phase - peak) + second * np.cos(2.0 * phase - 2.0 * peak)


def _q4_peak(days: pd.DatetimeIndex, rng: np.random.Generator) -> FloatArray:
    """Holiday-shopping bump centred on early December, ending abruptly after Christmas."""
    amplitude = rng.uniform(0.25, 0.45)
    distance = days.day_of_year.to_numpy() - (_DECEMBER_8 + days.is_leap_year)
    bump = amplitude * np.exp(-0.5 * (distance / 16.0) ** 2)
    after_christmas = (days.month == 12) & (days.day > 25)
    return np.asarray(1.0 + np.where(after_christmas, 0.3 * bump, bump), dtype=np.float64)


def _event_factor(names: NDArray[np.str_], lifts: dict[str, float], rng: np.random.Generator) -> FloatArray:
    """Per-day multiplier of named events; observed-day substitutes get half the effect."""
    jitter = {name: float(np.exp(rng.normal(0.0, 0.05))) for name in sorted(lifts)}
    factor = np.ones(len(names))
    for name, lift in lifts.items():
        effect = (lift - 1.0) * jitter[name]
        factor[names == name] = 1.0 + effect
        factor[names == f"{name} (observed)"] = 1.0 + 0.5 * effect
    return factor


def _shocks(n_days: int, rng: np.random.Generator) -> FloatArray:
    """AR(1) log shock plus 1-2 episodes per year (smooth bumps of +-15-35 %, 5-30 days)."""
    innovations = rng.normal(0.0, _SHOCK_INNOVATION_SD, size=n_days)
    ar = np.empty(n_days)
    level = rng.normal(0.0, _SHOCK_INNOVATION_SD / np.sqrt(1 - _SHOCK_RHO**2))
    for i in range(n_days):  # one pass over days only (no entity dimension)
        level = _SHOCK_RHO * level + innovations[i]
        ar[i] = level
    t = np.arange(n_days)
    for _ in range(rng.poisson(1.5 * n_days / 365.25)):
        centre, width = rng.uniform(0, n_days), rng.uniform(2.5, 10.0)
        ar += rng.choice([-1.0, 1.0]) * rng.uniform(0.15, 0.35) * np.exp(-0.5 * ((t - centre) / width) ** 2)
    return ar


def simulate_demand(days: pd.DatetimeIndex, pad: int, rng: np.random.Generator) -> DemandPath:
    """Draw the organic-demand components for ``days`` (``pad`` extra noise days for carryover tails)."""
    holiday = holiday_names(days)
    retail = retail_event_names(days)
    q4 = _q4_peak(days, rng)
    expected = (
        _trend(len(days), rng)
        * _weekday(days, rng)
        * _yearly(days, rng)
        * q4
        * _event_factor(holiday, HOLIDAY_LIFT, rng)
        * _event_factor(retail, RETAIL_LIFT, rng)
    )
    aov = rng.uniform(55.0, 110.0) * (1.0 + 0.25 * (q4 - 1.0)) * np.exp(rng.normal(0.0, 0.03, len(days)))
    return DemandPath(
        expected=expected / expected.mean(),
        shock=_shocks(len(days), rng),
        noise=rng.normal(0.0, OUTCOME_NOISE_SD, size=len(days) + pad),
        aov=aov,
        holiday=holiday,
        retail_event=retail,
    )
