"""The recommendations of one model version: a budget plan and the experiment ranking, as
:class:`~liftos.events.Recommendation` rows (one per channel and kind) for the recommendations topic
and the warehouse's ``recommendations`` table. Pure: no Kafka, no warehouse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from liftos.events import LiftTestRecord, Recommendation
from liftos.pipeline.effects import finite_or_none

if TYPE_CHECKING:
    from liftos.causal.budget import BudgetPlan
    from liftos.causal.experiments import ExperimentDesign
    from liftos.causal.lift import LiftTest
    from liftos.causal.results import CausalResults

__all__ = ["PlanRequest", "lift_tests_of", "make_plans", "recommendation_rows"]


@dataclass(frozen=True)
class PlanRequest:
    """The budget plan and experiment ranking to make with each model version.

    Attributes:
        horizon_days: Days of the plan's horizon (after the data).
        budget: Total budget over the horizon; ``None`` = the last 28 days' spend rate times the horizon.
        bounds: Channel → (min, max) spend over the horizon (``None`` = open).
        max_change: Each channel within ± this share of its current allocation (``None`` = free).
        fixed: Channels held at their current allocation.
        objective: ``revenue`` (spend the whole budget) or ``profit`` (``margin`` × outcome − spend).
        margin: Profit per unit of outcome (``profit`` only).
        risk: Lower quantile of the gain over the current allocation to maximise (``None``: expectation).
        target_relative_width: Experiments: the iROAS interval width / iROAS a test should reach.
    """

    horizon_days: int = 28
    budget: float | None = None
    bounds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    max_change: float | None = 0.3
    fixed: tuple[str, ...] = ()
    objective: Literal["revenue", "profit"] = "revenue"
    margin: float | None = None
    risk: float | None = None
    target_relative_width: float = 0.3

    def precheck(self) -> None:
        """Refuse, before any fit, bounds that no data can make feasible: a channel's minimum above
        its maximum, or (with a budget) minimums summing to more than the budget.

        Raises:
            InfeasibleBudgetError: naming the conflicting bounds.
        """
        import numpy as np

        from liftos.causal.budget import resolve_limits

        channels = tuple(self.bounds)
        if not channels:
            return
        total = self.budget
        if total is None:  # no budget yet: only each channel's own bounds can conflict
            total = sum(hi if hi is not None else (lo or 0.0) for lo, hi in self.bounds.values())
        resolve_limits(channels, np.zeros(len(channels)), total, self.bounds, exact_total=False)


def make_plans(results: CausalResults, request: PlanRequest) -> tuple[BudgetPlan, list[ExperimentDesign]]:
    """The budget plan of ``request`` on ``results`` and the experiment ranking against it.

    Raises:
        InfeasibleBudgetError: the request's bounds cannot be met.
        ValueError: the estimator has no response model (only ``mmm`` plans).
    """
    budget = request.budget
    if budget is None:
        budget = results.recent_spend(28) * request.horizon_days / 28
    plan = results.optimize_budget(
        budget,
        request.horizon_days,
        request.bounds or None,
        request.objective,
        request.risk,
        margin=request.margin,
        max_change=request.max_change,
        fixed=request.fixed or None,
    )
    return plan, results.plan_experiments(request.target_relative_width, plan=plan)


def recommendation_rows(
    plan: BudgetPlan, designs: Sequence[ExperimentDesign], model_version: int, generated_at: datetime
) -> list[Recommendation]:
    """One ``budget_plan`` row per channel (the plan's totals repeated on each) and one
    ``experiment`` row per channel (rank 1 = best)."""
    common = {
        "model_version": model_version,
        "generated_at": generated_at,
        "horizon_start": date.fromisoformat(plan.start),
        "horizon_end": date.fromisoformat(plan.end),
        "confidence_level": plan.confidence_level,
    }
    totals, summary = plan.totals(), plan.summary()
    rows = [
        Recommendation(
            **common,
            **totals,
            kind="budget_plan",
            channel=c.channel,
            summary=summary,
            spend=c.spend,
            current_spend=c.current,
            min_spend=c.low,
            max_spend=c.high,
            limit_rule=c.low_rule if c.low_rule == c.high_rule else f"{c.low_rule}; {c.high_rule}",
            expected_outcome=c.outcome,
            outcome_lower=c.outcome_lower,
            outcome_upper=c.outcome_upper,
            marginal_return=c.marginal_return,
        )
        for c in plan.channels
    ]
    rows += [
        Recommendation(
            **common,
            kind="experiment",
            channel=d.channel,
            rank=d.rank,
            summary=d.summary(),
            test_kind=d.kind,
            test_days=d.days,
            spend_scale=d.spend_scale,
            spend_forgone=d.spend_forgone,
            expected_lift=d.expected_lift,
            predicted_se=d.predicted_se,
            iroas=finite_or_none(d.iroas),
            iroas_lower=finite_or_none(d.iroas_lower),
            iroas_upper=finite_or_none(d.iroas_upper),
            predicted_lower=finite_or_none(d.predicted_lower),
            predicted_upper=finite_or_none(d.predicted_upper),
            target_relative_width=d.target_relative_width,
            reaches_target=d.reaches_target,
            risk_reduction=d.risk_reduction,
            value_per_spend=d.value_per_spend,
        )
        for d in designs
    ]
    return rows


def lift_tests_of(records: Sequence[LiftTestRecord]) -> tuple[LiftTest, ...]:
    """The recorded tests as the causal model's :class:`~liftos.causal.lift.LiftTest` (ids kept)."""
    import pandas as pd

    from liftos.causal.lift import LiftTest

    return tuple(
        LiftTest(
            channel=r.channel,
            start=pd.Timestamp(r.start),
            end=pd.Timestamp(r.end),
            incremental_revenue=r.incremental_revenue,
            standard_error=r.standard_error,
            spend_scale=r.spend_scale,
            test_id=r.test_id,
        )
        for r in records
    )
