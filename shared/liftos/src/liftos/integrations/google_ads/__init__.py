"""Google Ads REST source: OAuth refresh-token flow, customer discovery, GAQL daily metrics.

Credentials (arguments win over environment variables)::

    LIFTOS_GOOGLE_ADS__DEVELOPER_TOKEN (optional since the Sep 2026 sunset), LIFTOS_GOOGLE_ADS__CLIENT_ID,
    LIFTOS_GOOGLE_ADS__CLIENT_SECRET, LIFTOS_GOOGLE_ADS__REFRESH_TOKEN, LIFTOS_GOOGLE_ADS__CUSTOMER_ID
    (optional; discovered through customers:listAccessibleCustomers when unset),
    LIFTOS_GOOGLE_ADS__LOGIN_CUSTOMER_ID (the manager, when going through one),
    LIFTOS_GOOGLE_ADS__BASE_URL (default https://googleads.googleapis.com),
    LIFTOS_GOOGLE_ADS__TOKEN_URL (default https://oauth2.googleapis.com/token), LIFTOS_GOOGLE_ADS__API_VERSION

Short-lived access tokens are fetched with the refresh token before the first call, renewed a
minute before they expire, and again whenever a call answers 401 (``UNAUTHENTICATED``). Queries are
GAQL built from the seed's ``fields`` / ``segments`` with a ``segments.date BETWEEN`` range; each
slice is read with ``searchStream`` and, if that keeps failing, with paged ``search`` (an expired
page token restarts the listing). ``RESOURCE_EXHAUSTED`` honours ``quotaErrorDetails.retryDelay``.

Modules: settings (constants, error and endpoint tables, credentials), auth (OAuth), queries (GAQL),
connector, mapping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liftos.integrations.google_ads.mapping import DEFINITION
from liftos.integrations.google_ads.settings import SOURCE, GoogleAdsCredentials
from liftos.integrations.lazy_exports import lazy_exports

__all__ = ["DEFINITION", "SOURCE", "GoogleAdsConnector", "GoogleAdsCredentials"]

if TYPE_CHECKING:
    from liftos.integrations.google_ads.connector import GoogleAdsConnector


# The connector pulls in httpx; the normalizer only needs the mapping, so the connector loads on use.
__getattr__ = lazy_exports(__name__, {"GoogleAdsConnector": "liftos.integrations.google_ads.connector"})
