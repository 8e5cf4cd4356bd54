"""Settings of the causal-engine service (``LIFTOS_`` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from liftos.pipeline.recommendations import PlanRequest
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

    The budget plan and experiment ranking published with every version (``mmm`` only;
    :class:`~liftos.pipeline.recommendations.PlanRequest`):

    Attributes:
        plan_horizon_days: ``LIFTOS_PLAN_HORIZON_DAYS``: days the plan covers, after the data.
        plan_budget: ``LIFTOS_PLAN_BUDGET``: total budget over the horizon; unset = the last 28 days'
            spend rate times the horizon.
        plan_bounds: ``LIFTOS_PLAN_BOUNDS``: JSON ``{"meta": [min, max], …}`` spend over the horizon
            (``null`` = open end).
        plan_max_change: ``LIFTOS_PLAN_MAX_CHANGE``: each channel within ± this share of its current
            allocation (default 0.3); ``none`` = free.
        plan_fixed: ``LIFTOS_PLAN_FIXED``: JSON list of channels held at their current allocation.
        plan_objective: ``LIFTOS_PLAN_OBJECTIVE``: ``revenue`` or ``profit``.
        plan_margin: ``LIFTOS_PLAN_MARGIN``: profit per unit of outcome (``profit`` only).
        plan_risk: ``LIFTOS_PLAN_RISK``: lower quantile of the gain over the current allocation to
            maximise (default 0.05: a change only where the posterior is 95 % sure it helps); ``none``
            = maximise the expectation.
        experiment_target_width: ``LIFTOS_EXPERIMENT_TARGET_WIDTH``: iROAS interval width / iROAS a
            recommended lift test should reach.

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
    plan_horizon_days: int = Field(default=28, ge=1, le=366)
    plan_budget: float | None = Field(default=None, ge=0)
    plan_bounds: dict[str, tuple[float | None, float | None]] = Field(default_factory=dict)
    plan_max_change: float | None = Field(default=0.3, ge=0)
    plan_fixed: list[str] = Field(default_factory=list)
    plan_objective: Literal["revenue", "profit"] = "revenue"
    plan_margin: float | None = Field(default=None, gt=0)
    plan_risk: float | None = Field(default=0.05, gt=0, lt=0.5)
    experiment_target_width: float = Field(default=0.3, gt=0)

    @field_validator("plan_max_change", "plan_risk", "plan_budget", "plan_margin", mode="before")
    @classmethod
    def _none_word(cls, value: object) -> object:
        """``none`` / ``off`` in the environment means no value (an empty variable means the default)."""
        return None if isinstance(value, str) and value.strip().lower() in ("none", "off", "null") else value

    def plan_request(self) -> PlanRequest:
        """The plan settings as a :class:`~liftos.pipeline.recommendations.PlanRequest`."""
        return PlanRequest(
            horizon_days=self.plan_horizon_days,
            budget=self.plan_budget,
            bounds=dict(self.plan_bounds),
            max_change=self.plan_max_change,
            fixed=tuple(self.plan_fixed),
            objective=self.plan_objective,
            margin=self.plan_margin,
            risk=self.plan_risk,
            target_relative_width=self.experiment_target_width,
        )
