"""Klaviyo source settings: constants, the error table, the endpoint table and the credentials."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from liftos.integrations.source_settings import SourceCredentials

#: The source name: the ``source`` of raw events and the ``channel`` of rows.
SOURCE = "klaviyo"
DEFAULT_BASE_URL = "https://a.klaviyo.com"
DEFAULT_REVISION = "2026-10-15"
LOOKBACK_DAYS = 7
OUTCOME_STEP_DAYS = 365  # metric-aggregates accept at most one year
CONVERSION_METRIC = "Placed Order"
JSONAPI = "application/vnd.api+json"
#: Statistics read by the report streams.
REPORT_STATISTICS = (
    "recipients",
    "delivered",
    "bounced",
    "opens",
    "opens_unique",
    "clicks",
    "clicks_unique",
    "unsubscribes",
    "conversions",
    "conversion_value",
)
#: Seed metric names → report statistics.
SEED_METRICS = {"bounces": "bounced", "revenue": "conversion_value", "placed_order_count": "conversions"}
ENTITY_COLUMNS = ("campaign_name", "sent_at")

REPORT_KIND = {"campaign_values": "campaign", "flow_values": "flow"}
#: Streams polled by default: the daily shape comes from metric-aggregates (60/min), one call per
#: metric and year of history, not from the values reports (2/min, 225/day: totals only).
STREAMS = ("campaigns", "flows", "message_daily", "store_outcomes")
#: Every stream, the values reports included (for totals over long windows).
ALL_STREAMS = (*STREAMS, "campaign_values", "flow_values")
AGGREGATE_STEP_DAYS = 365  # metric-aggregates accept at most one year
#: Statistic of a message-day -> (metric names, first found wins; measurement; credited by attribution).
MESSAGE_METRICS: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "delivered": (("Received Email",), "count", False),
    "bounced": (("Bounced Email",), "count", False),
    "opens": (("Opened Email",), "count", False),
    "opens_unique": (("Opened Email",), "unique", False),
    "clicks": (("Clicked Email",), "count", False),
    "clicks_unique": (("Clicked Email",), "unique", False),
    "unsubscribes": (("Unsubscribed from Email Marketing", "Unsubscribed"), "count", False),
    "conversions": ((CONVERSION_METRIC,), "count", True),
    "conversion_value": ((CONVERSION_METRIC,), "sum_value", True),
}
SENT_BY = ("$message", "$flow")
ATTRIBUTED_BY = ("$attributed_message", "$attributed_flow")


class KlaviyoCredentials(SourceCredentials):
    """Klaviyo settings from arguments or ``LIFTOS_KLAVIYO__*`` variables."""

    model_config = SettingsConfigDict(env_prefix="LIFTOS_KLAVIYO__", extra="ignore", frozen=True)
    project_section: ClassVar[str] = SOURCE

    api_key: SecretStr | None = None
    public_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    revision: str = DEFAULT_REVISION


#: The commented table ``liftos init`` writes into ``liftos.toml`` (``#?`` lines: with ``--base-url``).
PROJECT_TEMPLATE = """\
[sources.klaviyo]
#? base_url = "{base_url}"
"""
#: The commented table ``liftos init`` writes into ``liftos.secrets.toml``.
SECRETS_TEMPLATE = """\
[sources.klaviyo]
# api_key = ""                  # private key pk_... (scopes: accounts, campaigns, flows, metrics:read)
"""
