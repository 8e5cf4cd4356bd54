"""The causal-engine stage: a daily panel in, one :class:`EffectUpdate` per channel out."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from liftos.events import EffectUpdate

if TYPE_CHECKING:
    from liftos.causal.lift import LiftTest
    from liftos.causal.results import CausalResults, ChannelEffect

__all__ = [
    "Estimate",
    "ModelRun",
    "complete_days",
    "estimate_effects",
    "finite_or_none",
    "fit_fingerprint",
    "spend_channels",
]

_NON_CHANNEL_COLUMNS = frozenset({"date", "revenue", "orders"})


@dataclass(frozen=True)
class ModelRun:
    """One retrain's identity: its version, method, nominal interval coverage and seed; the business's
    calendar (``country`` / ``subdivision`` of its public holidays, as the enricher's); and the currencies
    the warehouse holds revenue and spend in (:func:`liftos.warehouse.modelling_panel.panel_currencies`;
    None when unknown or mixed): only when they match does the model put its prior on iROAS; the
    recorded ``lift_tests`` that calibrate it (all of them, every refit)."""

    model_version: int
    method: Literal["mmm", "dml", "causal_forest"]
    confidence_level: float
    seed: int = 0
    outcome_currency: str | None = None
    spend_currency: str | None = None
    country: str | None = field(default="US", kw_only=True)
    subdivision: str | None = field(default=None, kw_only=True)
    lift_tests: tuple[LiftTest, ...] = field(default=(), kw_only=True)


def spend_channels(panel: pd.DataFrame) -> list[str]:
    """Channel spend columns of a :func:`liftos.warehouse.modelling_panel.daily_panel` frame."""
    return [column for column in panel.columns if column not in _NON_CHANNEL_COLUMNS]


def complete_days(panel: pd.DataFrame, last_day: date) -> pd.DataFrame:
    """The rows of a daily panel up to ``last_day`` (inclusive): a day still running has its full
    spend but only part of its outcome (orders keep arriving until midnight), and fitting it would
    read the missing orders as media doing nothing."""
    return panel[panel["date"] <= pd.Timestamp(last_day)].reset_index(drop=True)


def fit_fingerprint(
    panel: pd.DataFrame,
    tests: tuple[LiftTest, ...] = (),
    currencies: tuple[str | None, str | None] = (None, None),
) -> str:
    """SHA-256 (hex) of what a refit reads: the panel's columns and values (dates, outcomes, spend per
    channel), the lift tests that calibrate it and the outcome's and the spend's ``currencies`` (they
    decide whether the ROI prior applies). A warehouse rewrite of identical rows (a re-read window, a
    replayed message) bumps row versions but not this, so the engine does not publish a new version
    with the same numbers."""
    digest = hashlib.sha256(",".join(map(str, panel.columns)).encode())
    digest.update(pd.util.hash_pandas_object(panel, index=False).to_numpy().tobytes())
    for test in tests:
        digest.update(repr(test).encode())
    digest.update(repr(currencies).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Estimate:
    """One retrain's output: the updates to publish and the model's one-step-ahead residuals.

    Attributes:
        updates: One update per channel.
        residuals: ``date``, ``residual`` (log scale), one row per modelled day, for drift detection.
        results: The fitted results (for the budget plan and the experiment ranking).
    """

    updates: list[EffectUpdate]
    residuals: pd.DataFrame
    results: CausalResults | None = None


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
        outcome_currency=run.outcome_currency,
        spend_currency=run.spend_currency,
        lift_tests=list(run.lift_tests),
    )
    trained_at = datetime.now(UTC)
    window_start, window_end = panel["date"].min().date(), panel["date"].max().date()
    updates = []
    used = results.metadata.get("lift_tests_used", {})
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
                lift_tests=sorted(str(t) for t in used.get(channel, ())),
                **_evidence(effect, results),
                **_windows(effect),
            )
        )
    return Estimate(updates, results.residuals, results)


def finite_or_none(value: float) -> float | None:
    """``value`` as an event field: None for NaN or infinity (JSON has neither)."""
    return float(value) if math.isfinite(value) else None


def _evidence(effect: ChannelEffect, results: CausalResults) -> dict[str, Any]:
    """The revision-2 evidence fields of one channel's update."""
    accuracy = results.accuracy.get("baseline_accuracy", float("nan"))
    return {
        "verdict": effect.verdict,
        "verdict_reason": effect.verdict_reason,
        "summary": effect.summary,
        "prior_contraction": finite_or_none(effect.prior_contraction),
        "effect_prior": str(results.metadata.get("effect_prior", "")),
        "mroas_ci_lower": finite_or_none(effect.mroas_ci_lower),
        "mroas_ci_upper": finite_or_none(effect.mroas_ci_upper),
        "curve_note": effect.curve_note,
        "model_accuracy": finite_or_none(results.model_accuracy),
        "baseline_accuracy": finite_or_none(accuracy),
        "calendar": str(results.metadata.get("calendar", "")),
    }


def _windows(effect: ChannelEffect) -> dict[str, float | str | None]:
    """``spend_<d>d``, ``revenue_lift_<d>d``, ``ci_*_<d>d``, ``incremental_roas_<d>d``, ``verdict_<d>d``
    and ``verdict_reason_<d>d`` for 28 and 90 days."""
    out: dict[str, float | str | None] = {}
    for days in (28, 90):
        window = effect.window(days)
        if window is None:
            continue
        out[f"spend_{days}d"] = window.spend
        out[f"revenue_lift_{days}d"] = finite_or_none(window.revenue_lift)
        out[f"ci_lower_{days}d"] = finite_or_none(window.ci_lower)
        out[f"ci_upper_{days}d"] = finite_or_none(window.ci_upper)
        out[f"incremental_roas_{days}d"] = finite_or_none(window.incremental_roas)
        out[f"verdict_{days}d"] = window.verdict
        out[f"verdict_reason_{days}d"] = window.verdict_reason
    return out


def _stability(iroas: float, prior: EffectUpdate | None) -> float | None:
    """Relative change of iROAS against the previous version (``None`` without one)."""
    if prior is None or prior.incremental_roas == 0 or not math.isfinite(prior.incremental_roas):
        return None
    return abs(iroas - prior.incremental_roas) / abs(prior.incremental_roas)
