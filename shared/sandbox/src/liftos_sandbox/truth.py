"""Ground truth by counterfactual: re-simulate the outcome with a channel's spend changed inside a
window (same noise) and compare. Money in the reporting currency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos_sandbox.media import MAX_LAG, ChannelResponse
from liftos_sandbox.scenarios import CHANNELS, Channel

__all__ = ["SEASONS", "ChannelSeries", "TruthModel", "orders_truth", "season_truth", "truth_dict"]

FloatArray = NDArray[np.float64]
_MARGINAL_STEP = 0.01  # +1 % spend for the marginal ROAS
#: Seasons of :func:`season_truth`: calendar quarters (hemisphere-neutral names).
SEASONS = ("Jan-Mar", "Apr-Jun", "Jul-Sep", "Oct-Dec")


@dataclass(frozen=True)
class ChannelSeries:
    """One channel's daily series for the truth.

    ``spend``: ``(T + MAX_LAG,)`` realised spend in reporting currency, zero-padded after the range.
    ``platform_revenue``: ``(T,)`` final platform-reported value in reporting currency.
    """

    spend: FloatArray
    platform_revenue: FloatArray
    response: ChannelResponse


@dataclass(frozen=True)
class TruthModel:
    """Everything the counterfactual needs: days ``(T,)``, the outcome noise factor ``exp(noise)``
    ``(T + MAX_LAG,)``, each channel's series and the average order value per day ``(T,)``
    (reporting currency per order; orders = revenue / aov)."""

    days: pd.DatetimeIndex
    noise_factor: FloatArray
    channels: dict[Channel, ChannelSeries]
    aov: FloatArray | None = None


def _revenue_change(series: ChannelSeries, noise: FloatArray, first: int, last: int, scale: float) -> float:
    """Revenue with window spend x ``scale`` minus actual revenue, over the window and its carryover tail."""
    days = np.zeros(len(series.spend), dtype=bool)
    days[first : last + 1] = True
    return _masked_change(series, noise, days, slice(first, last + MAX_LAG), scale)


def _masked_change(
    series: ChannelSeries, noise: FloatArray, days: NDArray[np.bool_], span: slice, scale: float
) -> float:
    """Revenue with the spend of ``days`` ``(T + MAX_LAG,)`` x ``scale`` minus actual revenue, summed
    over the padded days ``span``."""
    changed = series.spend.copy()
    changed[days] *= scale
    delta = series.response.contribution(changed)[span] - series.response.contribution(series.spend)[span]
    return float((delta * noise[span]).sum())


def season_truth(model: TruthModel, first: int, last: int) -> dict[str, dict[str, dict[str, float]]]:
    """Per channel and season (:data:`SEASONS`) over day indices ``first..last``: ``spend`` on the
    season's days, ``revenue_lift`` (revenue lost had that spend been zero, counted over the window
    and its carryover tail) and ``iroas`` (lift / spend; 0 without spend)."""
    quarter = np.full(len(model.noise_factor), -1)
    quarter[first : last + 1] = (model.days.month.to_numpy()[first : last + 1] - 1) // 3
    span = slice(first, last + MAX_LAG)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for channel in CHANNELS:
        series, seasons = model.channels[channel], {}
        for q, name in enumerate(SEASONS):
            days = quarter == q
            spend = float(series.spend[days].sum())
            lift = -_masked_change(series, model.noise_factor, days, span, 0.0)
            seasons[name] = {"spend": spend, "revenue_lift": lift, "iroas": lift / spend if spend else 0.0}
        out[channel] = seasons
    return out


def _orders_change(series: ChannelSeries, model: TruthModel, first: int, last: int) -> float:
    """Orders lost if the channel's spend were zero on days ``first..last`` (window + carryover tail)."""
    assert model.aov is not None
    changed = series.spend.copy()
    changed[first : last + 1] = 0.0
    tail = slice(first, last + MAX_LAG)
    aov = np.concatenate([model.aov, np.full(MAX_LAG, model.aov[-1])])[tail]
    delta = series.response.contribution(series.spend)[tail] - series.response.contribution(changed)[tail]
    return float((delta * model.noise_factor[tail] / aov).sum())


def orders_truth(model: TruthModel, first: int, last: int) -> dict[str, dict[str, float]]:
    """Per channel over day indices ``first..last``: ``spend``, ``orders_lift`` (orders lost had the
    channel's spend been zero, carryover tail included) and ``orders_per_spend`` (its iROAS in orders)."""
    out: dict[str, dict[str, float]] = {}
    for channel in CHANNELS:
        series = model.channels[channel]
        spend = float(series.spend[first : last + 1].sum())
        lift = _orders_change(series, model, first, last)
        out[channel] = {
            "spend": spend,
            "orders_lift": lift,
            "orders_per_spend": lift / spend if spend else 0.0,
        }
    return out


def _channel(series: ChannelSeries, noise: FloatArray, first: int, last: int) -> dict[str, float]:
    spend = float(series.spend[first : last + 1].sum())
    lift = -_revenue_change(series, noise, first, last, 0.0)
    marginal = _revenue_change(series, noise, first, last, 1.0 + _MARGINAL_STEP)
    platform = float(series.platform_revenue[first : last + 1].sum())
    return {
        "spend": round(spend, 2),
        "revenue_lift": round(lift, 2),
        "iroas": round(lift / spend, 4) if spend > 0 else 0.0,
        "mroas": round(marginal / (_MARGINAL_STEP * spend), 4) if spend > 0 else 0.0,
        "platform_revenue": round(platform, 2),
        "platform_roas": round(platform / spend, 4) if spend > 0 else 0.0,
    }


def truth_dict(
    model: TruthModel, accounts: pd.DataFrame, outcome: pd.DataFrame, first: int, last: int
) -> dict[str, Any]:
    """The ``liftos sandbox truth`` object for day indices ``first..last`` (inclusive).

    ``revenue_lift``: revenue lost if the channel's spend were zero on the window's days, counted over
    the window plus the carryover tail (up to ``MAX_LAG - 1`` days after it); ``mroas``: extra revenue
    per extra unit of spend for +1 % spend on the window's days.
    """
    window = outcome.iloc[first : last + 1]
    ids = {c: accounts.loc[accounts["channel"] == c, "account_id"].tolist() for c in CHANNELS}
    return {
        "channels": {c: _channel(model.channels[c], model.noise_factor, first, last) for c in CHANNELS},
        "accounts": ids,
        "outcome": {
            "revenue": round(float(window["revenue"].sum()), 2),
            "orders": int(window["orders"].sum()),
        },
    }
