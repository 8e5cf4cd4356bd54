"""Settings of the normalizer service (``LIFTOS_`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from liftos.settings import ServiceSettings
from liftos.transformations.context import EMAIL_COST_PER_RECIPIENT, MappingContext

__all__ = ["NormalizerSettings"]


class NormalizerSettings(ServiceSettings):
    """Normalizer settings.

    Attributes:
        app_id: Faust app id (the process's identity; faust's own group).
        consumer_group: Consumer group whose committed offsets track the raw topic.
        batch_size: Most raw messages mapped and published as one batch.
        batch_window_s: Longest wait (seconds) for a batch to fill before it is processed anyway.
        reporting_currency: ISO code every output amount is converted to (``LIFTOS_REPORTING_CURRENCY``).
        fx_rates: Reporting-currency units per one unit of each source currency, as JSON
            (``LIFTOS_FX_RATES='{"EUR": 1.08, "GBP": 1.27}'``); a record in a currency without a rate
            is dead-lettered.
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
    reporting_currency: str = "USD"
    fx_rates: dict[str, float] = Field(default_factory=dict)
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
        )
