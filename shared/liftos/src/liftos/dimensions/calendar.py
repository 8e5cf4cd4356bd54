"""Per-day calendar features: weekday, ISO week, month/quarter ends and public holidays.

Public holidays come from the ``holidays`` package for any supported country and subdivision. The
weekend is the country's own (e.g. Friday–Saturday in Israel), as the ``holidays`` package defines it.
:mod:`liftos.dimensions.calendar_dimension` builds whole calendar tables on the same helpers.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import TypedDict

import holidays

from liftos.errors import ConfigError

__all__ = [
    "CalendarFeatures",
    "UnknownRegionError",
    "calendar_features",
    "holidays_between",
    "public_holidays",
    "validate_region",
    "weekend_days",
]


class UnknownRegionError(ConfigError, ValueError):
    """The ``holidays`` package does not know the country or the subdivision (a configuration error)."""


class CalendarFeatures(TypedDict):
    """Calendar fields of :class:`liftos.events.EnrichedRow` (``day_of_week`` 0 = Monday)."""

    country: str
    day_of_week: int
    week_of_year: int
    month: int
    quarter: int
    year: int
    is_weekend: bool
    is_holiday: bool
    holiday_name: str
    is_month_end: bool
    is_quarter_end: bool


@lru_cache(maxsize=256)
def validate_region(country: str, subdivision: str | None) -> None:
    """Check that ``holidays`` supports ``country`` (ISO 3166-1 alpha-2) and ``subdivision``.

    Raises:
        UnknownRegionError: naming the unknown country, or the unknown subdivision and the valid ones.
    """
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise UnknownRegionError(
            f"unknown country {country!r}: the holidays package expects an ISO 3166-1 alpha-2 code "
            f"such as 'US' or 'DE'"
        )
    if subdivision is None:
        return
    aliases = getattr(holidays.country_holidays(country), "subdivisions_aliases", {})
    if subdivision not in supported[country] and subdivision not in aliases:
        valid = ", ".join(supported[country]) or "none"
        raise UnknownRegionError(
            f"unknown subdivision {subdivision!r} of country {country!r}; valid subdivisions: {valid}"
        )


@lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    """Public holidays of ``country`` (ISO 3166-1 alpha-2) and ``subdivision`` in ``year``: date → name.

    Several holidays on one day share one name, ``"; "``-joined (as the ``holidays`` package does).

    Raises:
        UnknownRegionError: the ``holidays`` package does not know the country or subdivision.
    """
    validate_region(country, subdivision)
    return dict(holidays.country_holidays(country, subdiv=subdivision, years=year).items())


def holidays_between(country: str, subdivision: str | None, years: Iterable[int]) -> dict[date, str]:
    """Public holidays of every year in ``years``, merged into one date → name mapping."""
    merged: dict[date, str] = {}
    for year in years:
        merged.update(public_holidays(country, subdivision, year))
    return merged


@lru_cache(maxsize=256)
def weekend_days(country: str) -> frozenset[int]:
    """Weekday numbers (0 = Monday) of the weekend in ``country``; Saturday and Sunday by default."""
    validate_region(country, None)
    weekend = getattr(holidays.country_holidays(country), "weekend", None)
    return frozenset(int(day) for day in weekend) if weekend else frozenset({5, 6})


@lru_cache(maxsize=65_536)
def calendar_features(day: date, country: str = "US", subdivision: str | None = None) -> CalendarFeatures:
    """Calendar features of one day in one country (cached: a stream asks for the same days often)."""
    holiday_name = public_holidays(country, subdivision, day.year).get(day, "")
    month_end = day.day == _stdlib_calendar.monthrange(day.year, day.month)[1]
    return CalendarFeatures(
        country=country if subdivision is None else f"{country}-{subdivision}",
        day_of_week=day.weekday(),
        week_of_year=day.isocalendar().week,
        month=day.month,
        quarter=(day.month - 1) // 3 + 1,
        year=day.year,
        is_weekend=day.weekday() in weekend_days(country),
        is_holiday=bool(holiday_name),
        holiday_name=holiday_name,
        is_month_end=month_end,
        is_quarter_end=month_end and day.month % 3 == 0,
    )
