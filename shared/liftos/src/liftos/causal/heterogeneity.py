"""Effect heterogeneity over the calendar: which periods form each group (season, month, weekday,
holiday period), the features a causal forest may split on, and the table
:meth:`liftos.causal.results.CausalResults.get_heterogeneity` returns.

A group level's effect is the return of the spend *placed in its periods*: the outcome lost had the
channel's spend been zero in those periods (carryover into later periods included) divided by that
spend, the same counterfactual as the whole-range iROAS restricted to some periods.
"""

from __future__ import annotations

import calendar
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.causal.design import Design

__all__ = [
    "HETEROGENEITY_COLUMNS",
    "HOLIDAY_LEVELS",
    "SEASONS",
    "calendar_groups",
    "event_periods",
    "forest_features",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
#: Seasons: calendar quarters, named by their months (the same everywhere on the globe).
SEASONS: Final = ("Jan-Mar", "Apr-Jun", "Jul-Sep", "Oct-Dec")
HOLIDAY_LEVELS: Final = ("holiday or retail event", "other periods")
#: Columns of the heterogeneity table, one row per channel, group and level.
HETEROGENEITY_COLUMNS: Final = (
    "channel",
    "group",
    "level",
    "periods",
    "spend",
    "revenue_lift",
    "ci_lower",
    "ci_upper",
    "incremental_roas",
    "iroas_ci_lower",
    "iroas_ci_upper",
)


def event_periods(design: Design) -> BoolArray:
    """Periods ``(T,)`` with a public holiday or a retail event in the calendar ``design``."""
    columns = np.concatenate([design.columns("holiday"), design.columns("retail")])
    if columns.size == 0:
        return np.zeros(design.matrix.shape[0], dtype=bool)
    return np.asarray(np.abs(design.matrix[:, columns]).sum(axis=1) > 0, dtype=bool)


def calendar_groups(
    dates: pd.DatetimeIndex, frequency: str, events: BoolArray
) -> dict[str, list[tuple[str, BoolArray]]]:
    """Group → its levels in calendar order, each with its periods ``(T,)``: ``season``
    (:data:`SEASONS`), ``month``, ``weekday`` (daily data only) and ``holiday`` (periods with a
    public holiday or retail event, ``events``, against the others). Levels without periods are left
    out."""
    month = dates.month.to_numpy()
    groups: dict[str, list[tuple[str, BoolArray]]] = {
        "season": [(name, (month - 1) // 3 == q) for q, name in enumerate(SEASONS)],
        "month": [(calendar.month_abbr[m], month == m) for m in range(1, 13)],
    }
    if frequency == "D":
        weekday = dates.day_of_week.to_numpy()
        groups["weekday"] = [(calendar.day_abbr[d], weekday == d) for d in range(7)]
    groups["holiday"] = [(HOLIDAY_LEVELS[0], events.copy()), (HOLIDAY_LEVELS[1], ~events)]
    return {g: [(name, mask) for name, mask in levels if mask.any()] for g, levels in groups.items()}


def forest_features(dates: pd.DatetimeIndex, frequency: str, events: BoolArray) -> FloatArray:
    """What the causal forest's effect may vary with, per period ``(n, F)``: the position in the year
    (sine and cosine of the day of year, so December neighbours January), the weekday (daily data)
    and the holiday / retail-event indicator ``events`` ``(n,)``."""
    phase = 2.0 * np.pi * (dates.day_of_year.to_numpy(dtype=np.float64) - 1.0) / 365.25
    columns = [np.sin(phase), np.cos(phase)]
    if frequency == "D":
        columns.append(dates.day_of_week.to_numpy(dtype=np.float64))
    columns.append(events.astype(np.float64))
    return np.column_stack(columns)
