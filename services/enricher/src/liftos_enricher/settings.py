"""Settings of the enricher service (``LIFTOS_`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from liftos.settings import RegionalSettings

__all__ = ["EnricherSettings"]


class EnricherSettings(RegionalSettings):
    """Enricher settings.

    Attributes:
        app_id: Faust app id (the process's identity; faust's own group).
        consumer_group: Consumer group whose committed offsets track the input topics.
        batch_size: Most rows written to the warehouse as one insert.
        batch_window_s: Longest wait (seconds) before a partial batch is written anyway.

    The calendar joined onto rows is ``country`` / ``subdivision`` (see
    :class:`~liftos.settings.RegionalSettings`).
    """

    app_id: str = "liftos-enricher"
    consumer_group: str = "liftos.enricher"
    batch_size: int = Field(default=5_000, ge=1)
    batch_window_s: float = Field(default=0.5, gt=0)
