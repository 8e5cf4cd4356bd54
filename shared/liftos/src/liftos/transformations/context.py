"""What a mapper needs to know beyond the raw record: reporting currency, FX, cost models, choices.

A :class:`MappingContext` is frozen and shared by every mapper call of a normalizer (or of one
:class:`~liftos.transformations.unify.DataTransformer`). Everything a vendor mapping must decide once
per deployment lives here, so the mapping functions stay pure:

- ``reporting_currency``: the one currency of every output amount (ISO 4217 code).
- ``fx_rates``: fixed units of the reporting currency per one unit of each source currency
  (``{"EUR": 1.08}`` with USD reporting), used on every day. The reporting currency itself is always 1.0.
- ``daily_rates``: the daily rates (:class:`~liftos.transformations.fx_rates.DailyRates`, the ECB
  history) for currencies without a fixed rate: an amount is converted at the rate of its day.
- ``email_cost_per_recipient``: the estimated cost of one email recipient in the account's currency
  (email platforms report no spend; spend = recipients x this rate, rounded to cents).
- ``purchase_action_types``: per source, the ONE action type whose count/value is read as purchases
  (platforms repeat the same purchase under several alias types; they are never summed).
- ``account_currencies``: account id -> currency, for records that do not carry their currency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Final

from liftos.errors import ConfigError, DataError
from liftos.transformations.fx_rates import DailyRates
from liftos.transformations.source_registry import source_definitions

__all__ = [
    "DEFAULT_CONTEXT",
    "EMAIL_COST_PER_RECIPIENT",
    "MappingContext",
]

#: Default estimated cost of one email recipient (account currency units per recipient).
EMAIL_COST_PER_RECIPIENT: Final = 0.01


def _frozen(mapping: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class MappingContext:
    """Deployment-wide mapping choices (see the module docstring for each field's meaning and unit)."""

    reporting_currency: str = "USD"
    fx_rates: Mapping[str, float] = field(default_factory=dict)
    email_cost_per_recipient: float = EMAIL_COST_PER_RECIPIENT
    purchase_action_types: Mapping[str, str] = field(default_factory=dict)
    account_currencies: Mapping[str, str] = field(default_factory=dict)
    daily_rates: DailyRates | None = None

    def __post_init__(self) -> None:
        code = self.reporting_currency.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ConfigError(f"reporting currency must be an ISO 4217 code, not {self.reporting_currency!r}")
        rates = {k.strip().upper(): float(v) for k, v in self.fx_rates.items()}
        bad = {k: v for k, v in rates.items() if not (math.isfinite(v) and v > 0)}
        if bad:
            raise ConfigError(f"fx rates must be finite and > 0: {bad}")
        if not (math.isfinite(self.email_cost_per_recipient) and self.email_cost_per_recipient >= 0):
            raise ConfigError("email_cost_per_recipient must be finite and >= 0")
        rates[code] = 1.0
        object.__setattr__(self, "reporting_currency", code)
        object.__setattr__(self, "fx_rates", _frozen(rates))
        object.__setattr__(self, "purchase_action_types", _frozen(self.purchase_action_types))
        object.__setattr__(self, "account_currencies", _frozen(self.account_currencies))

    def fx(self, currency: str, on: date | None = None) -> float:
        """Reporting-currency units per one ``currency`` unit: the fixed rate, else the daily rate of ``on``.

        Raises:
            DataError: no rate for ``currency`` (the record cannot be converted).
        """
        rate = self.fx_rates.get(currency)
        if rate is None:
            rate = self.fx_rates.get(currency.strip().upper())
        if rate is None and on is not None and self.daily_rates is not None:
            return self.daily_rates.rate(currency, on)
        if rate is None:
            raise DataError(f"no fx rate for {currency!r} -> {self.reporting_currency}")
        return rate

    def fx_or_none(self, currency: object, on: object = None) -> float | None:
        """:meth:`fx` for DataFrame columns: None when there is no rate (or no currency); ``on`` may be
        a date, a pandas Timestamp or missing."""
        if not isinstance(currency, str) or not currency:
            return None
        day = on.date() if isinstance(on, datetime) else on if isinstance(on, date) else None
        try:
            return self.fx(currency, day)
        except DataError:
            return None

    def missing_currencies(self, currencies: Iterable[str]) -> list[str]:
        """Currencies of ``currencies`` with neither a fixed nor a daily rate (a configuration error)."""
        known = set(self.fx_rates)
        return sorted(
            code
            for code in {c.strip().upper() for c in currencies}
            if code not in known and (self.daily_rates is None or not self.daily_rates.knows(code))
        )

    def currency_of(self, account_id: str, reported: object = None) -> str:
        """The account's currency: as reported by the record, else the lookup, else reporting."""
        if isinstance(reported, str) and reported:
            return reported.strip().upper()
        return self.account_currencies.get(account_id, self.reporting_currency)

    def purchase_type(self, source: str) -> str | None:
        """The canonical purchase action type of ``source`` (configured, else the source's default)."""
        configured = self.purchase_action_types.get(source)
        if configured:
            return configured
        known = source_definitions().get(source)
        return known.purchase_action_type if known is not None else None


#: The context used when none is given: USD reporting, no foreign rates, default cost and types.
DEFAULT_CONTEXT: Final = MappingContext()
