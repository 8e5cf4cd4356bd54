"""Currencies of the simulated accounts: daily FX from the ECB history, time zones, rounding to cents.

The sandbox converts with the very rates LiftOS uses (:class:`liftos.transformations.fx_rates.DailyRates`,
the ECB reference history), so a pipeline converting at the rate of each day reproduces the truth to
the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.transformations.fx_rates import DailyRates

__all__ = ["SUPPORTED_CURRENCIES", "fx_daily", "timezone_for", "to_cents"]

_TIMEZONES: Final[dict[str, tuple[str, ...]]] = {
    "USD": ("America/New_York", "America/Los_Angeles", "America/Chicago"),
    "EUR": ("Europe/Berlin", "Europe/Paris", "Europe/Amsterdam"),
    "GBP": ("Europe/London",),
    "CAD": ("America/Toronto", "America/Vancouver"),
    "AUD": ("Australia/Sydney",),
}


#: Currencies the simulated accounts may bill in (and reporting currencies the sandbox supports).
SUPPORTED_CURRENCIES: Final = frozenset(_TIMEZONES)


def fx_daily(currencies: Iterable[str], reporting: str, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Reporting units per one unit of each currency on each day: index ``days``, one column per
    currency (``reporting`` included, all 1.0), from the ECB history LiftOS converts with."""
    if reporting not in SUPPORTED_CURRENCIES:
        raise ValueError(f"unsupported reporting currency {reporting!r}")
    rates = DailyRates(reporting)
    wanted = sorted({*currencies, reporting})
    return pd.DataFrame(
        {code: [rates.rate(code, day.date()) for day in days] for code in wanted}, index=days, dtype=float
    )


def timezone_for(currency: str, index: int) -> str:
    """An IANA time zone plausible for an account billed in ``currency`` (``index`` picks among several)."""
    zones = _TIMEZONES[currency]
    return zones[index % len(zones)]


def to_cents(amount: NDArray[np.float64]) -> NDArray[np.int64]:
    """Round money amounts (any shape) to whole cents, as int64."""
    return np.rint(amount * 100.0).astype(np.int64)
