"""Media response and spend plans: normalised geometric adstock, Hill saturation, and the daily
channel budgets that the scenario confounds with expected demand and (``hard``) unobserved shocks.

Money is in the reporting currency per day; arrays are daily, shape ``(T,)`` or ``(T + MAX_LAG,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from liftos_sandbox.scenarios import Channel, ScenarioParams

__all__ = [
    "MAX_LAG",
    "ChannelResponse",
    "adstock",
    "budget_path",
    "demand_tilt",
    "draw_response",
    "hill",
    "seasonal_cycle",
]

FloatArray = NDArray[np.float64]

MAX_LAG: Final = 42  # days of carryover (six weeks)

# (low, high) ranges drawn per seed.
_MEAN_BUDGET: Final[dict[Channel, tuple[float, float]]] = {"meta": (5000, 9000), "google_ads": (3000, 6000)}
_DECAY: Final[dict[Channel, tuple[float, float]]] = {
    "meta": (0.75, 0.88), "google_ads": (0.35, 0.6), "klaviyo": (0.4, 0.65)}  # fmt: skip
_SHAPE: Final[dict[Channel, tuple[float, float]]] = {
    "meta": (1.0, 1.6), "google_ads": (1.0, 1.5), "klaviyo": (0.8, 1.2)}  # fmt: skip
_TARGET_IROAS: Final[dict[Channel, tuple[float, float]]] = {
    "meta": (2.0, 3.2), "google_ads": (1.8, 2.8), "klaviyo": (2.0, 5.0)}  # fmt: skip
# Candidate peaks of the ``seasonal`` cycle (day of year): 22.8 days into each half-quarter's start.
_PEAK_DAYS: Final[tuple[float, ...]] = tuple(22.8 + 45.66 * k for k in range(8))
# (pulses per year, dark periods per year, dark period length range in days)
_FLIGHTING: Final[dict[Channel, tuple[float, float, tuple[int, int]]]] = {
    "meta": (4.0, 0.8, (7, 21)), "google_ads": (1.5, 0.4, (5, 14))}  # fmt: skip


def adstock(spend: FloatArray, decay: float, max_lag: int = MAX_LAG) -> FloatArray:
    """Normalised geometric adstock: ``sum_l w_l * spend[t - l]`` with ``w_l ∝ decay**l``, ``l < max_lag``,
    weights summing to 1 (so total adstocked spend equals total spend when the tail is kept)."""
    weights = decay ** np.arange(max_lag)
    weights /= weights.sum()
    return np.convolve(spend, weights)[: len(spend)]


def hill(x: FloatArray, half_saturation: float, shape: float) -> FloatArray:
    """Hill saturation ``x**s / (x**s + K**s)`` in [0, 1); same shape as ``x``."""
    ratio = np.maximum(x, 0.0) / half_saturation
    powered = ratio**shape
    return np.asarray(powered / (1.0 + powered), dtype=np.float64)


@dataclass(frozen=True)
class ChannelResponse:
    """True response of revenue to one channel's spend (additive across channels).

    ``contribution(spend)[t] = beta[t] * hill(adstock(spend)[t], half_saturation, shape)``;
    ``beta``: ``(T + MAX_LAG,)`` revenue at full saturation (reporting currency per day; varies only
    under drift); ``half_saturation``: adstocked spend per day at half the maximum effect.
    """

    decay: float
    half_saturation: float
    shape: float
    beta: FloatArray

    def contribution(self, spend: FloatArray) -> FloatArray:
        """Incremental revenue per day caused by ``spend`` (shape ``(T + MAX_LAG,)``, padded)."""
        return self.beta * hill(adstock(spend, self.decay), self.half_saturation, self.shape)


def demand_tilt(
    channel: Channel, expected: FloatArray, shock: FloatArray, params: ScenarioParams
) -> FloatArray:
    """Log of how much the channel's spend rises with expected demand and (hard) the unobserved shock."""
    elasticity = params.demand_elasticity[channel]
    return elasticity * np.log(expected) + params.shock_reaction[channel] * shock


def _windows(rng: np.random.Generator, n_days: int, rate: float, length: tuple[int, int]) -> list[slice]:
    count = rng.poisson(rate * n_days / 365.25)
    starts = rng.integers(0, max(1, n_days - length[0]), size=count)
    lengths = rng.integers(length[0], length[1] + 1, size=count)
    return [slice(int(s), int(s + n)) for s, n in zip(starts, lengths, strict=True)]


def _budget_noise(rng: np.random.Generator, n_days: int) -> FloatArray:
    """Exogenous budget variation (log): slow AR(1) drift plus day-to-day noise."""
    innovations = rng.normal(0.0, 0.03, size=n_days)
    drift = np.empty(n_days)
    level = 0.0
    for i in range(n_days):  # one pass over days only
        level = 0.97 * level + innovations[i]
        drift[i] = level
    return drift + rng.normal(0.0, 0.07, size=n_days)


def budget_path(channel: Channel, tilt: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Daily budget of a paid channel (reporting currency), shape ``(T,)``; 0 during dark periods.

    ``tilt``: log demand-following component from :func:`demand_tilt`.
    """
    n_days = len(tilt)
    pulse_rate, dark_rate, dark_length = _FLIGHTING[channel]
    log_budget = tilt + _budget_noise(rng, n_days)
    for window in _windows(rng, n_days, pulse_rate, (7, 21)):
        log_budget[window] += np.log(rng.uniform(1.4, 2.2))
    budget = np.exp(log_budget)
    dark = np.zeros(n_days, dtype=bool)
    for window in _windows(rng, n_days, dark_rate, dark_length):
        dark[window] = True
    if not dark.any() and n_days >= 120:
        start = int(rng.integers(30, n_days - 30))
        dark[start : start + int(rng.integers(*dark_length))] = True
    budget = np.where(dark, 0.0, budget)
    scale = rng.uniform(*_MEAN_BUDGET[channel]) / float(budget[~dark].mean())
    return np.asarray(budget * scale, dtype=np.float64)


def draw_response(
    channel: Channel,
    spend: FloatArray,
    n_days: int,
    params: ScenarioParams,
    rng: np.random.Generator,
    drift_index: int | None = None,
) -> ChannelResponse:
    """Draw a channel's response curve and scale it to a target iROAS over the simulated range.

    ``spend``: the channel's realised daily spend padded with zeros, shape ``(T + MAX_LAG,)``.
    Under ``drift``, ``beta`` of the drifting channel changes by ``drift_factor`` around day
    ``drift_index`` (default ``T // 2``).
    """
    decay, shape = rng.uniform(*_DECAY[channel]), rng.uniform(*_SHAPE[channel])
    stocked = adstock(spend, decay)
    positive = stocked[stocked > 0]
    half = rng.uniform(0.7, 1.3) * (float(np.median(positive)) if positive.size else 1.0)
    unit = ChannelResponse(decay, half, shape, np.ones(len(spend)))
    response_sum = float(unit.contribution(spend).sum())
    target = rng.uniform(*(params.target_iroas or _TARGET_IROAS)[channel])
    beta = target * float(spend.sum()) / response_sum if response_sum > 0 else 0.0
    path = np.full(len(spend), beta)
    if params.drift_channel == channel:
        centre = n_days // 2 if drift_index is None else drift_index
        ramp = 1.0 / (1.0 + np.exp(-(np.arange(len(spend)) - centre) / 3.0))
        path *= 1.0 + (params.drift_factor - 1.0) * ramp
    return replace(unit, beta=path)


def seasonal_cycle(
    response: ChannelResponse,
    spend: FloatArray,
    day_of_year: FloatArray,
    params: ScenarioParams,
    rng: np.random.Generator,
) -> ChannelResponse:
    """``response`` with its level following a yearly cycle (the ``seasonal`` scenario).

    ``beta`` is multiplied by ``1 + a·cos(2π (day_of_year − peak) / 365.25)`` (``a`` drawn from
    ``params.seasonal_amplitude``) and rescaled so the whole-range lift of ``spend`` ``(T + MAX_LAG,)``
    stays what it was (the drawn target iROAS); ``day_of_year`` ``(T + MAX_LAG,)``: day of year
    (1-366) of each padded day. The peak is one of eight days a quarter of the way into each half of
    a calendar quarter (:data:`_PEAK_DAYS`), jittered by up to a week: any season's average cycle then
    differs from every other season's by at least a third of the amplitude (at a quarter's middle two
    seasons would tie, at its edge two others), so the seasons have one true order, drawn per seed.
    """
    amplitude = rng.uniform(*params.seasonal_amplitude)
    peak = _PEAK_DAYS[int(rng.integers(len(_PEAK_DAYS)))] + rng.uniform(-7.0, 7.0)
    factor = 1.0 + amplitude * np.cos(2.0 * np.pi * (day_of_year - peak) / 365.25)
    before = float(response.contribution(spend).sum())
    cycled = replace(response, beta=response.beta * factor)
    after = float(cycled.contribution(spend).sum())
    return replace(cycled, beta=cycled.beta * (before / after if after > 0 else 1.0))
