"""The calendar dimension table: one row per day with calendar, holiday, business and season features.

:class:`CalendarDimension` implements the seed's API::

    calendar = CalendarDimension().create_calendar("2024-01-01", "2024-12-31", country="US")
    marketing = CalendarDimension().add_marketing_features(calendar, campaign_data)

Every column is computed over whole years around the requested range (one year either side), so
values near the range's edges (business days in a partial month, the distance to a holiday in the
next year) are the same as in a longer calendar; then the range is cut out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.dimensions.business_calendar import BusinessCalendar, PeakSeason, as_date
from liftos.dimensions.calendar import holidays_between, validate_region, weekend_days
from liftos.dimensions.marketing_features import add_marketing_features
from liftos.dimensions.retail_events import resolve_retail_events, retail_event_dates
from liftos.dimensions.seasonality import (
    CALENDAR_PRIOR,
    OUTCOME_HISTORY,
    calendar_prior,
    seasonality_from_history,
)

__all__ = ["CALENDAR_FEATURES", "CalendarDimension"]

#: Every feature column of :meth:`CalendarDimension.create_calendar`, besides ``date`` and the
#: per-event flags ``is_<event>`` of the switched-on retail events.
CALENDAR_FEATURES: Final = (
    "day_of_week",
    "week_of_year",
    "month",
    "quarter",
    "year",
    "is_weekend",
    "is_holiday",
    "holiday_name",
    "is_public_holiday",
    "is_month_end",
    "is_quarter_end",
    "is_business_day",
    "business_day_of_month",
    "business_days_in_month",
    "days_to_holiday",
    "days_since_holiday",
    "peak_season",
    "is_peak_season",
    "retail_event",
    "is_retail_event",
    "days_since_campaign_start",
    "seasonality_index",
)

Columns = dict[str, Any]


@dataclass(frozen=True)
class _Request:
    """A validated :meth:`CalendarDimension.create_calendar` call."""

    start: date
    end: date
    country: str
    subdivision: str | None
    business: BusinessCalendar
    retail_events: tuple[str, ...]
    campaign_start: date


class CalendarDimension:
    """Builds calendar dimension tables and joins marketing-derived daily features onto them."""

    def create_calendar(
        self,
        start_date: date | str,
        end_date: date | str,
        include_features: Sequence[str] | None = None,
        business_calendar: Mapping[str, Any] | BusinessCalendar | None = None,
        country: str = "US",
        subdivision: str | None = None,
        *,
        retail_events: bool | Sequence[str] = False,
        campaign_start: date | str | None = None,
        outcome_history: pd.DataFrame | None = None,
        outcome_column: str = "value",
    ) -> pd.DataFrame:
        """One row per day from ``start_date`` to ``end_date`` (inclusive), ``date`` first (datetime64[ns]).

        Columns (all of :data:`CALENDAR_FEATURES`, or ``include_features`` in that order, followed by the
        columns that carry what else was passed and ``include_features`` does not name: ``peak_season``
        / ``is_peak_season`` for peak seasons, ``is_holiday`` / ``holiday_name`` for custom holidays,
        ``is_business_day`` for custom business days, the retail-event columns for ``retail_events``;
        listed in ``attrs["added_features"]``, so no input is silently dropped):

        - ``day_of_week`` (0 = Monday), ``week_of_year`` (ISO week), ``month``, ``quarter``, ``year``;
          ``is_weekend`` (the country's weekend); ``is_month_end`` / ``is_quarter_end`` (last day).
        - ``is_public_holiday``: a public holiday of ``country``/``subdivision`` (``holidays`` package);
          ``is_holiday``: a public or a custom (``business_calendar``) holiday; ``holiday_name``: its
          name (the public name when both), ``""`` otherwise.
        - ``is_business_day``: a business weekday (``business_days``, default: not the weekend) that
          is not a holiday; ``business_day_of_month``: business days from the 1st of the month up to
          and including the day; ``business_days_in_month``: business days in the whole month.
        - ``days_to_holiday`` / ``days_since_holiday``: days (0 on a holiday) to the next / since the
          previous holiday (``is_holiday``), across year boundaries; ``<NA>`` when none lies within a
          year beyond the range.
        - ``peak_season``: the ``business_calendar`` peak season(s) containing the day (``"|"``-joined),
          ``""`` when none; ``is_peak_season``.
        - ``retail_event``: the built-in retail event of the day (see :mod:`.retail_events`), ``""``
          when none or when ``retail_events`` is off; ``is_retail_event``; one ``is_<event>`` flag per
          switched-on event. ``retail_events``: ``True`` = the country's defaults, or a list of names.
        - ``days_since_campaign_start``: days since ``campaign_start`` (default: ``start_date``),
          negative before it. :meth:`add_marketing_features` re-bases it on the campaign data.
        - ``seasonality_index``: see :mod:`.seasonality`; learned from ``outcome_history`` (columns
          ``date`` and ``outcome_column``) when given, else a calendar prior. The source is in
          ``attrs["seasonality_index_source"]``.

        Raises:
            ValueError: inverted range, unknown country/subdivision (:class:`UnknownRegionError`),
                unknown feature or retail event, malformed ``business_calendar``.
        """
        request = _request(
            start_date, end_date, country, subdivision, business_calendar, retail_events, campaign_start
        )
        days = pd.date_range(date(request.start.year - 1, 1, 1), date(request.end.year + 1, 12, 31))
        columns = _columns(days, request)
        columns["seasonality_index"], source = _seasonality(
            days, columns, request, outcome_history, outcome_column
        )
        frame = pd.DataFrame({"date": days.astype("datetime64[ns]"), **columns})
        frame = frame[
            (frame["date"] >= pd.Timestamp(request.start)) & (frame["date"] <= pd.Timestamp(request.end))
        ]
        selected = _selected(include_features, list(columns))
        added = [name for name in _implied_features(request, list(columns)) if name not in selected]
        frame = frame[["date", *selected, *added]].reset_index(drop=True)
        frame.attrs.update(
            seasonality_index_source=source,
            country=request.country,
            subdivision=request.subdivision,
            added_features=added,
        )
        return frame

    def add_marketing_features(
        self, calendar: pd.DataFrame, campaign_data: pd.DataFrame, features: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """``calendar`` with daily marketing features derived from ``campaign_data`` joined on ``date``.

        See :func:`liftos.dimensions.marketing_features.add_marketing_features`.
        """
        return add_marketing_features(calendar, campaign_data, features)


def _request(
    start_date: date | str,
    end_date: date | str,
    country: str,
    subdivision: str | None,
    business_calendar: Mapping[str, Any] | BusinessCalendar | None,
    retail_events: bool | Sequence[str],
    campaign_start: date | str | None,
) -> _Request:
    start, end = as_date(start_date), as_date(end_date)
    if end < start:
        raise ValueError(f"end_date {end} is before start_date {start}")
    country = country.upper()
    validate_region(country, subdivision)
    return _Request(
        start=start,
        end=end,
        country=country,
        subdivision=subdivision,
        business=BusinessCalendar.parse(business_calendar),
        retail_events=resolve_retail_events(retail_events, country),
        campaign_start=start if campaign_start is None else as_date(campaign_start),
    )


def _implied_features(request: _Request, available: list[str]) -> list[str]:
    """Columns that carry what the caller passed (peak seasons, custom holidays and business days, retail
    events): kept even when ``include_features`` does not name them, so no input is silently dropped."""
    business = request.business
    implied = [
        *(("peak_season", "is_peak_season") if business.peak_seasons else ()),
        *(("is_holiday", "holiday_name") if business.holidays else ()),
        *(("is_business_day",) if business.business_days is not None else ()),
        *(("retail_event", "is_retail_event") if request.retail_events else ()),
        *(f"is_{event}" for event in request.retail_events),
    ]
    return [name for name in implied if name in available]


def _selected(include_features: Sequence[str] | None, available: list[str]) -> list[str]:
    if include_features is None:
        return available
    wanted = [name for name in dict.fromkeys(include_features) if name != "date"]
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ValueError(f"unknown calendar features {unknown}; available: {available}")
    return wanted


def _columns(days: pd.DatetimeIndex, request: _Request) -> Columns:
    """Every column but ``seasonality_index``, in :data:`CALENDAR_FEATURES` order."""
    columns = _date_parts(days, weekend_days(request.country))
    columns |= _holidays(days, request)
    columns["is_month_end"] = np.asarray(days.is_month_end)
    columns["is_quarter_end"] = np.asarray(days.is_quarter_end)
    columns |= _business_days(days, columns["is_holiday"], columns["is_weekend"], request.business)
    columns |= _holiday_distances(columns["is_holiday"])
    columns |= _peak_seasons(days, request.business.peak_seasons)
    columns |= _retail_events(days, request.retail_events, request.country)
    campaign_offset = (days - pd.Timestamp(request.campaign_start)).days
    columns["days_since_campaign_start"] = np.asarray(campaign_offset, dtype=np.int64)
    return {name: columns[name] for name in _order(columns)}


def _order(columns: Columns) -> list[str]:
    flags = [name for name in columns if name not in CALENDAR_FEATURES]
    position = CALENDAR_FEATURES.index("is_retail_event") + 1
    ordered = [name for name in CALENDAR_FEATURES if name in columns]
    return ordered[:position] + flags + ordered[position:]


def _date_parts(days: pd.DatetimeIndex, weekend: frozenset[int]) -> Columns:
    weekday = np.asarray(days.day_of_week, dtype=np.int64)
    return {
        "day_of_week": weekday,
        "week_of_year": np.asarray(days.isocalendar()["week"], dtype=np.int64),
        "month": np.asarray(days.month, dtype=np.int64),
        "quarter": np.asarray(days.quarter, dtype=np.int64),
        "year": np.asarray(days.year, dtype=np.int64),
        "is_weekend": np.isin(weekday, sorted(weekend)),
    }


def _names_on(days: pd.DatetimeIndex, names: Mapping[date, str]) -> NDArray[np.object_]:
    """The name on each day ("" when none)."""
    lookup = pd.Series(list(names.values()), index=pd.DatetimeIndex(list(names)), dtype=object)
    return np.asarray(lookup.reindex(days, fill_value=""), dtype=object)


def _holidays(days: pd.DatetimeIndex, request: _Request) -> Columns:
    years = range(days[0].year, days[-1].year + 1)
    public = holidays_between(request.country, request.subdivision, years)
    names = {**request.business.holidays, **public}
    holiday_name = _names_on(days, names)
    return {
        "is_holiday": holiday_name != "",
        "holiday_name": holiday_name,
        "is_public_holiday": _names_on(days, public) != "",
    }


def _business_days(
    days: pd.DatetimeIndex,
    is_holiday: NDArray[np.bool_],
    is_weekend: NDArray[np.bool_],
    business: BusinessCalendar,
) -> Columns:
    if business.business_days is None:
        workday = ~is_weekend
    else:
        workday = np.isin(np.asarray(days.day_of_week), sorted(business.business_days))
    is_business_day = workday & ~is_holiday
    month_key = np.asarray(days.year * 12 + days.month)
    counts = pd.Series(is_business_day.astype(np.int64)).groupby(month_key)
    return {
        "is_business_day": is_business_day,
        "business_day_of_month": counts.cumsum().to_numpy(),
        "business_days_in_month": counts.transform("sum").to_numpy(),
    }


def _holiday_distances(is_holiday: NDArray[np.bool_]) -> Columns:
    """Days to the next and since the previous holiday; ``days`` must be consecutive."""
    position = np.arange(len(is_holiday))
    holiday_at = np.flatnonzero(is_holiday)
    after = np.searchsorted(holiday_at, position, side="left")
    before = np.searchsorted(holiday_at, position, side="right") - 1
    padded = np.append(holiday_at, -1)  # index len(holiday_at) (no next holiday) reads the sentinel
    to_next = np.where(after < len(holiday_at), padded[after] - position, -1)
    since_last = np.where(before >= 0, position - padded[np.maximum(before, 0)], -1)
    return {
        "days_to_holiday": pd.arrays.IntegerArray(to_next.astype(np.int64), to_next < 0),
        "days_since_holiday": pd.arrays.IntegerArray(since_last.astype(np.int64), since_last < 0),
    }


def _peak_seasons(days: pd.DatetimeIndex, seasons: Sequence[PeakSeason]) -> Columns:
    names = np.full(len(days), "", dtype=object)
    for season in seasons:
        inside = (days >= pd.Timestamp(season.start)) & (days <= pd.Timestamp(season.end))
        joined = np.where(names == "", season.name, names + "|" + season.name)
        names = np.where(inside, joined, names)
    return {"peak_season": names, "is_peak_season": names != ""}


def _retail_events(days: pd.DatetimeIndex, enabled: Sequence[str], country: str) -> Columns:
    years = range(days[0].year, days[-1].year + 1)
    flags: Columns = {}
    names = np.full(len(days), "", dtype=object)
    for event, event_days in retail_event_dates(enabled, country, years).items():
        on = np.asarray(days.isin(pd.DatetimeIndex(event_days)))
        flags[f"is_{event}"] = on
        names = np.where(on, np.where(names == "", event, names + "|" + event), names)
    return {"retail_event": names, "is_retail_event": names != "", **flags}


def _seasonality(
    days: pd.DatetimeIndex,
    columns: Columns,
    request: _Request,
    outcome_history: pd.DataFrame | None,
    outcome_column: str,
) -> tuple[NDArray[np.float64], str]:
    if outcome_history is not None:
        return seasonality_from_history(days, outcome_history, outcome_column), OUTCOME_HISTORY
    defaults = resolve_retail_events(True, request.country)
    retail = _retail_events(days, defaults, request.country)["is_retail_event"]
    event_day = columns["is_holiday"] | columns["is_peak_season"] | retail
    return calendar_prior(days, np.asarray(event_day, dtype=np.bool_)), CALENDAR_PRIOR
