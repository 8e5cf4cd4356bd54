"""Deterministic fault injection: for a seed, the n-th request to a path always meets the same fate.

A fault fires with probability ``rate`` per request, decided by a hash of (seed, platform, request
counter, path); its kind is drawn from the platform's own mix, roughly what each platform shows in
production (Meta: mostly throttles and transient code-2 errors; Google: quota and UNAVAILABLE;
Klaviyo: 429s). No fault ever fires on the OAuth token endpoint, and at most
``max_consecutive`` faults in a row hit the same path, so a retrying client always progresses.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

__all__ = ["PLATFORM_MIX", "FaultInjector", "FaultKind"]


class FaultKind(enum.Enum):
    """What goes wrong with one response."""

    THROTTLE = "throttle"  # platform throttle response (Meta 400/#80000, Google 429, Klaviyo 429)
    SERVER_ERROR = "server_error"  # 5xx in the platform's error envelope
    TIMEOUT = "timeout"  # the response is delayed beyond a client timeout (bounded)
    TRUNCATED = "truncated"  # connection drops mid-body (Content-Length not met)
    MALFORMED = "malformed"  # 200 with a body that is not valid JSON
    TOKEN_EXPIRY = "token_expiry"  # the access token is reported expired


PLATFORM_MIX: dict[str, tuple[tuple[FaultKind, float], ...]] = {
    "meta": (
        (FaultKind.THROTTLE, 0.45),
        (FaultKind.SERVER_ERROR, 0.22),
        (FaultKind.TIMEOUT, 0.1),
        (FaultKind.TRUNCATED, 0.08),
        (FaultKind.MALFORMED, 0.05),
        (FaultKind.TOKEN_EXPIRY, 0.1),
    ),
    "google_ads": (
        (FaultKind.THROTTLE, 0.3),
        (FaultKind.SERVER_ERROR, 0.3),
        (FaultKind.TIMEOUT, 0.12),
        (FaultKind.TRUNCATED, 0.13),
        (FaultKind.MALFORMED, 0.03),
        (FaultKind.TOKEN_EXPIRY, 0.12),
    ),
    "klaviyo": (
        (FaultKind.THROTTLE, 0.6),
        (FaultKind.SERVER_ERROR, 0.22),
        (FaultKind.TIMEOUT, 0.1),
        (FaultKind.TRUNCATED, 0.05),
        (FaultKind.MALFORMED, 0.03),
    ),
}


def _unit(*parts: object) -> float:
    """A uniform number in [0, 1) from a stable hash of ``parts``."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / float(1 << 64)


def _pick(mix: tuple[tuple[FaultKind, float], ...], u: float) -> FaultKind:
    """The kind whose cumulative share covers ``u``."""
    total = sum(weight for _, weight in mix)
    acc = 0.0
    for kind, weight in mix:
        acc += weight / total
        if u < acc:
            return kind
    return mix[-1][0]


@dataclass
class FaultInjector:
    """Decides, per request, whether and how it fails; deterministic for (seed, request order)."""

    seed: int
    rate: float = 0.0
    max_consecutive: int = 3
    _counters: dict[str, int] = field(default_factory=dict)
    _streaks: dict[str, int] = field(default_factory=dict)

    def decide(self, platform: str, path: str) -> FaultKind | None:
        """The fault for the next request to ``path`` on ``platform`` (None: serve normally)."""
        count = self._counters.get(platform, 0)
        self._counters[platform] = count + 1
        if self.rate <= 0 or platform not in PLATFORM_MIX:
            return None
        fault = None
        if _unit(self.seed, platform, count, path) < self.rate:
            fault = _pick(PLATFORM_MIX[platform], _unit(self.seed, platform, count, path, "kind"))
        streak = self._streaks.get(path, 0)
        if fault is not None and streak >= self.max_consecutive:
            fault = None
        self._streaks[path] = streak + 1 if fault is not None else 0
        return fault
