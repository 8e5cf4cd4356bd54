"""The ``business_calendar`` argument of :meth:`CalendarDimension.create_calendar`, parsed and checked.

The accepted shape is the seed's::

    {
        "holidays": ["2024-01-01", "2024-07-04"],            # or [{"date": ..., "name": ...}] or {date: name}
        "business_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "peak_seasons": [{"name": "black_friday", "start": "2024-11-24", "end": "2024-11-30"}],
    }

Every key is optional. Custom holidays without a name are called ``"custom"``. Peak seasons are
inclusive date ranges; overlapping seasons are all reported (names ``"|"``-joined).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import pandas as pd

__all__ = ["CUSTOM_HOLIDAY", "BusinessCalendar", "PeakSeason", "as_date"]

#: Name of a custom holiday given without a name.
CUSTOM_HOLIDAY: Final = "custom"

_WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_KEYS: Final = frozenset({"holidays", "business_days", "peak_seasons"})


def as_date(value: object) -> date:
    """``value`` (``date``, ``datetime``, ``pd.Timestamp`` or ISO string) as a ``date``.

    Raises:
        ValueError: the value is not a date.
    """
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise ValueError(f"not a date: {value!r}") from error
    if pd.isna(stamp):
        raise ValueError(f"not a date: {value!r}")
    return stamp.date()


@dataclass(frozen=True)
class PeakSeason:
    """A named peak season: every day from ``start`` to ``end`` inclusive."""

    name: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a peak season needs a name")
        if self.end < self.start:
            raise ValueError(f"peak season {self.name!r} ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class BusinessCalendar:
    """Custom holidays (date → name), business weekdays (0 = Monday; ``None`` = the country's
    non-weekend days) and peak seasons."""

    holidays: Mapping[date, str] = field(default_factory=dict)
    business_days: frozenset[int] | None = None
    peak_seasons: tuple[PeakSeason, ...] = ()

    @classmethod
    def parse(cls, spec: Mapping[str, Any] | BusinessCalendar | None) -> BusinessCalendar:
        """The business calendar described by ``spec`` (the seed's mapping shape; ``None`` = empty).

        Raises:
            ValueError: an unknown key, weekday name, malformed date or inverted peak season.
        """
        if spec is None:
            return cls()
        if isinstance(spec, BusinessCalendar):
            return spec
        unknown = sorted(set(spec) - _KEYS)
        if unknown:
            raise ValueError(f"unknown business_calendar keys {unknown}; expected some of {sorted(_KEYS)}")
        days = spec.get("business_days")
        return cls(
            holidays=_parse_holidays(spec.get("holidays", [])),
            business_days=None if days is None else frozenset(_weekday(name) for name in days),
            peak_seasons=tuple(_parse_season(season) for season in spec.get("peak_seasons", [])),
        )


def _weekday(name: object) -> int:
    text = str(name).strip().lower()
    for number, weekday in enumerate(_WEEKDAYS):
        if text in (weekday, weekday[:3]):
            return number
    raise ValueError(f"unknown business day {name!r}; expected weekday names such as 'monday'")


def _parse_holidays(spec: object) -> dict[date, str]:
    if isinstance(spec, Mapping):
        return {as_date(day): str(name or CUSTOM_HOLIDAY) for day, name in spec.items()}
    if isinstance(spec, str) or not hasattr(spec, "__iter__"):
        raise ValueError(f"business_calendar holidays must be a list of dates, got {spec!r}")
    parsed: dict[date, str] = {}
    for item in spec:
        if isinstance(item, Mapping):
            parsed[as_date(item["date"])] = str(item.get("name") or CUSTOM_HOLIDAY)
        else:
            parsed[as_date(item)] = CUSTOM_HOLIDAY
    return parsed


def _parse_season(spec: Mapping[str, Any]) -> PeakSeason:
    missing = sorted({"name", "start", "end"} - set(spec))
    if missing:
        raise ValueError(f"peak season {dict(spec)!r} lacks {missing}")
    return PeakSeason(name=str(spec["name"]), start=as_date(spec["start"]), end=as_date(spec["end"]))
