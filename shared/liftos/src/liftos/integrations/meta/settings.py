"""Meta source settings: constants, the Graph error table, the endpoint table and the credentials."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from liftos.integrations.source_settings import SourceCredentials

#: The source name: the ``source`` of raw events and the ``channel`` of rows.
SOURCE = "meta"
DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v26.0"
PAGE_SIZE = 1000
LOOKBACK_DAYS = 28  # Meta freezes insights 28 days after the fact
STEP_DAYS = 30
JOB_TIMEOUT_S = 900.0
POLL_START_S, POLL_MAX_S = 2.0, 15.0
DEFAULT_INSIGHTS_FIELDS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "spend",
    "impressions",
    "clicks",
    "reach",
    "actions",
    "action_values",
    "date_start",
    "date_stop",
)
PURCHASE_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
SEED_FIELD_ALIASES = {"conversions": "actions", "conversion_values": "action_values"}
SEED_BREAKDOWN_ALIASES = {"placement": "publisher_platform"}
TIME_INCREMENTS = {
    "day": "1",
    "daily": "1",
    "week": "7",
    "weekly": "7",
    "month": "monthly",
    "all": "all_days",
}
JOB_DONE, JOB_FAILED = "Job Completed", ("Job Failed", "Job Skipped")
NUMERIC_FIELDS = (
    "spend",
    "impressions",
    "clicks",
    "reach",
    "frequency",
    "cpm",
    "cpc",
    "ctr",
    "inline_link_clicks",
)
LEVELS = ("ad", "adset", "campaign", "account")


class MetaCredentials(SourceCredentials):
    """Meta settings from arguments, ``LIFTOS_META__*`` or ``[sources.meta]`` (secrets as SecretStr)."""

    model_config = SettingsConfigDict(env_prefix="LIFTOS_META__", extra="ignore", frozen=True)
    project_section: ClassVar[str] = SOURCE

    access_token: SecretStr | None = None
    app_id: str | None = None
    app_secret: SecretStr | None = None
    ad_account_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    poll_interval_s: float = POLL_START_S
    use_async: bool = True


#: The commented table ``liftos init`` writes into ``liftos.toml`` (``#?`` lines: with ``--base-url``).
PROJECT_TEMPLATE = """\
[sources.meta]
accounts = []                   # e.g. ["act_1234567890"]; empty: every ad account of the token
#? base_url = "{base_url}"
#? poll_interval_s = 0.2          # report-run polling (s): an emulator finishes runs within a few polls
"""
#: The commented table ``liftos init`` writes into ``liftos.secrets.toml``.
SECRETS_TEMPLATE = """\
[sources.meta]
# access_token = ""             # system-user token with ads_read
# app_secret = ""               # optional: adds appsecret_proof to every call
"""
