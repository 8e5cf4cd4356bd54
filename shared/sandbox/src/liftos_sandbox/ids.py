"""Realistic-looking identifiers for the simulated platforms (Meta numeric ids, Google customer ids,
Klaviyo ULIDs and 6-character ids), drawn from a numpy ``Generator``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

import numpy as np

__all__ = [
    "ALNUM",
    "CROCKFORD",
    "HEX",
    "numeric_ids",
    "random_strings",
    "ulids",
]

ALNUM: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX: Final = "0123456789abcdef"
CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def numeric_ids(rng: np.random.Generator, n: int, digits: int, prefix: str = "") -> list[str]:
    """``n`` distinct, increasing decimal ids of exactly ``digits`` digits after ``prefix``."""
    width = digits - len(prefix)
    low, high = 10 ** (width - 1), 10**width
    step_max = max(2, (high - low) // (4 * max(n, 1)))
    first = int(rng.integers(low, low + (high - low) // 2))
    steps = rng.integers(1, step_max, size=n).astype(np.int64)
    values = first + np.concatenate([[0], np.cumsum(steps[1:])])
    return [f"{prefix}{int(v)}" for v in values]


def random_strings(rng: np.random.Generator, n: int, length: int, alphabet: str = ALNUM) -> list[str]:
    """``n`` random strings of ``length`` characters from ``alphabet`` (not guaranteed distinct)."""
    letters = np.array(list(alphabet))
    picks = letters[rng.integers(0, len(alphabet), size=(n, length))]
    return ["".join(row) for row in picks]


def _crockford(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD[digit])
    return "".join(reversed(chars))


def ulids(rng: np.random.Generator, created: list[date]) -> list[str]:
    """One 26-character ULID per creation date (timestamp part from the date, 80 random bits)."""
    out = []
    for day in created:
        stamp = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        millis = int(stamp.timestamp() * 1000) + int(rng.integers(0, 3_600_000))
        randomness = int.from_bytes(rng.bytes(10), "big")
        out.append(_crockford(millis, 10) + _crockford(randomness, 16))
    return out
