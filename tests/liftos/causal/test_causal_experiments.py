"""Experiment plans (``CausalResults.plan_experiments``): one design per channel, ranked; the predicted
narrowing checked by simulation against an exact Bayesian update of the posterior draws; a recorded
spend-change test calibrates the model."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from liftos.causal import CausalAPI, CausalResults
from liftos.causal.experiments import updated_sd, whole_range_log_lift
from liftos.causal.horizon import HorizonResponse
from liftos_sandbox.world import CHANNELS, World
from tests.liftos.causal.causal_worlds import wide_inputs, world_of

DAYS = 540


@pytest.fixture(scope="module")
def world() -> World:
    return world_of(8, "default", days=DAYS + 60)


def _fit(world: World, **options: object) -> CausalResults:
    frame = wide_inputs(world).iloc[:DAYS]
    return CausalAPI().analyze_attribution(
        frame, list(CHANNELS), ["revenue"], [], "date", cross_validation=False, seed=8,
        outcome_currency="USD", spend_currency="USD", n_draws=100, **options,
    )  # fmt: skip


@pytest.fixture(scope="module")
def results(world: World) -> CausalResults:
    return _fit(world)


def test_one_design_per_channel_best_first(results: CausalResults) -> None:
    designs = results.plan_experiments(target_relative_width=0.3)
    assert sorted(d.channel for d in designs) == sorted(CHANNELS)
    assert [d.rank for d in designs] == [1, 2, 3]
    values = [d.value_per_spend for d in designs if d.spend_forgone > 0]
    assert values == sorted(values, reverse=True)
    for d in designs:
        assert d.kind in ("go_dark", "spend_change") and d.spend_scale in (0.0, 0.5)
        assert d.predicted_se > 0 and d.spend_forgone > 0 and d.expected_lift > 0
        assert d.predicted_width <= d.current_width + 1e-12 and 0 <= d.narrowing <= 1
        assert d.predicted_lower <= d.iroas <= d.predicted_upper
        assert d.reaches_target == (d.predicted_relative_width <= 0.3 + 1e-12) or "no test" in d.note
        assert d.measured_days == d.days + results.response.lag - 1
        assert 0 <= d.risk_reduction <= d.plan_risk
        assert d.channel in d.summary()
    assert results.decisions["experiments"] == designs


def test_a_looser_target_never_needs_a_costlier_test(results: CausalResults) -> None:
    tight = {d.channel: d for d in results.plan_experiments(0.2)}
    loose = {d.channel: d for d in results.plan_experiments(5.0)}
    for channel in CHANNELS:
        assert loose[channel].spend_forgone <= tight[channel].spend_forgone + 1e-9


def test_predicted_narrowing_matches_a_simulated_update(results: CausalResults) -> None:
    """Simulate the test's measurement from the posterior (a draw's lift plus noise of the predicted
    SE), update the draws exactly (likelihood reweighting) and compare the average posterior SD of the
    log lift with the Gaussian prediction the planner uses (GeoLift's lesson: check power claims by
    simulation)."""
    response = results.response
    design = results.plan_experiments(0.3)[0]
    c = response.channels.index(design.channel)
    periods = design.days
    rate = response.history[-28:, c].mean()
    horizon = HorizonResponse.of(response, periods)
    full = np.zeros(len(CHANNELS))
    full[c] = rate * periods
    lift = horizon.outcome(full)[:, c] - horizon.outcome(full * design.spend_scale)[:, c]
    q = whole_range_log_lift(response)[:, c]
    w = response.weights
    predicted = updated_sd(w, q, lift, design.predicted_se)
    rng = np.random.default_rng(0)
    sds = []
    for _ in range(400):
        truth = rng.choice(len(w), p=w)
        measured = lift[truth] + rng.normal(0.0, design.predicted_se)
        post = w * np.exp(-0.5 * ((measured - lift) / design.predicted_se) ** 2)
        post /= post.sum()
        mean = post @ q
        sds.append(np.sqrt(post @ (q - mean) ** 2))
    prior_sd = np.sqrt(w @ (q - w @ q) ** 2)
    assert predicted < prior_sd
    assert float(np.mean(sds)) == pytest.approx(predicted, rel=0.3)


def test_a_spend_change_test_in_the_sandbox_calibrates_the_model(
    world: World, results: CausalResults
) -> None:
    """Half of Meta's spend over the last 28 days, measured in the sandbox and recorded: the refit's
    prediction of that test moves to the measurement, and the result says which test it used. (That
    intervals narrow as predicted is measured over many worlds in bench/decisions.py.)"""
    end = world.spec.start + timedelta(days=DAYS - 1)
    test = world.lift_test("meta", end - timedelta(days=27), end, spend_scale=0.5)
    assert test.spend_withheld > 0 and test.true_lift > 0 and test.measured_days == 28 + 41
    calibrated = _fit(world, lift_tests=[test.as_lift_test() | {"test_id": "meta-half"}])
    (row,) = calibrated.response.problem.lifts
    assert (row.first, row.last, row.scale) == (DAYS - 28, DAYS - 1, 0.5)
    before = results.response.problem.lift_prediction(results.response.params, row)[0]
    after = calibrated.response.problem.lift_prediction(calibrated.response.params, row)[0]
    assert abs(after - test.incremental_revenue) < abs(before - test.incremental_revenue)
    assert calibrated.metadata["lift_tests_used"] == {"meta": ["meta-half"], "google_ads": [], "klaviyo": []}
