"""Built-in retail events: shopping days that are not (always) public holidays, each with a fixed rule.

Every event has a deterministic date rule; events without one (e.g. Amazon Prime Day, announced each
year by Amazon) are deliberately left out. Each event is switched on by default only in the countries
where it is a standard retail moment (``countries``; ``None`` = everywhere); asking for it by name
applies its rule in any country.

- ``valentines_day``: 14 February. Default: everywhere.
- ``super_bowl_sunday``: 1st Sunday of February 2004–2021, 2nd Sunday since 2022 (the NFL's 17-game
  season); no date before 2004. Default: US.
- ``mothers_day``: 2nd Sunday of May; in GB and IE Mothering Sunday (Easter Sunday − 21 days).
  Default: US, CA, AU, NZ, DE, AT, CH, IT, NL, BE, DK, FI, JP, GB, IE.
- ``fathers_day``: 3rd Sunday of June; in AU and NZ the 1st Sunday of September.
  Default: US, CA, GB, IE, FR, NL, JP, IN, ZA, SG, MY, AU, NZ.
- ``halloween``: 31 October. Default: US, CA, GB, IE, AU, NZ.
- ``singles_day``: 11 November. Default: CN, HK, TW, SG, MY, KR.
- ``black_friday``: the day after US Thanksgiving (4th Thursday of November). Default: everywhere
  (retailers worldwide follow the US date).
- ``cyber_monday``: the Monday after Black Friday (US Thanksgiving + 4 days). Default: everywhere.
- ``christmas_eve``: 24 December. Default: everywhere.
- ``boxing_day``: 26 December. Default: GB, IE, CA, AU, NZ.
- ``new_years_eve``: 31 December. Default: everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

__all__ = [
    "RETAIL_EVENTS",
    "RetailEvent",
    "nth_weekday",
    "resolve_retail_events",
    "retail_event_dates",
    "us_thanksgiving",
    "western_easter",
]

_SUNDAY: Final = 6
_THURSDAY: Final = 3


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th (1-based) ``weekday`` (0 = Monday) of ``month`` in ``year``."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7, weeks=n - 1)


def western_easter(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    correction = (century - (century + 8) // 25 + 1) // 3
    epact = (19 * golden + century - leap_centuries - correction + 15) % 30
    quarters, quarter_rest = divmod(year_of_century, 4)
    weekday_offset = (32 + 2 * century_rest + 2 * quarters - epact - quarter_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday_offset) // 451
    month, day = divmod(epact + weekday_offset - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def us_thanksgiving(year: int) -> date:
    """US Thanksgiving: the fourth Thursday of November."""
    return nth_weekday(year, 11, _THURSDAY, 4)


def _fixed(month: int, day: int) -> Callable[[int, str], date | None]:
    return lambda year, _country: date(year, month, day)


def _super_bowl(year: int, _country: str) -> date | None:
    if year < 2004:
        return None
    return nth_weekday(year, 2, _SUNDAY, 1 if year <= 2021 else 2)


def _mothers_day(year: int, country: str) -> date:
    if country in {"GB", "IE"}:
        return western_easter(year) - timedelta(days=21)
    return nth_weekday(year, 5, _SUNDAY, 2)


def _fathers_day(year: int, country: str) -> date:
    if country in {"AU", "NZ"}:
        return nth_weekday(year, 9, _SUNDAY, 1)
    return nth_weekday(year, 6, _SUNDAY, 3)


@dataclass(frozen=True)
class RetailEvent:
    """One retail event: its name, date rule ``(year, country) → date | None`` and default countries."""

    name: str
    rule: Callable[[int, str], date | None]
    countries: frozenset[str] | None = None

    def applies_by_default(self, country: str) -> bool:
        """Whether the event is on when retail events are switched on without naming them."""
        return self.countries is None or country in self.countries


_ANGLO: Final = frozenset({"US", "CA", "GB", "IE", "AU", "NZ"})
_MAY_MOTHERS: Final = frozenset({"US", "CA", "AU", "NZ", "DE", "AT", "CH", "IT", "NL", "BE", "DK", "FI"})
_JUNE_FATHERS: Final = frozenset({"US", "CA", "GB", "IE", "FR", "NL", "JP", "IN", "ZA", "SG", "MY"})

RETAIL_EVENTS: Final[Mapping[str, RetailEvent]] = {
    event.name: event
    for event in (
        RetailEvent("valentines_day", _fixed(2, 14)),
        RetailEvent("super_bowl_sunday", _super_bowl, frozenset({"US"})),
        RetailEvent("mothers_day", _mothers_day, _MAY_MOTHERS | {"GB", "IE", "JP"}),
        RetailEvent("fathers_day", _fathers_day, _JUNE_FATHERS | {"AU", "NZ"}),
        RetailEvent("halloween", _fixed(10, 31), _ANGLO),
        RetailEvent("singles_day", _fixed(11, 11), frozenset({"CN", "HK", "TW", "SG", "MY", "KR"})),
        RetailEvent("black_friday", lambda year, _country: us_thanksgiving(year) + timedelta(days=1)),
        RetailEvent("cyber_monday", lambda year, _country: us_thanksgiving(year) + timedelta(days=4)),
        RetailEvent("christmas_eve", _fixed(12, 24)),
        RetailEvent("boxing_day", _fixed(12, 26), frozenset({"GB", "IE", "CA", "AU", "NZ"})),
        RetailEvent("new_years_eve", _fixed(12, 31)),
    )
}


def resolve_retail_events(selection: bool | Sequence[str], country: str) -> tuple[str, ...]:
    """Event names for ``selection``: ``True`` = the country's defaults, ``False`` = none, or a list.

    Raises:
        ValueError: a listed name is not a built-in event.
    """
    if selection is True:
        return tuple(name for name, event in RETAIL_EVENTS.items() if event.applies_by_default(country))
    if selection is False:
        return ()
    unknown = sorted(set(selection) - set(RETAIL_EVENTS))
    if unknown:
        raise ValueError(f"unknown retail events {unknown}; built-in events: {sorted(RETAIL_EVENTS)}")
    return tuple(dict.fromkeys(selection))


def retail_event_dates(names: Iterable[str], country: str, years: Iterable[int]) -> dict[str, list[date]]:
    """Dates of each named event in each of ``years`` for ``country`` (events a year lacks are skipped)."""
    years = list(years)
    dates: dict[str, list[date]] = {}
    for name in names:
        rule = RETAIL_EVENTS[name].rule
        dates[name] = [day for day in (rule(year, country) for year in years) if day is not None]
    return dates
