"""Evidence-grade effects: priors that follow the units, honest intervals, verdicts, out-of-sample
accuracy against a seasonal-naive baseline, marginal returns, the effect now, the response model."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from liftos.causal import CausalAPI, CausalResults, ModelSpec
from liftos.causal.fit import build_problem, channel_effects, fit_mmm
from liftos.causal.verdicts import ChannelEvidence, ModelEvidence, effect_sentence, judge
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
    sentence = effect_sentence("meta", "weak", "only 120 days of data (less than a year)", 1.8, 0.6, 3.0)
    assert sentence.startswith("Meta returns between 0.60 and 3.00 revenue per unit spent")


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
