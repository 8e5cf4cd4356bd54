"""Evidence-grade effects: priors that follow the units, honest intervals, verdicts, out-of-sample
accuracy against a seasonal-naive baseline, marginal returns, the effect now, the response model."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from liftos.causal import CausalAPI, CausalResults, ModelSpec
from liftos.causal.evidence import event_response, feedback_z
from liftos.causal.fit import build_problem, channel_effects, fit_mmm
from liftos.causal.posterior import linearised_fit
from liftos.causal.verdicts import (
    EVENT_Z,
    FEEDBACK_Z_NOT_IDENTIFIED,
    ChannelEvidence,
    ModelEvidence,
    effect_sentence,
    judge,
    window_verdict,
)
from liftos_sandbox.world import CHANNELS, World
from tests.liftos.causal.causal_worlds import independent_world, wide_inputs, world_of


@pytest.fixture(scope="module")
def default_world() -> World:
    return world_of(4, "default", days=540)


@pytest.fixture(scope="module")
def money(default_world: World) -> CausalResults:
    """Revenue declared as money in the spend's currency, with the default rolling-origin CV."""
    return CausalAPI().analyze_attribution(
        wide_inputs(default_world),
        list(CHANNELS),
        ["revenue"],
        [],
        "date",
        outcome_currency="USD",
        spend_currency="USD",
    )


def test_prior_follows_the_units(default_world: World, money: CausalResults) -> None:
    assert money.metadata["effect_prior"].startswith("share ")  # the default: unit-free everywhere
    frame = wide_inputs(default_world).assign(orders=default_world.outcome["orders"].to_numpy(float))
    api = CausalAPI()
    orders = api.prepare_causal_data(frame, list(CHANNELS), ["orders"])
    assert build_problem(orders, ModelSpec(), ())[0].effect_prior.kind == "share"  # type: ignore[union-attr]
    undeclared = api.prepare_causal_data(frame, list(CHANNELS), ["revenue"])  # a name is not a unit
    assert not undeclared.outcome_is_money_in_spend_currency
    assert build_problem(undeclared, ModelSpec(effect_prior="auto"), ())[0].effect_prior.kind == "share"  # type: ignore[union-attr]
    declared = replace(undeclared, outcome_currency="USD", spend_currency="USD")
    assert build_problem(declared, ModelSpec(effect_prior="auto"), ())[0].effect_prior.kind == "roi"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="money in the spend's currency"):
        build_problem(orders, ModelSpec(effect_prior="roi"), ())


def test_intervals_are_positive_and_every_effect_is_judged(money: CausalResults) -> None:
    for effect in money.get_channel_effects().values():
        assert 0 < effect.ci_lower <= effect.revenue_lift <= effect.ci_upper
        assert 0 < effect.iroas_ci_lower <= effect.incremental_roas <= effect.iroas_ci_upper
        assert effect.mroas_ci_lower <= effect.marginal_roas <= effect.mroas_ci_upper
        assert effect.verdict in ("identified", "weak", "not_identified") and effect.verdict_reason
        assert effect.summary.startswith(effect.channel.replace("_", " ").title())
    klaviyo = money.effects["klaviyo"]  # ~50 per day against ~100k of daily revenue
    assert klaviyo.verdict == "not_identified" and klaviyo.prior_contraction < 0.5
    upper_gap = klaviyo.iroas_ci_upper - klaviyo.incremental_roas
    assert upper_gap > 1.5 * (klaviyo.incremental_roas - klaviyo.iroas_ci_lower)  # log-normal-like


def test_accuracy_is_out_of_sample_next_to_a_seasonal_naive_baseline(money: CausalResults) -> None:
    acc = money.accuracy
    assert 0 <= money.model_accuracy <= 1 and money.model_accuracy == pytest.approx(1 - acc["oos_mape"])
    assert 0 <= acc["baseline_accuracy"] <= 1 and acc["beats_baseline"] in (0.0, 1.0)
    assert acc["beats_baseline"] == float(acc["oos_mape"] <= acc["baseline_mape"])
    if not acc["beats_baseline"]:  # a model worse than repeating last week proves no effect
        assert {e.verdict for e in money.effects.values()} == {"not_identified"}


def test_verdict_rules() -> None:
    evidence = ChannelEvidence("meta", 2.0, 1.8, 2.2, 0.99, 1.0, 0.5, 0.2, "the calendar")
    good = ModelEvidence(730, "D", 0.05, 0.10)
    assert judge(evidence, good)[0] == "identified"
    verdict, reason = judge(evidence, replace(good, model_mape=0.2))
    assert verdict == "not_identified" and "seasonal-naive" in reason
    assert judge(evidence, replace(good, periods=120))[0] == "weak"
    assert judge(replace(evidence, prior_contraction=0.3), good)[0] == "not_identified"
    assert judge(replace(evidence, lower=0.05), good)[0] == "not_identified"
    assert judge(replace(evidence, collinearity=0.95, collinear_with="google"), good)[1].count("google") == 1
    assert judge(replace(evidence, feedback_z=6.0), good)[0] == "not_identified"
    assert judge(replace(evidence, feedback_z=2.5), good)[0] == "weak"
    short = replace(evidence, event_z=-2.5, event_ratio=0.5, events=8)
    verdict, reason = judge(short, good)
    assert verdict == "not_identified" and "8 sharp spend changes" in reason and "50%" in reason
    assert judge(replace(short, event_z=2.5, event_ratio=1.8), good)[0] == "weak"
    assert (
        "is within its noise of the fit (1.1x the predicted, z 0.3)"
        in judge(replace(short, event_z=0.3, event_ratio=1.1), good)[1]
    )
    sentence = effect_sentence("meta", "weak", "only 120 days of data (less than a year)", 1.8, 0.6, 3.0)
    assert sentence.startswith("Meta returns between 0.60 and 3.00 revenue per unit spent")


def test_window_verdicts_follow_their_own_interval_and_never_beat_the_whole_range() -> None:
    assert window_verdict("identified", 1.8, 2.4) == (
        "identified",
        "the window's interval spans a factor of 1.3",
    )
    assert window_verdict("identified", 1.0, 5.0)[0] == "weak"
    verdict, reason = window_verdict("identified", 0.5, 13.8)
    assert verdict == "not_identified" and "factor of 28" in reason
    assert window_verdict("identified", 0.0, 2.0) == ("not_identified", "the window's interval reaches zero")
    assert window_verdict("weak", 1.8, 2.4) == ("weak", "the whole-range effect is weak")
    verdict, reason = window_verdict("not_identified", 1.0, 5.0)
    assert verdict == "not_identified" and reason.startswith("the whole-range effect is not identified")
    assert window_verdict("identified", math.nan, math.nan) == ("not_identified", "no spend in the window")


def test_every_trailing_window_is_judged_no_better_than_its_channel(money: CausalResults) -> None:
    rank = {"identified": 0, "weak": 1, "not_identified": 2}
    for effect in money.get_channel_effects().values():
        assert [w.days for w in effect.current] == [28, 90]
        for window in effect.current:
            assert rank[window.verdict] >= rank[effect.verdict] and window.verdict_reason
            assert effect.flat()[f"verdict_{window.days}d"] == window.verdict


def test_mroas_is_the_slope_and_exceeds_iroas_only_on_s_curves(default_world: World) -> None:
    data = CausalAPI().prepare_causal_data(wide_inputs(default_world), list(CHANNELS), ["revenue"])
    fit = fit_mmm(data, ModelSpec(cross_validation=False, time_varying=False))
    problem, p = fit.problem, fit.params.copy()
    k, c = problem.n_base, problem.n_channels
    base = channel_effects(problem, p)
    step = 1e-4  # d lift / d spend by scaling every period's spend
    bumped = replace(problem, media=replace(problem.media, spend=problem.media.spend * (1 + step)))
    slope = (channel_effects(bumped, p).lift - base.lift) / (step * base.spend)
    assert np.allclose(slope, base.mroas, rtol=1e-3)
    concave, s_shaped = p.copy(), p.copy()
    concave[k + 3 * c : k + 4 * c] = 0.9
    s_shaped[k + 3 * c : k + 4 * c], s_shaped[k + 2 * c : k + 3 * c] = 3.0, np.log(5.0)
    assert np.all(channel_effects(problem, concave).mroas < channel_effects(problem, concave).iroas)
    assert np.all(channel_effects(problem, s_shaped).mroas > channel_effects(problem, s_shaped).iroas)


def test_curves_have_bands_and_windows_are_the_trailing_spend(
    default_world: World, money: CausalResults
) -> None:
    curves = money.response_curves
    assert (curves["revenue_lift_lower"] <= curves["revenue_lift"]).all()
    assert (curves["revenue_lift"] <= curves["revenue_lift_upper"]).all()
    frame = wide_inputs(default_world)
    for channel, effect in money.effects.items():
        assert [w.days for w in effect.current] == [28, 90]
        for window in effect.current:
            assert window.spend == pytest.approx(frame[channel].iloc[-window.days :].sum())
            assert window.ci_lower <= window.revenue_lift <= window.ci_upper
        if effect.curve_note:
            assert effect.marginal_roas > effect.incremental_roas


def test_response_model_plans_with_carryover(money: CausalResults) -> None:
    model = money.response
    plan = np.tile(model.history[-28:].mean(axis=0), (28, 1))
    draws = model.incremental(plan)
    assert draws.shape == (len(model.draws), len(CHANNELS)) and np.all(draws >= 0)
    contribution = model.contribution(np.zeros_like(plan))
    assert contribution.shape == (28 + model.lag - 1, 3) and contribution[0].sum() > 0  # history's carryover


def test_independent_weekly_world_in_units() -> None:
    world = independent_world(1, periods=156, channels=6)
    names = [c for c in world.frame.columns if c.startswith("x")]
    res = CausalAPI().analyze_attribution(world.frame, names, ["y"], [], "date", cross_validation=False)
    assert res.metadata["effect_prior"].startswith("share ")
    errors = [abs(res.effects[c].revenue_lift / world.contribution[c] - 1) for c in names]
    assert float(np.median(errors)) < 0.5
    covered = [res.effects[c].ci_lower <= world.contribution[c] <= res.effects[c].ci_upper for c in names]
    assert sum(covered) >= 4
    assert all(math.isfinite(res.effects[c].prior_contraction) for c in names)


def _feedback_frame(seed: int, periods: int = 500) -> pd.DataFrame:
    """Daily outcome with AR(1) log shocks; ``x1``'s spend is exogenous, ``x2``'s follows the mean
    shock innovation of the previous week (spend chasing the outcome's surprises)."""
    rng = np.random.default_rng(seed)
    innovations = rng.normal(0.0, 0.03, periods)
    shock = np.zeros(periods)
    for t in range(1, periods):
        shock[t] = 0.5 * shock[t - 1] + innovations[t]
    past = np.convolve(innovations, np.ones(7) / 7)[:periods]
    chase = np.concatenate([[0.0], past[:-1]])  # mean of the innovations of t-7 .. t-1
    x1 = 1000.0 * np.exp(rng.normal(0.0, 0.3, periods))
    x2 = 1000.0 * np.exp(rng.normal(0.0, 0.2, periods) + 12.0 * chase)
    y = 20_000.0 * np.exp(shock) + 3.0 * x1 + 3.0 * x2
    dates = pd.date_range("2022-01-03", periods=periods, freq="D")
    return pd.DataFrame({"date": dates, "x1": x1, "x2": x2, "y": y})


def test_feedback_test_is_calibrated_and_sees_spend_chasing_surprises() -> None:
    data = CausalAPI().prepare_causal_data(_feedback_frame(3), ["x1", "x2"], ["y"])
    spec = ModelSpec(cross_validation=False, time_varying=False, holidays_country=None, retail_events=False)
    z = feedback_z(fit_mmm(data, spec), data.spend)
    assert abs(z[0]) < 2.576  # exogenous spend: N(0, 1) under the null
    assert z[1] > FEEDBACK_Z_NOT_IDENTIFIED


def test_sharp_spend_changes_expose_spend_that_follows_unseen_demand() -> None:
    """In ``hard`` Google's spend follows the unobserved demand shock: the fit credits it with the
    shocks, and at its pulses and dark periods (set at random) the outcome moves far less than that
    effect predicts. In ``easy`` (spend set without regard to demand) every channel the test can
    assess agrees (the others have too few sharp changes or too little predicted response: NaN)."""
    spec = ModelSpec(cross_validation=False, time_varying=False)
    found = {}
    for scenario in ("hard", "easy"):
        frame = wide_inputs(world_of(0, scenario))
        data = CausalAPI().prepare_causal_data(frame, list(CHANNELS), ["revenue"])
        found[scenario] = dict(zip(CHANNELS, event_response(fit_mmm(data, spec), data), strict=True))
    google = found["hard"]["google_ads"]
    assert google.events >= 3 and google.z < -EVENT_Z and google.ratio < 0.8
    assessed = [e for e in found["easy"].values() if math.isfinite(e.z)]
    assert assessed and all(e.z > -EVENT_Z and 0.6 < e.ratio < 1.6 for e in assessed)


def test_linearised_fit_gives_the_residuals_and_a_hat_matrix_that_event_checks_rely_on() -> None:
    """The event check discounts what the fit absorbs through ``J H⁻¹ Jᵀ``: that is a hat matrix
    (eigenvalues in [0, 1], trace at most the parameter count) and the residuals are the fit's."""
    world = independent_world(2, periods=156, channels=4)
    names = [c for c in world.frame.columns if c.startswith("x")]
    data = CausalAPI().prepare_causal_data(world.frame, names, ["y"])
    fit = fit_mmm(data, ModelSpec(cross_validation=False, time_varying=False))
    residuals, jac, h_inv = linearised_fit(fit.problem, fit.params)
    assert residuals.shape == (data.n_periods,) and jac.shape == (data.n_periods, h_inv.shape[0])
    np.testing.assert_allclose(residuals, fit.problem.residuals(fit.params)[: data.n_periods], atol=1e-6)
    hat = np.linalg.eigvalsh(jac @ h_inv @ jac.T)
    assert hat.min() > -1e-8 and hat.max() < 1 + 1e-8 and 1.0 < hat.sum() <= h_inv.shape[0]
