"""The business calendar's clock: which day is "today", and when each day began (wall time).

Production runs on the real clock (UTC days). A replay or the live sandbox runs an accelerated
calendar: ``days_per_minute`` simulated days per wall-clock minute from ``origin_day`` at wall time
``origin_unix``, stopping at ``last_day``. Before ``origin_unix`` it stands at the end of the day before
``origin_day`` (a history is served complete, then the clock starts). Every process given the same
:class:`ClockSettings` (``LIFTOS_CLOCK__…``) agrees on today without talking to the others: the
emulators serve up to it, the ingestor reads up to it, the causal engine measures effect freshness
against it.

Pure: no I/O; wall time is passed in (``unix`` seconds) or read from :func:`time.time`.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["SECONDS_PER_DAY", "ClockSettings", "day_start_unix"]

SECONDS_PER_DAY = 86_400.0


def day_start_unix(day: date) -> float:
    """Unix seconds of ``day``'s midnight (UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


class ClockSettings(BaseModel):
    """The calendar clock (``LIFTOS_CLOCK__ORIGIN_DAY``, ``…__ORIGIN_UNIX``, ``…__DAYS_PER_MINUTE``,
    ``…__LAST_DAY``).

    Attributes:
        origin_day: Simulated day that begins at ``origin_unix``; None = the real clock (UTC days).
        origin_unix: Wall time (unix seconds) at which ``origin_day`` begins.
        days_per_minute: Simulated days per wall-clock minute (accelerated clock only).
        last_day: The accelerated clock stops at the end of this day (None: runs on).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    origin_day: date | None = None
    origin_unix: float = 0.0
    days_per_minute: float = Field(default=1.0, gt=0, le=10_000)
    last_day: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.origin_day is not None and self.last_day is not None and self.last_day < self.origin_day:
            raise ValueError(f"clock last_day {self.last_day} is before origin_day {self.origin_day}")
        return self

    @property
    def accelerated(self) -> bool:
        """Whether this is a simulated (accelerated) calendar rather than the real one."""
        return self.origin_day is not None

    @property
    def seconds_per_day(self) -> float:
        """Wall seconds one day lasts (86 400 on the real clock)."""
        return 60.0 / self.days_per_minute if self.accelerated else SECONDS_PER_DAY

    def position(self, unix: float | None = None) -> float:
        """Days elapsed since ``origin_day`` began at wall time ``unix`` (fractional; negative before
        ``origin_unix``; never past the end of ``last_day``). Real clock: days since 1970-01-01 (UTC)."""
        now = time.time() if unix is None else unix
        if self.origin_day is None:
            return now / SECONDS_PER_DAY
        days = (now - self.origin_unix) / self.seconds_per_day
        if self.last_day is not None:
            days = min(days, (self.last_day - self.origin_day).days + 1.0)
        return days

    def today(self, unix: float | None = None) -> date:
        """The calendar's current day at wall time ``unix`` (the day before ``origin_day`` until the
        clock starts, the last day once it stopped)."""
        position = self.position(unix)
        base = self.origin_day or date(1970, 1, 1)
        if position < 0:
            return base - timedelta(days=1)
        day = base + timedelta(days=math.floor(position))
        return min(day, self.last_day) if self.last_day is not None else day

    def day_elapsed(self, unix: float | None = None) -> float:
        """Share of today already elapsed, in ``[0, 1]`` (1 before the clock started and once it
        stopped: the day it stands at is over)."""
        position = self.position(unix)
        base = self.origin_day or date(1970, 1, 1)
        if position < 0 or (self.last_day is not None and position >= (self.last_day - base).days + 1.0):
            return 1.0
        return position - math.floor(position)

    def last_complete_day(self, unix: float | None = None) -> date:
        """The latest day that is over at wall time ``unix``: yesterday while today is still running
        (its orders and conversions are still coming in), today once the accelerated clock stopped."""
        today = self.today(unix)
        return today if self.day_elapsed(unix) >= 1.0 else today - timedelta(days=1)

    def began_at(self, day: date) -> float:
        """Wall time (unix seconds) at which the calendar entered ``day`` (may be in the future, or
        before ``origin_unix`` for days before the origin)."""
        if self.origin_day is None:
            return day_start_unix(day)
        return self.origin_unix + (day - self.origin_day).days * self.seconds_per_day

    def stopped(self, unix: float | None = None) -> bool:
        """Whether an accelerated clock has run past the end of ``last_day``."""
        if self.origin_day is None or self.last_day is None:
            return False
        return self.position(unix) >= (self.last_day - self.origin_day).days + 1.0
