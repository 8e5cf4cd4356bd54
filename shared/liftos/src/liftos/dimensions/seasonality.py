"""``seasonality_index``: a unitless multiplier of demand by day of year (mean 1 over a year).

Two sources, recorded in ``DataFrame.attrs["seasonality_index_source"]`` of the calendar:

- ``"outcome_history"`` — from the business's own daily outcome (:func:`seasonality_from_history`):
  classical ratio-to-moving-average decomposition. The daily outcome is divided by its centred 365-day
  moving average (removing level and trend), then by the day-of-week factor (mean ratio per weekday);
  the remaining ratios are averaged per day of the year (29 February is its own day), gaps are
  interpolated, the profile is smoothed with a centred, circular 15-day mean and scaled to mean 1.
  A date's index is the profile value of its day of the year, the same in every year.
- ``"calendar_prior"`` — from the calendar alone (:func:`calendar_prior`), when no history is given:
  1 + the share of "event days" (public or custom holidays, the country's built-in retail events,
  peak-season days) in the centred 29-day window around the date, scaled to mean 1 within each
  calendar year. It is a shape prior (more demand around dense event periods), not a magnitude:
  its amplitude is arbitrary, so use it as a control whose coefficient is estimated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "CALENDAR_PRIOR",
    "OUTCOME_HISTORY",
    "PRIOR_WINDOW_DAYS",
    "PROFILE_SMOOTHING_DAYS",
    "calendar_prior",
    "day_of_leap_year",
    "seasonality_from_history",
]

OUTCOME_HISTORY: Final = "outcome_history"
CALENDAR_PRIOR: Final = "calendar_prior"
#: Width (days) of the centred window of the calendar prior's event-day share.
PRIOR_WINDOW_DAYS: Final = 29
#: Width (days) of the circular smoothing of the day-of-year profile learned from history.
PROFILE_SMOOTHING_DAYS: Final = 15
_YEAR_DAYS: Final = 365
_LEAP_YEAR_DAYS: Final = 366


def day_of_leap_year(days: pd.DatetimeIndex) -> NDArray[np.int64]:
    """Day of the year on a leap-year scale (1–366): 1 March is 61 in every year."""
    late_in_common_year = (~days.is_leap_year) & (days.month > 2)
    return np.asarray(days.day_of_year, dtype=np.int64) + late_in_common_year.astype(np.int64)


def calendar_prior(days: pd.DatetimeIndex, event_day: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Calendar-only seasonality index of consecutive ``days`` (which should span whole years).

    Args:
        days: Consecutive days.
        event_day: Whether each day is a holiday, retail event or peak-season day.
    """
    share = pd.Series(event_day.astype(np.float64)).rolling(PRIOR_WINDOW_DAYS, center=True, min_periods=1)
    raw = 1.0 + share.mean()
    yearly_mean = raw.groupby(np.asarray(days.year)).transform("mean")
    return np.asarray(raw / yearly_mean, dtype=np.float64)


def seasonality_from_history(
    days: pd.DatetimeIndex, history: pd.DataFrame, value_column: str = "value"
) -> NDArray[np.float64]:
    """Seasonality index of ``days`` learned from ``history`` (columns ``date`` and ``value_column``).

    Rows of the same date are summed; dates missing from the history are treated as unknown, not zero.

    Raises:
        ValueError: a column is missing or the history spans less than 365 days.
    """
    daily = _daily_outcome(history, value_column)
    profile = _day_of_year_profile(daily)
    return np.asarray(profile.reindex(day_of_leap_year(days)), dtype=np.float64)


def _daily_outcome(history: pd.DataFrame, value_column: str) -> pd.Series:
    missing = sorted({"date", value_column} - set(history.columns))
    if missing:
        raise ValueError(f"outcome_history lacks columns {missing}")
    dates = pd.to_datetime(history["date"]).dt.normalize()
    daily = pd.to_numeric(history[value_column]).groupby(dates.to_numpy()).sum()
    if daily.empty or (daily.index.max() - daily.index.min()).days + 1 < _YEAR_DAYS:
        raise ValueError("outcome_history must span at least 365 days to learn a day-of-year profile")
    return daily.reindex(pd.date_range(daily.index.min(), daily.index.max()))


def _day_of_year_profile(daily: pd.Series) -> pd.Series:
    """Mean-1 seasonal factor per day of the leap-year scale (index 1–366)."""
    days = pd.DatetimeIndex(daily.index)
    trend = daily.rolling(_YEAR_DAYS, center=True, min_periods=_YEAR_DAYS // 2 + 1).mean()
    ratio = (daily / trend.where(trend > 0)).replace([np.inf, -np.inf], np.nan)
    weekday = np.asarray(days.day_of_week)
    weekday_factor = ratio.groupby(weekday).mean()
    weekday_factor = weekday_factor / weekday_factor.mean()
    adjusted = ratio / weekday_factor.reindex(weekday).to_numpy()
    profile = adjusted.groupby(day_of_leap_year(days)).mean().reindex(range(1, _LEAP_YEAR_DAYS + 1))
    smooth = _circular(profile, lambda tripled: tripled.interpolate(limit_direction="both"))
    smooth = _circular(
        smooth, lambda tripled: tripled.rolling(PROFILE_SMOOTHING_DAYS, center=True, min_periods=1).mean()
    )
    return smooth / smooth.mean()


def _circular(profile: pd.Series, operation: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a window ``operation`` to ``profile`` as if the year wrapped around."""
    tripled = pd.concat([profile, profile, profile], ignore_index=True)
    result = operation(tripled)
    middle = np.asarray(result, dtype=np.float64)[len(profile) : 2 * len(profile)]
    return pd.Series(middle, index=profile.index)
