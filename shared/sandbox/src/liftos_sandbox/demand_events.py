"""Calendar events of the simulated US store: public holidays and the custom retail events (Black
Friday, Cyber Monday and the days around them), which are not public holidays.

The dates come from the product's one calendar (:mod:`liftos.dimensions`); this module adds only the
simulated store's response to each event."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.dimensions.calendar import holidays_between
from liftos.dimensions.retail_events import us_thanksgiving

__all__ = ["HOLIDAY_LIFT", "RETAIL_LIFT", "holiday_names", "retail_event_names"]

# Multiplicative effect of each public holiday on organic demand (before per-seed jitter).
HOLIDAY_LIFT: Final[dict[str, float]] = {
    "New Year's Day": 0.75,
    "Martin Luther King Jr. Day": 1.04,
    "Washington's Birthday": 1.08,
    "Memorial Day": 1.18,
    "Juneteenth National Independence Day": 1.02,
    "Independence Day": 0.88,
    "Labor Day": 1.15,
    "Columbus Day": 1.05,
    "Veterans Day": 1.06,
    "Thanksgiving Day": 0.8,
    "Christmas Day": 0.5,
}
# Retail events, keyed by name, with their effect; dates are relative to Thanksgiving (see below).
RETAIL_LIFT: Final[dict[str, float]] = {
    "Black Friday Week": 1.15,
    "Black Friday": 2.4,
    "Small Business Saturday": 1.6,
    "Cyber Sunday": 1.45,
    "Cyber Monday": 2.1,
    "Cyber Week": 1.25,
}
_RETAIL_OFFSETS: Final[dict[int, str]] = {
    -3: "Black Friday Week",
    -2: "Black Friday Week",
    -1: "Black Friday Week",
    1: "Black Friday",
    2: "Small Business Saturday",
    3: "Cyber Sunday",
    4: "Cyber Monday",
    5: "Cyber Week",
    6: "Cyber Week",
}


def holiday_names(days: pd.DatetimeIndex) -> NDArray[np.str_]:
    """Name of the US public holiday on each day ("" when none); shape ``(len(days),)``.

    Observed-day substitutes keep the holiday's name with an " (observed)" suffix.
    """
    calendar = holidays_between("US", None, range(days[0].year, days[-1].year + 1))
    names = [calendar.get(day.date(), "") for day in days]
    return np.asarray([name.split(";")[0].strip() for name in names], dtype=np.str_)


def retail_event_names(days: pd.DatetimeIndex) -> NDArray[np.str_]:
    """Name of the retail event on each day ("" when none); shape ``(len(days),)``."""
    by_date: dict[date, str] = {}
    for year in range(days[0].year, days[-1].year + 1):
        anchor = us_thanksgiving(year)
        for offset, name in _RETAIL_OFFSETS.items():
            by_date[anchor + timedelta(days=offset)] = name
    return np.asarray([by_date.get(day.date(), "") for day in days], dtype=np.str_)
