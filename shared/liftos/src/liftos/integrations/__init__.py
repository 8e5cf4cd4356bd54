"""Connectors for Meta Ads, Google Ads and Klaviyo, and the generic incremental sync runner.

One package per source (``liftos.integrations.meta``, ``.google_ads``, ``.klaviyo``: settings, auth,
connector and mapping in modules of their own); the modules beside them (``http_core``, ``paginators``,
``endpoints``, ``cursors``, ``connector``, ``sync``) know no vendor.

Notebook use (each returns a pandas DataFrame)::

    from liftos.integrations import MetaAdsConnector
    frame = MetaAdsConnector(access_token=..., app_id=..., app_secret=...).get_campaign_data(
        date_range=("2024-01-01", "2024-12-31"), fields=["campaign_name", "spend", "conversions"])

Service use: :func:`connector_class` finds a source's connector through the source table
(:func:`liftos.transformations.source_definitions`), and :func:`liftos.integrations.sync.sync_stream`
runs it with a broker-acknowledging ``publish`` and a :class:`~liftos.integrations.cursors.CursorStore`.

The names below are imported on first use, so that a process that only maps raw events (the
normalizer, which reaches the vendor mapping modules through the source table) never imports the HTTP
stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from liftos.integrations.lazy_exports import lazy_exports

__all__ = [
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
    "connector_class",
    "connector_sources",
    "sync_connector",
    "sync_stream",
]

if TYPE_CHECKING:
    from liftos.integrations.connector import Connector, connector_class, connector_sources
    from liftos.integrations.cursors import CursorState, CursorStore, MemoryCursorStore
    from liftos.integrations.endpoints import RawRecord
    from liftos.integrations.google_ads.connector import GoogleAdsConnector
    from liftos.integrations.http_core import RetryPolicy
    from liftos.integrations.klaviyo.connector import KlaviyoConnector
    from liftos.integrations.meta.connector import MetaAdsConnector
    from liftos.integrations.sync import ProgressUpdate, SyncResult, sync_connector, sync_stream

#: Where each public name lives.
_HOMES: Final[dict[str, str]] = {
    "Connector": "liftos.integrations.connector",
    "connector_class": "liftos.integrations.connector",
    "connector_sources": "liftos.integrations.connector",
    "CursorState": "liftos.integrations.cursors",
    "CursorStore": "liftos.integrations.cursors",
    "MemoryCursorStore": "liftos.integrations.cursors",
    "RawRecord": "liftos.integrations.endpoints",
    "RetryPolicy": "liftos.integrations.http_core",
    "MetaAdsConnector": "liftos.integrations.meta.connector",
    "GoogleAdsConnector": "liftos.integrations.google_ads.connector",
    "KlaviyoConnector": "liftos.integrations.klaviyo.connector",
    "ProgressUpdate": "liftos.integrations.sync",
    "SyncResult": "liftos.integrations.sync",
    "sync_connector": "liftos.integrations.sync",
    "sync_stream": "liftos.integrations.sync",
}


__getattr__ = lazy_exports(__name__, _HOMES)


def __dir__() -> list[str]:
    return sorted(__all__)
