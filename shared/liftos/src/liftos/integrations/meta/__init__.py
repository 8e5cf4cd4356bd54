"""The Meta Marketing API (Graph) source: ad-account discovery and insights via async report runs.

Credentials (arguments win over environment variables)::

    LIFTOS_META__ACCESS_TOKEN, LIFTOS_META__APP_ID, LIFTOS_META__APP_SECRET,
    LIFTOS_META__AD_ACCOUNT_ID (optional; discovered through /me/adaccounts when unset),
    LIFTOS_META__BASE_URL (default https://graph.facebook.com), LIFTOS_META__API_VERSION (default v26.0)

Insights are read as async report runs (POST → poll ``async_status`` → stream the result pages). A run
that fails, is skipped, or does not finish within ``job_timeout_s`` is split into two half date
ranges, recursively; a one-day range that still fails is read with a synchronous GET. Throttles
arrive as HTTP 400 with codes 4 / 17 / 32 / 613 / 80000-80014 in the body and are retried with
backoff (honouring ``estimated_time_to_regain_access``). Error 190 (token) is checked once with a
cheap probe: if the probe is refused too, the token is bad → ``ConfigError``, with no retry storm.
Action types (``actions``, ``action_values``) stay raw in the payload; DataFrames add
``conversions`` / ``conversion_values`` from one canonical purchase type (Meta repeats the same
value under several alias types).

Modules: :mod:`~liftos.integrations.meta.settings` (constants, error and endpoint tables, credentials),
:mod:`~liftos.integrations.meta.auth`, :mod:`~liftos.integrations.meta.connector` (the connector and its
DataFrames), :mod:`~liftos.integrations.meta.mapping` (raw rows -> the one schema; the source definition).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liftos.integrations.lazy_exports import lazy_exports
from liftos.integrations.meta.mapping import DEFINITION
from liftos.integrations.meta.settings import SOURCE, MetaCredentials

__all__ = ["DEFINITION", "SOURCE", "MetaAdsConnector", "MetaCredentials"]

if TYPE_CHECKING:
    from liftos.integrations.meta.connector import MetaAdsConnector


# The connector pulls in httpx; the normalizer only needs the mapping, so the connector loads on use.
__getattr__ = lazy_exports(__name__, {"MetaAdsConnector": "liftos.integrations.meta.connector"})
