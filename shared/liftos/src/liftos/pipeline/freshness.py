"""Effect freshness: how long after a day began its data first shaped a published effect.

For every day a new model version's window adds (after the previous version's window end, up to this
one's), freshness = the version's publication time - the time the business clock entered the day,
which is when the platforms start serving it (:meth:`liftos.clock.ClockSettings.began_at`). The causal
engine fits only days that are over (:meth:`liftos.clock.ClockSettings.last_complete_day`), so a day's
freshness is at least the day's own length on the clock. Pure.
"""

from __future__ import annotations

from datetime import date, timedelta

from liftos.clock import ClockSettings

__all__ = ["new_day_freshness"]


def new_day_freshness(
    previous_end: date | None, window_end: date, published_unix: float, clock: ClockSettings
) -> dict[date, float]:
    """Seconds from each new day's start to ``published_unix``, for the days after ``previous_end``
    up to ``window_end`` (none when there is no previous version: its history is not new)."""
    if previous_end is None or window_end <= previous_end:
        return {}
    days = (window_end - previous_end).days
    new = (previous_end + timedelta(days=k) for k in range(1, days + 1))
    return {day: max(published_unix - clock.began_at(day), 0.0) for day in new}
