"""Budget plans (``CausalResults.optimize_budget``): the model's own horizon response, bounds and budget
honoured exactly (property test), infeasible requests named, the risk-aware and profit variants, the
plot and the Excel export."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liftos.causal import CausalAPI, CausalResults
from liftos.causal.budget import InfeasibleBudgetError, project_budget, resolve_limits
from liftos.causal.horizon import HorizonResponse
from liftos_sandbox.world import CHANNELS
from tests.liftos.causal.causal_worlds import wide_inputs, world_of

HORIZON = 28


@pytest.fixture(scope="module")
def results() -> CausalResults:
    world = world_of(5, "default", days=540)
    return CausalAPI().analyze_attribution(
        wide_inputs(world), list(CHANNELS), ["revenue"], [], "date", cross_validation=False, seed=5,
        outcome_currency="USD", spend_currency="USD", n_draws=100,
    )  # fmt: skip


@pytest.fixture(scope="module")
def budget(results: CausalResults) -> float:
    return results.recent_spend(28)


def test_horizon_response_is_the_models_own_response(results: CausalResults) -> None:
    """The vectorised horizon response equals ResponseModel.incremental of the same flat plan, and its
    gradient equals finite differences."""
    response = results.response
    horizon = HorizonResponse.of(response, HORIZON)
    totals = response.history[-HORIZON:].sum(axis=0) * 1.3
    plan = np.tile(totals / HORIZON, (HORIZON, 1))
    assert np.allclose(horizon.outcome(totals), response.incremental(plan), rtol=1e-9, atol=1e-6)
    _, grad = horizon.outcome_and_gradient(totals)
    step = 1e-4 * totals
    for c in range(len(totals)):
        e = np.eye(len(totals))[c] * step[c]
        numeric = (horizon.outcome(totals + e) - horizon.outcome(totals - e))[:, c] / (2 * step[c])
        assert np.allclose(grad[:, c], numeric, rtol=1e-4, atol=1e-8)


def test_plan_spends_the_budget_and_beats_the_current_allocation(
    results: CausalResults, budget: float
) -> None:
    plan = results.optimize_budget(budget, HORIZON, max_change=0.5, hold_unidentified=False)
    assert math.fsum(plan.allocation.values()) == pytest.approx(budget, rel=1e-12)
    assert math.fsum(plan.current_allocation.values()) == pytest.approx(budget, rel=1e-12)
    assert plan.expected_outcome >= plan.current_outcome - 1e-6 * abs(plan.current_outcome)
    assert plan.gain == pytest.approx(plan.expected_outcome - plan.current_outcome, rel=1e-9, abs=1e-6)
    low, high = plan.outcome_interval
    assert 0 <= low <= plan.expected_outcome <= high
    assert (plan.start, plan.horizon_days) == (
        str((results.last_date + pd.Timedelta(days=1)).date()),
        HORIZON,
    )
    margins = {c.channel: c.marginal_return for c in plan.channels if c.low < c.spend < c.high}
    if len(margins) >= 2:  # interior channels end at one marginal return (the optimum's condition)
        values = list(margins.values())
        assert max(values) - min(values) <= 0.02 * max(abs(v) for v in values) + 1e-6
    assert results.decisions["budget_plan"] is plan
    assert "against the current allocation" in plan.summary()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    scale=st.floats(0.3, 3.0),
    lows=st.lists(st.floats(0.0, 0.5), min_size=3, max_size=3),
    widths=st.lists(st.floats(0.0, 1.5), min_size=3, max_size=3),
    change=st.one_of(st.none(), st.floats(0.0, 1.0)),
    fixed=st.sampled_from([(), ("klaviyo",), ("meta",)]),
    risk=st.sampled_from([None, 0.1]),
)
def test_bounds_and_budget_are_honoured_exactly(
    results: CausalResults,
    budget: float,
    scale: float,
    lows: list[float],
    widths: list[float],
    change: float | None,
    fixed: tuple[str, ...],
    risk: float | None,
) -> None:
    """Any feasible request: every channel within its resolved limits (no tolerance), the spend sums
    to the budget (float rounding only); an infeasible one raises naming a channel or the budget."""
    total = budget * scale
    share = total / len(CHANNELS)
    bounds = {c: (lo * share, (lo + w) * share) for c, lo, w in zip(CHANNELS, lows, widths, strict=True)}
    try:
        plan = results.optimize_budget(
            total, HORIZON, bounds, risk=risk, max_change=change, fixed=fixed, hold_unidentified=False
        )
    except InfeasibleBudgetError as error:
        assert "infeasible" in str(error) and any(c in str(error) for c in CHANNELS)
        return
    for row in plan.channels:
        lo, hi = bounds[row.channel]
        assert row.low <= row.spend <= row.high, row
        assert lo <= row.spend <= hi
        if change is not None:
            assert abs(row.spend - row.current) <= change * row.current * (1 + 1e-12) + 1e-9
        if row.channel in fixed:
            assert row.spend == row.current
    assert math.isclose(math.fsum(plan.allocation.values()), total, rel_tol=1e-12)


def test_infeasible_requests_name_the_conflicting_bounds(results: CausalResults, budget: float) -> None:
    with pytest.raises(
        InfeasibleBudgetError, match=r"meta: minimum .* \(bounds\) is above maximum .*max change"
    ):
        results.optimize_budget(budget, HORIZON, {"meta": (budget, None)}, max_change=0.1)
    caps = dict.fromkeys(CHANNELS, (None, 0.2 * budget))
    with pytest.raises(
        InfeasibleBudgetError, match=r"budget .* is above the most the channels may spend"
    ) as info:
        results.optimize_budget(budget, HORIZON, caps)
    assert all(f"{c} ≤" in str(info.value) for c in CHANNELS) and "(bounds)" in str(info.value)
    with pytest.raises(InfeasibleBudgetError, match=r"max change 10% of current"):
        results.optimize_budget(budget, HORIZON, max_change=0.1, current=dict.fromkeys(CHANNELS, budget / 10))
    with pytest.raises(InfeasibleBudgetError, match=r"minimum spend .* is above the budget") as info:
        results.optimize_budget(
            budget, HORIZON, {"meta": (0.7 * budget, None), "google_ads": (0.5 * budget, None)}
        )
    assert "meta ≥" in str(info.value) and "google_ads ≥" in str(info.value)
    with pytest.raises(InfeasibleBudgetError, match="unknown channel"):
        results.optimize_budget(budget, HORIZON, {"tiktok": (0, 1)})
    with pytest.raises(ValueError, match="margin"):
        results.optimize_budget(budget, HORIZON, objective="profit")


def test_risk_aware_plan_is_never_worse_than_now_at_its_quantile(
    results: CausalResults, budget: float
) -> None:
    careful = results.optimize_budget(budget, HORIZON, risk=0.1, hold_unidentified=False)
    gain = careful.outcome_draws - careful.current_draws
    order = np.argsort(gain)
    cum = np.cumsum(careful.weights[order])
    assert gain[order][np.searchsorted(cum, 0.1)] >= -1e-6 * careful.current_outcome
    expected = results.optimize_budget(budget, HORIZON, hold_unidentified=False)
    moved = sum(abs(careful.allocation[c] - careful.current_allocation[c]) for c in CHANNELS)
    assert moved <= sum(abs(expected.allocation[c] - expected.current_allocation[c]) for c in CHANNELS) + 1e-6
    assert careful.risk == 0.1 and "risk-aware" in careful.summary()


def test_profit_plan_spends_at_most_the_budget(results: CausalResults, budget: float) -> None:
    plan = results.optimize_budget(budget, HORIZON, objective="profit", margin=0.3, hold_unidentified=False)
    assert math.fsum(plan.allocation.values()) <= budget * (1 + 1e-12)
    for row in plan.channels:  # where the plan spends less than allowed, margin × marginal return ≤ 1
        if row.spend < row.high - 1e-6 * budget and row.spend > row.low + 1e-6 * budget:
            assert 0.3 * row.marginal_return == pytest.approx(1.0, abs=0.05)
    assert plan.expected_profit is not None


def test_projection_is_exact() -> None:
    low, high = np.array([0.0, 10.0, 0.0]), np.array([5.0, 10.0, 100.0])
    x = project_budget(np.array([7.3, 2.0, 1e9]), low, high, 33.3, exact=True)
    assert math.fsum(x) == 33.3 and np.all((low <= x) & (x <= high))
    limits = resolve_limits(("a", "b"), np.array([10.0, 10.0]), 20.0, fixed={"a": 4.0})
    assert limits.low[0] == limits.high[0] == 4.0 and limits.low_rule[0] == "fixed at 4.00"


def test_plot_and_export_carry_the_plan(results: CausalResults, budget: float, tmp_path: Path) -> None:
    plan = results.optimize_budget(budget, HORIZON, max_change=0.3)
    assert results.plot_budget_plan().axes[0].get_title().startswith("Budget plan")
    path = results.export_results(tmp_path / "results.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert {"budget_plan", "experiments"} <= set(sheets)
    rows = sheets["budget_plan"].set_index("channel")
    for channel in CHANNELS:
        assert rows.loc[channel, "spend"] == pytest.approx(plan.allocation[channel])
    assert rows.loc["plan.total_budget", "value"] == pytest.approx(budget)
    assert list(sheets["experiments"]["rank"]) == [1, 2, 3]


def test_unidentified_channels_are_held_unless_the_request_constrains_them(
    results: CausalResults, budget: float
) -> None:
    unidentified = [c for c, e in results.effects.items() if e.verdict == "not_identified"]
    assert unidentified, "the fixture world should have a channel the model cannot identify"
    plan = results.optimize_budget(budget, HORIZON)
    for channel in unidentified:
        row = next(r for r in plan.channels if r.channel == channel)
        assert row.spend == row.current and row.low_rule.startswith("held at current: not identified")
        assert channel in plan.constraints["held"]  # type: ignore[operator]
    channel = unidentified[0]
    free = results.optimize_budget(budget, HORIZON, {channel: (0.0, budget)})
    assert channel not in free.constraints["held"]  # type: ignore[operator]


def test_estimators_without_a_response_model_refuse_to_plan(results: CausalResults) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="attribution_model='mmm'"):
        replace(results, response=None, method="dml").optimize_budget(1000.0, 28)
