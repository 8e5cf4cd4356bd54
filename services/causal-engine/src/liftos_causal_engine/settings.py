"""Settings of the causal-engine service (``LIFTOS_`` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from liftos.settings import NameList, RegionalSettings

__all__ = ["CausalEngineSettings"]


class CausalEngineSettings(RegionalSettings):
    """Causal-engine settings.

    Attributes:
        check_interval_s: Seconds between two looks at the warehouse for new data.
        min_refit_interval_s: Least seconds between two retrains, however often data arrives.
        min_days: Fewest days of outcome data before the first fit.
        method: Estimator (``mmm``, ``dml`` or ``causal_forest``).
        confidence_level: Nominal coverage of the published intervals.
        seed: Seed of the estimator, for reproducible versions.
        outcome_source: Only this source's store outcome is modelled (``[outcome] source``); None
            sums every source's.
        expected_sources: Sources that must deliver before a refit (default: the project file's
            enabled sources and its files as ``files:<account>``); a missing one holds the refit.
        completeness_threshold / completeness_max_lag_days / completeness_max_dead_letters: the
            completeness gate (:mod:`liftos.pipeline.completeness`).

    The model's public holidays are those of ``country`` / ``subdivision``, the same calendar the
    enricher joins onto rows (:class:`~liftos.settings.RegionalSettings`); every effect update records it.
    """

    check_interval_s: float = Field(default=5.0, gt=0)
    min_refit_interval_s: float = Field(default=60.0, ge=0)
    min_days: int = Field(default=56, ge=14)
    method: Literal["mmm", "dml", "causal_forest"] = "mmm"
    confidence_level: float = Field(default=0.95, gt=0.5, lt=1)
    seed: int = 0
    outcome_source: str | None = None
    expected_sources: NameList = ()
    completeness_threshold: float = Field(default=0.9, ge=0, le=1)
    completeness_max_lag_days: int = Field(default=3, ge=0)
    completeness_max_dead_letters: int = Field(default=0, ge=0)
