"""The ingestor refuses a source whose accounts bill in an unconvertible currency, before any record."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from liftos.errors import ConfigError
from liftos.integrations.source_check import AccountInfo
from liftos.transformations.fx_rates import DailyRates
from liftos_ingestor.polling import check_currencies


class _Connector:
    source = "meta"

    def __init__(self, *accounts: AccountInfo) -> None:
        self._accounts = list(accounts)

    async def account_details(self) -> list[AccountInfo]:
        return self._accounts


def _check(connector: Any, rates: DailyRates) -> None:
    asyncio.run(check_currencies(connector, rates))


def test_every_currency_with_a_rate_passes() -> None:
    _check(
        _Connector(AccountInfo("act_1", currency="USD"), AccountInfo("act_2", currency="GBP")),
        DailyRates("USD"),
    )


def test_a_currency_without_any_rate_is_a_configuration_error_naming_the_account() -> None:
    connector = _Connector(AccountInfo("act_1", currency="USD"), AccountInfo("act_3", currency="XOF"))
    with pytest.raises(
        ConfigError, match=r"meta: no fx rate to USD for act_3 \(XOF\); add it under \[fx.rates\]"
    ):
        _check(connector, DailyRates("USD"))
    _check(connector, DailyRates("USD", {"XOF": 0.0017}))  # an override makes it convertible
