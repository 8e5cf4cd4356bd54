"""Daily FX from the ECB history: the rate of each amount's own day, overrides, missing currencies."""

from __future__ import annotations

from datetime import date

import pytest

from liftos.errors import ConfigError, DataError
from liftos.transformations.context import MappingContext
from liftos.transformations.fx_rates import DailyRates
from liftos_sandbox.currency import fx_daily

FRIDAY, SATURDAY, MONDAY = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 4)


def test_rates_change_by_day_and_weekends_take_the_last_fixing() -> None:
    rates = DailyRates("USD")
    assert rates.rate("USD", FRIDAY) == 1.0
    assert rates.rate("GBP", SATURDAY) == rates.rate("GBP", FRIDAY)
    assert rates.rate("GBP", MONDAY) != rates.rate("GBP", FRIDAY)
    assert 1.1 < rates.rate("GBP", FRIDAY) < 1.4  # USD per GBP, March 2024
    eur_usd = rates.rate("EUR", FRIDAY)
    assert DailyRates("EUR").rate("USD", FRIDAY) == pytest.approx(1 / eur_usd)


def test_overrides_win_and_convert_what_the_ecb_does_not_publish() -> None:
    rates = DailyRates("USD", {"aed": 0.2723, "GBP": 1.25})
    assert rates.rate("AED", FRIDAY) == 0.2723
    assert rates.rate("GBP", MONDAY) == 1.25
    assert rates.missing(["USD", "AED", "XOF", "gbp"]) == ["XOF"]
    with pytest.raises(DataError, match="no fx rate for 'XOF'"):
        rates.rate("XOF", FRIDAY)
    with pytest.raises(ConfigError, match="finite and > 0"):
        DailyRates("USD", {"AED": 0.0})


def test_the_mapping_context_converts_at_the_rate_of_the_day() -> None:
    context = MappingContext(reporting_currency="USD", daily_rates=DailyRates("USD"))
    assert context.fx("GBP", MONDAY) == DailyRates("USD").rate("GBP", MONDAY)
    assert context.missing_currencies(["GBP", "XOF"]) == ["XOF"]
    with pytest.raises(DataError):
        context.fx("GBP")  # no day, no fixed rate


def test_the_sandbox_draws_its_fx_path_from_the_same_rates() -> None:
    import pandas as pd

    days = pd.date_range("2024-02-26", "2024-03-10")
    path = fx_daily(["GBP", "EUR"], "USD", days)
    rates = DailyRates("USD")
    assert (path["USD"] == 1.0).all()
    assert path["GBP"].tolist() == [rates.rate("GBP", d.date()) for d in days]
    assert path["EUR"].nunique() > 1  # not a fixed rate
