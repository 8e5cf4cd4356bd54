"""Settings of the ingestor service (``LIFTOS_`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from liftos.settings import ServiceSettings

__all__ = ["IngestorSettings"]


class IngestorSettings(ServiceSettings):
    """Ingestor settings.

    Attributes:
        sources: Names of the connectors to poll (e.g. ``meta,google_ads``); empty polls nothing.
        poll_interval_s: Seconds between two polls of one source.
    """

    sources: tuple[str, ...] = ()
    poll_interval_s: float = Field(default=900.0, gt=0)
