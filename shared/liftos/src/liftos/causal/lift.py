"""Lift-test (experiment) results used to calibrate the models.

A lift test says: turning channel ``channel`` off (or holding it out) during ``start..end`` (inclusive)
lost ``incremental_revenue`` (outcome units, e.g. reporting currency) with ``standard_error``, counting
the carryover after the window as the sandbox's truth does. A spend-change test keeps ``spend_scale``
of the spend in the window instead (0 = go dark, 0.5 = half): the lift is then the outcome lost by
that cut. ``test_id`` names a recorded test (the warehouse's ``lift_tests`` key) so that each effect
update can say which tests calibrated it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LiftTest", "parse_lift_tests"]


@dataclass(frozen=True)
class LiftTest:
    """One experiment: channel, inclusive window, measured lift and its standard error (> 0), the share
    of spend kept in the window (``spend_scale``, 0 = go dark) and an optional id."""

    channel: str
    start: pd.Timestamp
    end: pd.Timestamp
    incremental_revenue: float
    standard_error: float
    spend_scale: float = 0.0
    test_id: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"lift test for {self.channel!r}: end {self.end} is before start {self.start}")
        if not self.standard_error > 0 or not np.isfinite(self.incremental_revenue):
            raise ValueError(f"lift test for {self.channel!r}: standard_error must be > 0, lift finite")
        if not (np.isfinite(self.spend_scale) and self.spend_scale >= 0 and self.spend_scale != 1):
            raise ValueError(f"lift test for {self.channel!r}: spend_scale must be >= 0 and not 1")

    def window(self, dates: pd.DatetimeIndex, width_days: int) -> tuple[int, int] | None:
        """Inclusive period indices ``(first, last)`` of ``dates`` covered by the test, or None."""
        ends = dates + pd.Timedelta(days=width_days - 1)
        inside = np.flatnonzero((ends >= self.start) & (dates <= self.end))
        return (int(inside[0]), int(inside[-1])) if inside.size else None


def parse_lift_tests(tests: Sequence[Mapping[str, Any] | LiftTest] | None) -> tuple[LiftTest, ...]:
    """Lift tests from dicts ``{channel, start, end, incremental_revenue, standard_error}`` (optional
    ``spend_scale`` and ``test_id``)."""
    out = []
    for test in tests or ():
        if isinstance(test, LiftTest):
            out.append(test)
            continue
        out.append(
            LiftTest(
                channel=str(test["channel"]),
                start=pd.Timestamp(test["start"]),
                end=pd.Timestamp(test["end"]),
                incremental_revenue=float(test["incremental_revenue"]),
                standard_error=float(test["standard_error"]),
                spend_scale=float(test.get("spend_scale", 0.0)),
                test_id=str(test.get("test_id", "")),
            )
        )
    return tuple(out)
