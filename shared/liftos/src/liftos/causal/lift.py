"""Lift-test (experiment) results used to calibrate the models.

A lift test says: turning channel ``channel`` off (or holding it out) during ``start..end`` (inclusive)
lost ``incremental_revenue`` (outcome units, e.g. reporting currency) with ``standard_error``, counting
the carryover after the window as the sandbox's truth does.
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
    """One experiment: channel, inclusive window, measured lift and its standard error (> 0)."""

    channel: str
    start: pd.Timestamp
    end: pd.Timestamp
    incremental_revenue: float
    standard_error: float

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"lift test for {self.channel!r}: end {self.end} is before start {self.start}")
        if not self.standard_error > 0 or not np.isfinite(self.incremental_revenue):
            raise ValueError(f"lift test for {self.channel!r}: standard_error must be > 0, lift finite")

    def window(self, dates: pd.DatetimeIndex, width_days: int) -> tuple[int, int] | None:
        """Inclusive period indices ``(first, last)`` of ``dates`` covered by the test, or None."""
        ends = dates + pd.Timedelta(days=width_days - 1)
        inside = np.flatnonzero((ends >= self.start) & (dates <= self.end))
        return (int(inside[0]), int(inside[-1])) if inside.size else None


def parse_lift_tests(tests: Sequence[Mapping[str, Any] | LiftTest] | None) -> tuple[LiftTest, ...]:
    """Lift tests from dicts ``{channel, start, end, incremental_revenue, standard_error}``."""
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
            )
        )
    return tuple(out)
