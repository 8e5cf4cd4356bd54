"""The causal-engine stage: a daily panel in, one :class:`EffectUpdate` per channel out."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import pandas as pd

from liftos.events import EffectUpdate
from liftos.settings import region_label

__all__ = ["Estimate", "ModelRun", "estimate_effects", "spend_channels"]

_NON_CHANNEL_COLUMNS = frozenset({"date", "revenue", "orders"})


@dataclass(frozen=True)
class ModelRun:
    """One retrain's identity: its version, method, nominal interval coverage, seed and the business's
    calendar (``country`` / ``subdivision`` of its public holidays, as the enricher's)."""

    model_version: int
    method: Literal["mmm", "dml", "causal_forest"]
    confidence_level: float
    seed: int = 0
    country: str | None = "US"
    subdivision: str | None = None

    @property
    def calendar(self) -> str:
        """The calendar's label as recorded with each update: ``US``, ``DE-BY`` or ``none``."""
        return "none" if self.country is None else region_label(self.country, self.subdivision)


def spend_channels(panel: pd.DataFrame) -> list[str]:
    """Channel spend columns of a :func:`liftos.warehouse.modelling_panel.daily_panel` frame."""
    return [column for column in panel.columns if column not in _NON_CHANNEL_COLUMNS]


@dataclass(frozen=True)
class Estimate:
    """One retrain's output: the updates to publish and the model's one-step-ahead residuals.

    Attributes:
        updates: One update per channel.
        residuals: ``date``, ``residual`` (log scale), one row per modelled day, for drift detection.
    """

    updates: list[EffectUpdate]
    residuals: pd.DataFrame


def estimate_effects(panel: pd.DataFrame, run: ModelRun, previous: Mapping[str, EffectUpdate]) -> Estimate:
    """Fit the causal model on ``panel`` and express each channel's effect as an update.

    Args:
        panel: Daily panel (``date``, ``revenue``, one spend column per channel).
        run: Version, method and confidence level of this retrain.
        previous: Last published update per channel, for refresh stability.

    Returns:
        One update per channel (in channel order) and the fit's residuals.
    """
    from liftos.causal import CausalAPI

    channels = spend_channels(panel)
    results = CausalAPI().analyze_attribution(
        data=panel,
        treatment_variables=channels,
        outcome_variables=["revenue"],
        control_variables=[],
        time_variable="date",
        attribution_model=run.method,
        confidence_level=run.confidence_level,
        seed=run.seed,
        holidays_country=run.country,
        holidays_subdivision=run.subdivision,
    )
    trained_at = datetime.now(UTC)
    window_start, window_end = panel["date"].min().date(), panel["date"].max().date()
    updates = []
    for channel, effect in results.get_channel_effects().items():
        prior = previous.get(channel)
        updates.append(
            EffectUpdate(
                model_version=run.model_version,
                trained_at=trained_at,
                window_start=window_start,
                window_end=window_end,
                channel=channel,
                spend=float(effect.spend),
                revenue_lift=float(effect.revenue_lift),
                ci_lower=float(effect.ci_lower),
                ci_upper=float(effect.ci_upper),
                confidence_level=run.confidence_level,
                p_value=float(min(1.0, max(0.0, effect.p_value))),
                incremental_roas=float(effect.incremental_roas),
                marginal_roas=float(effect.marginal_roas),
                method=run.method,
                refresh_stability=_stability(float(effect.incremental_roas), prior),
                calendar=run.calendar,
            )
        )
    return Estimate(updates, results.residuals)


def _stability(iroas: float, prior: EffectUpdate | None) -> float | None:
    """Relative change of iROAS against the previous version (``None`` without one)."""
    if prior is None or prior.incremental_roas == 0 or not math.isfinite(prior.incremental_roas):
        return None
    return abs(iroas - prior.incremental_roas) / abs(prior.incremental_roas)
