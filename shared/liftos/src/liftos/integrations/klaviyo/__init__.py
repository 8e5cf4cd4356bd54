"""Klaviyo source: campaigns and flows, their values reports, and the store's daily orders/revenue.

Credentials (arguments win over environment variables)::

    LIFTOS_KLAVIYO__API_KEY (private key, ``pk_…``), LIFTOS_KLAVIYO__PUBLIC_KEY (the account / site id),
    LIFTOS_KLAVIYO__BASE_URL (default https://a.klaviyo.com), LIFTOS_KLAVIYO__REVISION (default 2026-10-15)

Every request carries ``Authorization: Klaviyo-API-Key …`` and the pinned ``revision`` header.
Streams:

- ``campaigns`` / ``flows``: JSON:API listings (``links.next`` paging), full refresh every poll.
- ``campaign_values`` / ``flow_values``: values reports (conversion metric: Placed Order) over
  *aligned* windows of ``report_window_days`` (default 1: one report per day, so every record is
  one entity-day). Aligned windows never overlap between runs, so a lookback re-read rewrites the
  same keys instead of double counting (a known Klaviyo report pitfall). The reporting endpoints
  allow 225 calls a day; a long backfill with daily windows therefore spreads over days at the
  real limits, and a 429 whose ``Retry-After`` exceeds the policy's ``max_hint_s`` ends the poll
  with ``TransientError(retry_after=…)`` so the caller resumes later from the committed cursor.
- ``store_outcomes``: the store's daily orders (``count``) and revenue (``sum_value``) of the
  Placed Order metric through ``metric-aggregates`` (the business outcome). The response is columnar
  (``dates[]`` + measurement arrays); each day becomes one record
  ``{"date", "metric_id", "dimensions", "measurements": {"count", "sum_value"}}`` with the values
  exactly as sent.

Modules: settings (constants, error and endpoint tables, credentials), auth, reporting (request
bodies), connector, mapping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liftos.integrations.klaviyo.mapping import DEFINITION
from liftos.integrations.klaviyo.settings import SOURCE, KlaviyoCredentials
from liftos.integrations.lazy_exports import lazy_exports

__all__ = ["DEFINITION", "SOURCE", "KlaviyoConnector", "KlaviyoCredentials"]

if TYPE_CHECKING:
    from liftos.integrations.klaviyo.connector import KlaviyoConnector


# The connector pulls in httpx; the normalizer only needs the mapping, so the connector loads on use.
__getattr__ = lazy_exports(__name__, {"KlaviyoConnector": "liftos.integrations.klaviyo.connector"})
