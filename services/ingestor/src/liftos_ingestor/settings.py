"""Settings of the ingestor service (``LIFTOS_`` environment variables).

Connector credentials are read by each connector from its own ``LIFTOS_<SOURCE>__…`` variables
(e.g. ``LIFTOS_META__ACCESS_TOKEN``, ``LIFTOS_GOOGLE_ADS__REFRESH_TOKEN``, ``LIFTOS_KLAVIYO__API_KEY``;
see :mod:`liftos.integrations`), as ``SecretStr``.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from liftos.integrations.http_core import ConnectorLimits
from liftos.settings import ServiceSettings

__all__ = ["IngestorSettings"]


class IngestorSettings(ServiceSettings):
    """Ingestor settings.

    Attributes:
        sources: Connectors to poll (``meta``, ``google_ads``, ``klaviyo``); empty polls nothing.
        poll_interval_s: Seconds between two polls of one source.
        since: First day ever wanted; the first poll of a stream starts here (default: 90 days ago).
        until: Last day to read (default: today); set for a fixed-window backfill or the sandbox.
        lookback_days: Override of every connector's lookback window (days re-read on each poll).
        request_timeout_s: Timeout of one network operation (connect, each read) with a source API.
        limits: Bounds on every connector (``LIFTOS_LIMITS__MAX_PAGES_PER_SLICE``,
            ``…__MAX_BODY_BYTES``, ``…__REQUEST_DEADLINE_S``, ``…__SLICE_DEADLINE_S``,
            ``…__MAX_RETRY_AFTER_S``, ``…__ALLOWED_ORIGINS``); ``max_retry_after_s`` also caps how long
            a source is parked after a server asked to wait.
    """

    sources: tuple[str, ...] = ()
    poll_interval_s: float = Field(default=900.0, gt=0)
    since: date | None = None
    until: date | None = None
    lookback_days: int | None = Field(default=None, ge=0)
    request_timeout_s: float = Field(default=60.0, gt=0)
    limits: ConnectorLimits = ConnectorLimits()
