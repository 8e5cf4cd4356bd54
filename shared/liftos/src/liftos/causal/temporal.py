"""Calendar effects on the baseline from log-linear coefficients over a :class:`Design`."""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.causal.design import Design
from liftos.causal.results import TemporalEffects

__all__ = ["temporal_effects"]

FloatArray = NDArray[np.float64]
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def temporal_effects(design: Design, gamma: FloatArray, dates: pd.DatetimeIndex) -> TemporalEffects:
    """Effects implied by baseline log-coefficients ``gamma`` ``(K,)`` (no intercept) of ``design``."""
    names = list(design.names)
    coef = dict(zip(names, gamma, strict=True))
    day: dict[str, float] = {}
    if any(n.startswith("weekday_") for n in names):
        logs = np.array([0.0] + [coef.get(f"weekday_{d}", 0.0) for d in _WEEKDAYS[1:]])
        day = {d: float(np.exp(v - logs.mean()) - 1.0) for d, v in zip(_WEEKDAYS, logs, strict=True)}
    season_idx = design.columns("season")
    season = design.matrix[:, season_idx] @ gamma[season_idx] if season_idx.size else np.zeros(len(dates))
    level = np.exp(season - season.mean())
    by_month = pd.Series(level, index=dates.month).groupby(level=0).mean()
    seasonal = {
        calendar.month_name[int(str(m))]: float(v / by_month.mean() - 1.0) for m, v in by_month.items()
    }
    events = {n: float(np.exp(coef[n]) - 1.0) for n in names if n.startswith(("holiday", "retail"))}
    holiday_idx = design.columns("holiday")
    if holiday_idx.size:
        weights = design.matrix[:, holiday_idx].sum(axis=0)
        lift = float(np.average(np.exp(gamma[holiday_idx]) - 1.0, weights=weights))
    else:
        lift = 0.0
    return TemporalEffects(day, seasonal, lift, events)
