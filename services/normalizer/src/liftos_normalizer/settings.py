"""Settings of the normalizer service (``LIFTOS_`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from liftos.settings import ServiceSettings

__all__ = ["NormalizerSettings"]


class NormalizerSettings(ServiceSettings):
    """Normalizer settings.

    Attributes:
        app_id: Faust app id; also the consumer group of the raw topic.
        batch_size: Most raw messages mapped and published as one batch.
        batch_window_s: Longest wait (seconds) for a batch to fill before it is processed anyway.
    """

    app_id: str = "liftos-normalizer"
    batch_size: int = Field(default=2_000, ge=1)
    batch_window_s: float = Field(default=0.25, gt=0)
