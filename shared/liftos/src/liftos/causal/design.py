"""Calendar controls of the models: trend, weekday, yearly Fourier terms, public holidays and the
retail days around US Thanksgiving (Black Friday / Cyber Monday are not public holidays).

The holidays and the Thanksgiving anchor come from :mod:`liftos.dimensions` (the one calendar of the
product, the one the enricher joins onto rows); this module only turns them into design columns.

All matrices are ``(T, K)`` float arrays aligned with the dataset's periods; names are ``(K,)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.causal.spec import ModelSpec
from liftos.dimensions.calendar import public_holidays
from liftos.dimensions.retail_events import us_thanksgiving

__all__ = ["Design", "calendar_design"]

FloatArray = NDArray[np.float64]
_RETAIL_OFFSETS = tuple(range(-3, 8))  # days relative to Thanksgiving (0 is the public holiday itself)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_OBSERVED = " (observed)"


@dataclass(frozen=True)
class Design:
    """Control matrix ``X`` ``(T, K)`` (no intercept column) with column ``names`` ``(K,)`` and the
    group of each column (``"trend"``, ``"weekday"``, ``"season"``, ``"holiday"``, ``"retail"``,
    ``"control"``), shape ``(K,)``."""

    matrix: FloatArray
    names: tuple[str, ...]
    groups: tuple[str, ...]

    def columns(self, group: str) -> NDArray[np.int64]:
        """Indices of the columns in ``group``."""
        return np.asarray([i for i, g in enumerate(self.groups) if g == group], dtype=np.int64)


def _trend(dates: pd.DatetimeIndex) -> tuple[FloatArray, list[str]]:
    years = (dates - dates[0]).days.to_numpy(dtype=np.float64) / 365.25
    return (years - years.mean())[:, None], ["trend_years"]


def _weekday(dates: pd.DatetimeIndex) -> tuple[FloatArray, list[str]]:
    dow = dates.day_of_week.to_numpy()
    cols = np.stack([(dow == d).astype(np.float64) for d in range(1, 7)], axis=1)
    return cols, [f"weekday_{_WEEKDAYS[d]}" for d in range(1, 7)]


def _fourier(dates: pd.DatetimeIndex, order: int, width_days: float) -> tuple[FloatArray, list[str]]:
    centre = dates + pd.Timedelta(days=(width_days - 1.0) / 2.0)
    phase = 2.0 * np.pi * (centre.day_of_year.to_numpy(dtype=np.float64) - 1.0) / 365.25
    cols, names = [], []
    for k in range(1, order + 1):
        cols += [np.sin(k * phase), np.cos(k * phase)]
        names += [f"season_sin{k}", f"season_cos{k}"]
    return (np.stack(cols, axis=1) if cols else np.zeros((len(dates), 0))), names


def _day_table(dates: pd.DatetimeIndex, width_days: int, spec: ModelSpec) -> pd.DataFrame:
    """Indicator table ``(T * width_days, events)`` of named daily events, keyed by period index."""
    days = pd.date_range(dates[0], dates[-1] + pd.Timedelta(days=width_days - 1), freq="D")
    period = np.searchsorted(dates.to_numpy(), days.to_numpy(), side="right") - 1
    names: list[str] = []
    for day in days:
        names.append(_event_name(day.date(), spec))
    return pd.DataFrame({"period": period, "event": names})


def _event_name(day: date, spec: ModelSpec) -> str:
    if spec.retail_events:
        offset = (day - us_thanksgiving(day.year)).days
        if offset in _RETAIL_OFFSETS and offset != 0:
            return f"retail_tg{offset:+d}"
    if spec.holidays_country is None:
        return ""
    name = public_holidays(spec.holidays_country, spec.holidays_subdivision, day.year).get(day, "")
    name = name.split(";")[0].strip()
    if name.endswith(_OBSERVED):
        return "holiday_observed"
    return f"holiday_{name}" if name else ""


def _events(dates: pd.DatetimeIndex, width_days: int, spec: ModelSpec) -> tuple[FloatArray, list[str]]:
    table = _day_table(dates, width_days, spec)
    table = table[table["event"] != ""]
    if table.empty:
        return np.zeros((len(dates), 0)), []
    if width_days > 1:  # weekly: one count of public holidays plus one Black-Friday-week indicator
        table = table.assign(
            event=np.where(table["event"].str.startswith("retail"), "retail_week", "holidays")
        )
    counts = pd.crosstab(table["period"], table["event"]).reindex(range(len(dates)), fill_value=0)
    counts = counts.loc[:, counts.sum(axis=0) > 0]
    return counts.to_numpy(dtype=np.float64), [str(c) for c in counts.columns]


def calendar_design(
    dates: pd.DatetimeIndex, frequency: str, spec: ModelSpec, controls: pd.DataFrame | None = None
) -> Design:
    """Calendar controls for ``dates`` (period starts, ``(T,)``) plus the user's ``controls`` ``(T, k)``.

    Non-indicator user controls are standardised; constant columns are dropped.
    """
    width = 1 if frequency == "D" else 7
    parts: list[tuple[FloatArray, list[str], str]] = []
    if spec.trend:
        parts.append((*_trend(dates), "trend"))
    if spec.weekday and frequency == "D":
        parts.append((*_weekday(dates), "weekday"))
    parts.append((*_fourier(dates, spec.fourier_for(frequency), float(width)), "season"))
    events, names = _events(dates, width, spec)
    groups = ["retail" if n.startswith("retail") else "holiday" for n in names]
    if controls is not None and controls.shape[1] > 0:
        user = controls.to_numpy(dtype=np.float64)
        scale = user.std(axis=0)
        binary = np.all(np.isin(user, (0.0, 1.0)), axis=0)
        user = np.where(binary, user, (user - user.mean(axis=0)) / np.where(scale > 0, scale, 1.0))
        parts.append((user, [str(c) for c in controls.columns], "control"))
    matrix = np.concatenate([p[0] for p in parts] + [events], axis=1)
    all_names = [n for p in parts for n in p[1]] + names
    all_groups = [p[2] for p in parts for _ in p[1]] + groups
    keep = matrix.std(axis=0) > 0
    return Design(
        np.ascontiguousarray(matrix[:, keep]),
        tuple(n for n, k in zip(all_names, keep, strict=True) if k),
        tuple(g for g, k in zip(all_groups, keep, strict=True) if k),
    )
