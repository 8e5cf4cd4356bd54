"""Naive baselines for the benchmark (what users do without a causal model).

* :func:`revenue_on_spend`: OLS of the outcome on each channel's spend with no controls: the slope is
  read as iROAS. Demand-following channels (search) are overstated massively.
* :func:`platform_roas`: the platforms' self-reported conversion value / spend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["platform_roas", "revenue_on_spend"]

FloatArray = NDArray[np.float64]


def revenue_on_spend(spend: FloatArray, outcome: FloatArray, channels: tuple[str, ...]) -> dict[str, float]:
    """Slopes of ``outcome`` ``(T,)`` on ``spend`` ``(T, C)`` plus intercept (no controls) per channel."""
    X = np.column_stack([np.ones(len(outcome)), spend])
    coef = np.linalg.lstsq(X, outcome, rcond=None)[0]
    return {ch: float(coef[1 + c]) for c, ch in enumerate(channels)}


def platform_roas(daily: pd.DataFrame, fx: dict[str, float] | None = None) -> dict[str, float]:
    """Reported value / spend per channel from a long table (``channel``, ``spend``, ``platform_revenue``,
    optional ``currency`` converted with ``fx``)."""
    rate = daily["currency"].map(fx).fillna(1.0) if fx is not None and "currency" in daily else 1.0
    frame = daily.assign(spend_r=daily["spend"] * rate, value_r=daily["platform_revenue"] * rate)
    sums = frame.groupby("channel")[["spend_r", "value_r"]].sum()
    return {
        str(ch): float(r.value_r / r.spend_r) if r.spend_r > 0 else float("nan") for ch, r in sums.iterrows()
    }
