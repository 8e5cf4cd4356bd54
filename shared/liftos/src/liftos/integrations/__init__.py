"""Connectors for Meta Ads, Google Ads and Klaviyo, and the generic incremental sync runner.

Notebook use (each returns a pandas DataFrame)::

    from liftos.integrations import MetaAdsConnector
    frame = MetaAdsConnector(access_token=..., app_id=..., app_secret=...).get_campaign_data(
        date_range=("2024-01-01", "2024-12-31"), fields=["campaign_name", "spend", "conversions"])

Service use: :func:`liftos.integrations.sync.sync_stream` with a broker-acknowledging ``publish``
and a :class:`~liftos.integrations.cursors.CursorStore`.
"""

from __future__ import annotations

from liftos.integrations.connector import Connector
from liftos.integrations.cursors import CursorState, CursorStore, MemoryCursorStore
from liftos.integrations.endpoints import RawRecord
from liftos.integrations.google_ads import GoogleAdsConnector
from liftos.integrations.http_core import RetryPolicy
from liftos.integrations.klaviyo import KlaviyoConnector
from liftos.integrations.meta import MetaAdsConnector
from liftos.integrations.sync import ProgressUpdate, SyncResult, sync_connector, sync_stream

__all__ = [
    "CONNECTORS",
    "Connector",
    "CursorState",
    "CursorStore",
    "GoogleAdsConnector",
    "KlaviyoConnector",
    "MemoryCursorStore",
    "MetaAdsConnector",
    "ProgressUpdate",
    "RawRecord",
    "RetryPolicy",
    "SyncResult",
    "sync_connector",
    "sync_stream",
]

#: Connector classes by source name (the ``source`` of their raw events).
CONNECTORS: dict[str, type[Connector]] = {
    MetaAdsConnector.source: MetaAdsConnector,
    GoogleAdsConnector.source: GoogleAdsConnector,
    KlaviyoConnector.source: KlaviyoConnector,
}
