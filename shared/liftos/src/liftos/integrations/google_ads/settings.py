"""Google Ads source settings: constants, error and endpoint tables, stream queries and credentials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from liftos.integrations.source_settings import SourceCredentials

#: The source name: the ``source`` of raw events and the ``channel`` of rows.
SOURCE = "google_ads"
DEFAULT_BASE_URL = "https://googleads.googleapis.com"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_API_VERSION = "v26"
LOOKBACK_DAYS = 30  # conversions are restated inside the conversion window
STEP_DAYS = 30
EXPIRY_MARGIN_S = 60.0

DEFAULT_METRICS = (
    "metrics.cost_micros",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.conversions",
    "metrics.conversions_value",
)
#: Streams: the default GAQL fields of each (the date range is added per slice).
STREAM_QUERIES: Mapping[str, tuple[str, ...]] = {
    "ad_group_daily": (
        "customer.currency_code",
        "campaign.id",
        "campaign.name",
        "ad_group.id",
        "ad_group.name",
        "segments.date",
        *DEFAULT_METRICS,
    ),
    "campaign_daily": (
        "customer.currency_code",
        "campaign.id",
        "campaign.name",
        "segments.date",
        *DEFAULT_METRICS,
    ),
}
INT64_FIELDS = ("metrics.cost_micros", "metrics.impressions", "metrics.clicks")


class GoogleAdsCredentials(SourceCredentials):
    """Google Ads settings from arguments or ``LIFTOS_GOOGLE_ADS__*`` variables."""

    model_config = SettingsConfigDict(env_prefix="LIFTOS_GOOGLE_ADS__", extra="ignore", frozen=True)
    project_section: ClassVar[str] = SOURCE

    developer_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    customer_id: str | None = None
    login_customer_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    token_url: str = DEFAULT_TOKEN_URL
    api_version: str = DEFAULT_API_VERSION


def customer_digits(value: str | None) -> str | None:
    return None if value is None else value.replace("-", "").strip()


#: The commented table ``liftos init`` writes into ``liftos.toml`` (``#?`` lines: with ``--base-url``).
PROJECT_TEMPLATE = """\
[sources.google_ads]
accounts = []                   # empty: every client customer under the manager below
# login_customer_id = "123-456-7890"   # your manager (MCC) account; may also live in the secrets file
#? base_url = "{base_url}"
#? token_url = "{base_url}/token"
"""
#: The commented table ``liftos init`` writes into ``liftos.secrets.toml``.
SECRETS_TEMPLATE = """\
[sources.google_ads]
# client_id = ""
# client_secret = ""
# refresh_token = ""
# developer_token = ""          # optional since Sep 2026
# login_customer_id = ""        # manager account whose clients are read
"""
