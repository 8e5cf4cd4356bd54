"""The business clock: real UTC days, and an accelerated calendar that waits, runs and stops."""

from __future__ import annotations

from datetime import date

import pytest

from liftos.clock import ClockSettings, day_start_unix
from liftos.settings import ServiceSettings

ORIGIN = 1_000_000.0
CLOCK = ClockSettings(
    origin_day=date(2025, 3, 1), origin_unix=ORIGIN, days_per_minute=30, last_day=date(2025, 3, 10)
)


def test_real_clock_is_utc_days() -> None:
    clock = ClockSettings()
    noon = day_start_unix(date(2025, 6, 1)) + 12 * 3600
    assert not clock.accelerated
    assert clock.today(noon) == date(2025, 6, 1)
    assert clock.day_elapsed(noon) == pytest.approx(0.5)
    assert clock.began_at(date(2025, 6, 1)) == day_start_unix(date(2025, 6, 1))
    assert clock.seconds_per_day == 86_400


def test_accelerated_clock_waits_at_the_end_of_the_day_before() -> None:
    assert CLOCK.today(ORIGIN - 5) == date(2025, 2, 28)
    assert CLOCK.day_elapsed(ORIGIN - 5) == 1.0


def test_accelerated_clock_runs_days_per_minute() -> None:
    assert CLOCK.seconds_per_day == 2.0
    assert CLOCK.today(ORIGIN) == date(2025, 3, 1)
    assert CLOCK.today(ORIGIN + 1.0) == date(2025, 3, 1)
    assert CLOCK.day_elapsed(ORIGIN + 1.0) == pytest.approx(0.5)
    assert CLOCK.today(ORIGIN + 2.0) == date(2025, 3, 2)
    assert CLOCK.began_at(date(2025, 3, 4)) == ORIGIN + 6.0
    assert CLOCK.today(CLOCK.began_at(date(2025, 3, 4))) == date(2025, 3, 4)


def test_accelerated_clock_stops_after_its_last_day() -> None:
    end = CLOCK.began_at(date(2025, 3, 10))
    assert not CLOCK.stopped(end + 1.9)
    assert CLOCK.today(end + 50) == date(2025, 3, 10)
    assert CLOCK.day_elapsed(end + 50) == 1.0
    assert CLOCK.stopped(end + 2.0)


def test_clock_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFTOS_CLOCK__ORIGIN_DAY", "2025-03-01")
    monkeypatch.setenv("LIFTOS_CLOCK__ORIGIN_UNIX", str(ORIGIN))
    monkeypatch.setenv("LIFTOS_CLOCK__DAYS_PER_MINUTE", "30")
    monkeypatch.setenv("LIFTOS_CLOCK__LAST_DAY", "2025-03-10")
    assert ServiceSettings().clock == CLOCK


def test_clock_refuses_a_last_day_before_its_origin() -> None:
    with pytest.raises(ValueError, match="before origin_day"):
        ClockSettings(origin_day=date(2025, 3, 1), last_day=date(2025, 2, 1))


def test_the_last_complete_day_is_yesterday_until_today_is_over() -> None:
    noon = day_start_unix(date(2025, 6, 1)) + 12 * 3600
    assert ClockSettings().last_complete_day(noon) == date(2025, 5, 31)
    assert CLOCK.last_complete_day(ORIGIN - 5) == date(2025, 2, 28)  # waiting: the day before is over
    assert CLOCK.last_complete_day(ORIGIN + 1.0) == date(2025, 2, 28)  # 1 March is running (2 s a day)
    assert CLOCK.last_complete_day(ORIGIN + 4.5) == date(2025, 3, 2)
    assert CLOCK.last_complete_day(ORIGIN + 10_000) == date(2025, 3, 10)  # stopped: its last day is over
