"""The live sandbox: a world whose "today" moves with an accelerated clock.

The world is simulated once up to its last day (``spec.end``); the clock
(:class:`liftos.clock.ClockSettings`) decides which day is today. :class:`LiveWorld` serves the world
as its platforms report it at that moment: every day up to today, Meta and Google values of recent
days restated as late conversions mature (``platform_reporting.RESTATEMENT_DAYS``), and today's store
orders only as far as the day has gone (complete once it is over). ``truth(start, end)`` answers for
any window that has begun, and ``served_totals`` says what the emulators served for it so far.

Pure apart from reading the wall clock: the emulators' server (:mod:`liftos_sandbox.emulators.server`)
asks :meth:`LiveWorld.snapshot` before every request and reloads when it changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import pandas as pd

from liftos.clock import ClockSettings
from liftos_sandbox.emulators.source import ServedWorld, serve_world
from liftos_sandbox.world import World

__all__ = ["SNAPSHOTS_PER_DAY", "LiveWorld", "live_clock"]

#: How finely today's partial store outcome moves: a new snapshot every 1/``SNAPSHOTS_PER_DAY`` day.
SNAPSHOTS_PER_DAY: Final = 24


def live_clock(
    today: date, last_day: date, days_per_minute: float, origin_unix: float | None = None
) -> ClockSettings:
    """A clock entering ``today`` at ``origin_unix`` (default: now), running ``days_per_minute``
    simulated days per wall minute, and stopping at the end of ``last_day``."""
    return ClockSettings(
        origin_day=today,
        origin_unix=time.time() if origin_unix is None else origin_unix,
        days_per_minute=days_per_minute,
        last_day=last_day,
    )


@dataclass
class LiveWorld:
    """``world`` served on ``clock`` (``clock.last_day`` must not pass ``world.spec.end``)."""

    world: World
    clock: ClockSettings
    _key: tuple[date, int] | None = field(default=None, init=False)
    _served: ServedWorld | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not self.clock.accelerated or self.clock.origin_day is None:
            raise ValueError("a live world needs an accelerated clock (origin_day set)")
        spec = self.world.spec
        if not spec.start < self.clock.origin_day <= spec.end:
            raise ValueError(
                f"live today {self.clock.origin_day} is outside the world {spec.start}..{spec.end}"
            )
        if self.clock.last_day is None or self.clock.last_day > spec.end:
            raise ValueError(f"the live clock must stop by the world's last day {spec.end}")

    def today(self, unix: float | None = None) -> date:
        """The emulators' today at wall time ``unix`` (default now)."""
        return self.clock.today(unix)

    def snapshot(self, unix: float | None = None) -> tuple[ServedWorld, bool]:
        """What the platforms serve at ``unix`` (default now), and whether it changed since the last
        call (a new day, restated values, more of today's orders)."""
        now = time.time() if unix is None else unix
        today = self.clock.today(now)
        step = min(int(self.clock.day_elapsed(now) * SNAPSHOTS_PER_DAY), SNAPSHOTS_PER_DAY)
        key = (today, step)
        if self._served is not None and key == self._key:
            return self._served, False
        self._served = serve_world(self.world, today, step / SNAPSHOTS_PER_DAY)
        self._key = key
        return self._served, True

    def first_served(self, day: date) -> float | None:
        """Wall time (unix s) at which the clock entered ``day`` (it is served from then on); None for
        the history served from the outset (days before ``origin_day``)."""
        origin = self.clock.origin_day
        assert origin is not None
        return None if day < origin else self.clock.began_at(day)

    def truth(
        self, start: date | None = None, end: date | None = None, unix: float | None = None
    ) -> dict[str, Any]:
        """``liftos sandbox truth`` for ``start..end`` (default: the world's first day to today),
        which must have begun by ``unix``; adds ``as_of`` (today) and ``served`` (:meth:`served_totals`)."""
        today = self.today(unix)
        first, last = start or self.world.spec.start, end or today
        if last > today:
            raise ValueError(f"{last} has not begun yet: the sandbox's today is {today}")
        result = self.world.truth(first, last)
        served, _ = self.snapshot(unix)
        return {**result, "as_of": today.isoformat(), "served": served_totals(served, first, last)}

    def clock_state(self, unix: float | None = None) -> dict[str, Any]:
        """The clock as JSON: today, share of it elapsed, the schedule and whether it stopped."""
        now = time.time() if unix is None else unix
        clock = self.clock
        return {
            "today": clock.today(now).isoformat(),
            "day_elapsed": round(clock.day_elapsed(now), 6),
            "days_per_minute": clock.days_per_minute,
            "origin_day": str(clock.origin_day),
            "origin_unix": clock.origin_unix,
            "last_day": str(clock.last_day),
            "stopped": clock.stopped(now),
            "first_day": self.world.spec.start.isoformat(),
        }

    def days_until_stop(self, unix: float | None = None) -> int:
        """Days the clock still has to enter before it stops."""
        assert self.clock.last_day is not None
        return (self.clock.last_day - self.today(unix)).days


def served_totals(served: ServedWorld, start: date, end: date) -> dict[str, Any]:
    """Per channel (spend, platform conversion value; account currencies summed as served) and the store
    outcome (revenue, orders) that ``served`` holds for ``start..end``, and the days it covers."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    channels: dict[str, dict[str, float]] = {}
    for channel, frame in served.daily.items():
        rows = frame[(frame["date"] >= lo) & (frame["date"] <= hi)]
        channels[channel] = {
            "spend_cents": int(rows["spend_cents"].sum()),
            "platform_revenue_cents": int(rows["revenue_cents"].sum()),
            "rows": len(rows),
        }
    outcome = served.outcome[(served.outcome["date"] >= lo) & (served.outcome["date"] <= hi)]
    return {
        "channels": channels,
        "outcome": {
            "revenue": round(float(outcome["revenue"].sum()), 2),
            "orders": int(outcome["orders"].sum()),
        },
        "days": int(outcome["date"].nunique()),
        "last_day": (served.today if len(outcome) else start - timedelta(days=1)).isoformat(),
    }
