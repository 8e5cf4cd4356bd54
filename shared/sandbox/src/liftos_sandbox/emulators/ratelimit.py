"""Fixed-window rate limiters (the scheme Klaviyo documents; used for Meta and Google budgets too)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Clock", "EmulatedClock", "FixedWindowLimiter", "Window"]

Clock = Callable[[], float]


@dataclass(frozen=True)
class Window:
    """At most ``limit`` calls per ``seconds``-long fixed window."""

    limit: int
    seconds: float


@dataclass
class FixedWindowLimiter:
    """Counts calls per key in fixed windows; `hit` returns seconds to wait, or None when allowed."""

    windows: tuple[Window, ...]
    clock: Clock = time.monotonic
    _counts: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def _slot(self, index: int, now: float) -> int:
        return int(now // self.windows[index].seconds)

    def hit(self, key: str) -> float | None:
        """Count one call for ``key``; return the Retry-After in seconds if any window is exhausted."""
        now = self.clock()
        for index, window in enumerate(self.windows):
            slot = self._slot(index, now)
            if self._counts.get((key, index, slot), 0) >= window.limit:
                return math.ceil((slot + 1) * window.seconds - now) or 1.0
        for index in range(len(self.windows)):
            slot_key = (key, index, self._slot(index, now))
            self._counts[slot_key] = self._counts.get(slot_key, 0) + 1
        return None

    def usage(self, key: str) -> float:
        """Highest utilisation over the windows for ``key``, in percent (0-100)."""
        now = self.clock()
        pct = 0.0
        for index, window in enumerate(self.windows):
            used = self._counts.get((key, index, self._slot(index, now)), 0)
            pct = max(pct, 100.0 * used / window.limit)
        return min(pct, 100.0)

    def remaining(self, key: str) -> tuple[int, float]:
        """(calls left, seconds to reset) for the tightest window of ``key``."""
        now = self.clock()
        best: tuple[int, float] = (1 << 30, 0.0)
        for index, window in enumerate(self.windows):
            slot = self._slot(index, now)
            left = window.limit - self._counts.get((key, index, slot), 0)
            if left < best[0]:
                best = (max(left, 0), (slot + 1) * window.seconds - now)
        return best


class EmulatedClock:
    """A clock for an emulator whose limits should be honoured without waiting: the client's waits
    (``sleep``, given as its retry policy's sleep) advance it, the emulator's limiters read it."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.start = self.now = start

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` (no real time passes)."""
        self.now += seconds

    @property
    def elapsed(self) -> float:
        """Emulated seconds since creation."""
        return self.now - self.start
