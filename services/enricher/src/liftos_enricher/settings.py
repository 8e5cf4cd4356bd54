"""Settings of the enricher service (``LIFTOS_`` environment variables)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from liftos.dimensions.calendar import validate_region
from liftos.settings import ServiceSettings

__all__ = ["EnricherSettings"]


class EnricherSettings(ServiceSettings):
    """Enricher settings.

    Attributes:
        app_id: Faust app id (the process's identity; faust's own group).
        consumer_group: Consumer group whose committed offsets track the input topics.
        batch_size: Most rows written to the warehouse as one insert.
        batch_window_s: Longest wait (seconds) before a partial batch is written anyway.
        country: ISO 3166-1 alpha-2 country whose calendar is joined onto rows.
        subdivision: Optional state/region code for regional holidays (e.g. ``BY``).
    """

    app_id: str = "liftos-enricher"
    consumer_group: str = "liftos.enricher"
    batch_size: int = Field(default=5_000, ge=1)
    batch_window_s: float = Field(default=0.5, gt=0)
    country: str = Field(default="US", min_length=2, max_length=2)
    subdivision: str | None = None

    @model_validator(mode="after")
    def _known_region(self) -> Self:
        """Fail at start-up on a country or subdivision the ``holidays`` package does not know (rather
        than on the first batch); this also loads the holiday tables before the first row arrives."""
        validate_region(self.country, self.subdivision)
        return self
