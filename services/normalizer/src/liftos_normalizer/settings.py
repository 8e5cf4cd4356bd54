"""Settings of the normalizer service (``LIFTOS_`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from liftos.settings import CurrencySettings
from liftos.transformations.context import EMAIL_COST_PER_RECIPIENT, MappingContext

__all__ = ["NormalizerSettings"]


class NormalizerSettings(CurrencySettings):
    """Normalizer settings.

    Attributes:
        app_id: Faust app id (the process's identity; faust's own group).
        consumer_group: Consumer group whose committed offsets track the raw topic.
        batch_size: Most raw messages mapped and published as one batch.
        batch_window_s: Longest wait (seconds) for a batch to fill before it is processed anyway.
        reporting_currency, fx_source, fx_rates: see :class:`~liftos.settings.CurrencySettings`;
            amounts are converted at the ECB rate of their day unless a fixed rate is given.
        email_cost_per_recipient: Estimated email cost per recipient (account currency units).
        purchase_action_types: Canonical purchase action type per source, as JSON
            (``LIFTOS_PURCHASE_ACTION_TYPES='{"meta": "omni_purchase"}'``); unset sources use the
            connector's documented default.
        account_currencies: Account id -> currency, as JSON, for sources whose records carry none.
    """

    app_id: str = "liftos-normalizer"
    consumer_group: str = "liftos.normalizer"
    batch_size: int = Field(default=2_000, ge=1)
    batch_window_s: float = Field(default=0.25, gt=0)
    email_cost_per_recipient: float = Field(default=EMAIL_COST_PER_RECIPIENT, ge=0)
    purchase_action_types: dict[str, str] = Field(default_factory=dict)
    account_currencies: dict[str, str] = Field(default_factory=dict)

    def mapping_context(self) -> MappingContext:
        """The mapping context these settings describe (raises ConfigError on a bad rate or code)."""
        return MappingContext(
            reporting_currency=self.reporting_currency,
            fx_rates=self.fx_rates,
            email_cost_per_recipient=self.email_cost_per_recipient,
            purchase_action_types=self.purchase_action_types,
            account_currencies=self.account_currencies,
            daily_rates=self.daily_rates(),
        )
