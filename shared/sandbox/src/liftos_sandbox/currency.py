"""Currencies of the simulated accounts: a fixed FX table, time zones, and rounding to cents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["USD_PER_UNIT", "fx_to_reporting", "timezone_for", "to_cents"]

# US dollars per one unit of each currency; fixed over the simulated window.
USD_PER_UNIT: Final[dict[str, float]] = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "CAD": 0.74,
    "AUD": 0.66,
}

_TIMEZONES: Final[dict[str, tuple[str, ...]]] = {
    "USD": ("America/New_York", "America/Los_Angeles", "America/Chicago"),
    "EUR": ("Europe/Berlin", "Europe/Paris", "Europe/Amsterdam"),
    "GBP": ("Europe/London",),
    "CAD": ("America/Toronto", "America/Vancouver"),
    "AUD": ("Australia/Sydney",),
}


def fx_to_reporting(currencies: Iterable[str], reporting: str) -> dict[str, float]:
    """Rate that converts one unit of each currency into ``reporting`` (reporting itself maps to 1.0)."""
    if reporting not in USD_PER_UNIT:
        raise ValueError(f"unsupported reporting currency {reporting!r}")
    wanted = sorted({*currencies, reporting})
    return {code: USD_PER_UNIT[code] / USD_PER_UNIT[reporting] for code in wanted}


def timezone_for(currency: str, index: int) -> str:
    """An IANA time zone plausible for an account billed in ``currency`` (``index`` picks among several)."""
    zones = _TIMEZONES[currency]
    return zones[index % len(zones)]


def to_cents(amount: NDArray[np.float64]) -> NDArray[np.int64]:
    """Round money amounts (any shape) to whole cents, as int64."""
    return np.rint(amount * 100.0).astype(np.int64)
