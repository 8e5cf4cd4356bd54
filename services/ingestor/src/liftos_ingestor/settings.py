"""Settings of the ingestor service (``LIFTOS_`` environment variables).

Connector credentials are read by each connector from ``[sources.<source>]`` of the project file and
its secrets file, and from its own ``LIFTOS_<SOURCE>__…`` variables, which override them
(e.g. ``LIFTOS_META__ACCESS_TOKEN``, ``LIFTOS_GOOGLE_ADS__REFRESH_TOKEN``, ``LIFTOS_KLAVIYO__API_KEY``;
see :mod:`liftos.integrations`), as ``SecretStr``.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from liftos.integrations.http_core import ConnectorLimits
from liftos.settings import CurrencySettings, NameList

__all__ = ["IngestorSettings"]


class IngestorSettings(CurrencySettings):
    """Ingestor settings.

    Attributes:
        sources: Connectors to poll, ``LIFTOS_SOURCES=meta,google_ads`` (or a JSON list), default the
            enabled ``[sources.*]`` tables of the project file; empty polls nothing.
        reporting_currency, fx_source, fx_rates: checked at start-up: every discovered account's
            currency must have a rate (:class:`~liftos.settings.CurrencySettings`).
        poll_interval_s: Seconds between two polls of one source.
        since: First day ever wanted; the first poll of a stream starts here (default: 90 days ago).
        until: Last day to read (default: today); set for a fixed-window backfill or the sandbox.
        lookback_days: Override of every connector's lookback window (days re-read on each poll).
        request_timeout_s: Timeout of one network operation (connect, each read) with a source API.
        limits: Bounds on every connector (``LIFTOS_LIMITS__MAX_PAGES_PER_SLICE``,
            ``…__MAX_BODY_BYTES``, ``…__REQUEST_DEADLINE_S``, ``…__SLICE_DEADLINE_S``,
            ``…__MAX_RETRY_AFTER_S``, ``…__ALLOWED_ORIGINS``); ``max_retry_after_s`` also caps how long
            a source is parked after a server asked to wait.
        normalizer_group: The normalizer's consumer group (the first hop a record must pass).
        enricher_group: The enricher's consumer group (the last hop: it commits after the warehouse).
        landing_check_interval_s: Seconds between two looks at how far the stages have got (which
            cursors have landed in the warehouse) and at the topics' epochs (did the broker lose them?).
        recycle_topics_after: For a broker without retention (the embedded Tansu keeps every message in
            memory): once the pipeline has landed everything and holds at least this many messages in
            the raw, normalized, outcomes and enriched topics, and every consumer group has committed
            all of them, delete and recreate those topics. 0 (the default) never does; ``liftos up``
            sets it. Never set it against a cluster whose topics other systems read from the start.
        recycle_settle_s: Seconds to hold publishing after a recycle, so every stage notices it.
    """

    sources: NameList = ()
    poll_interval_s: float = Field(default=900.0, gt=0)
    since: date | None = None
    until: date | None = None
    lookback_days: int | None = Field(default=None, ge=0)
    request_timeout_s: float = Field(default=60.0, gt=0)
    limits: ConnectorLimits = ConnectorLimits()
    normalizer_group: str = "liftos.normalizer"
    enricher_group: str = "liftos.enricher"
    landing_check_interval_s: float = Field(default=5.0, gt=0)
    recycle_topics_after: int = Field(default=0, ge=0)
    recycle_settle_s: float = Field(default=5.0, ge=0)
