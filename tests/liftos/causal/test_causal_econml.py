"""The econml estimators answer the MMM's question (lift and iROAS of each channel over the range) with
verdicts from their own fit and say when they disagree with ``mmm``; the forest's functionals carry
econml's variance; the forest's heterogeneity by season; the drift detector."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from liftos.causal import CausalAPI, CausalResults, drift_points
from liftos.causal.baselines import revenue_on_spend
from liftos.causal.estimators.econml_features import fit_linear_dml, summarise
from liftos.causal.estimators.forest_functionals import ForestFunctionals
from liftos.causal.heterogeneity import HETEROGENEITY_COLUMNS, SEASONS
from liftos.causal.spec import AttributionModel, ModelSpec
from liftos.causal.verdicts import ChannelEvidence, ModelEvidence, judge
from liftos_sandbox.world import CHANNELS
from tests.liftos.causal.causal_worlds import wide_inputs, world_of

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def two_years() -> tuple[dict[str, float], dict[str, CausalResults]]:
    """The default world's truth and the three estimators' results on it (two years, daily)."""
    world = world_of(1, "default", days=730)
    frame = wide_inputs(world)
    units = {"outcome_currency": "USD", "spend_currency": "USD"}
    results = {
        model: CausalAPI().analyze_attribution(
            frame, list(CHANNELS), ["revenue"], attribution_model=model, seed=1, **units
        )
        for model in ("mmm", "dml", "causal_forest")
    }
    return {c: v["iroas"] for c, v in world.truth()["channels"].items()}, results


@pytest.mark.parametrize("model", ["dml", "causal_forest"])
def test_econml_estimators_answer_the_mmm_question(
    two_years: tuple[dict[str, float], dict[str, CausalResults]], model: AttributionModel
) -> None:
    truth, results = two_years
    res = results[model]
    assert set(res.effects) == set(CHANNELS) and res.method == model
    for channel in ("meta", "google_ads"):  # average return (not a marginal slope), interval covers
        e = res.effects[channel]
        assert e.iroas_ci_lower <= truth[channel] <= e.iroas_ci_upper
        if e.verdict == "identified":  # weak / not_identified say the point is not to be relied on
            assert abs(e.incremental_roas - truth[channel]) < 0.5 * truth[channel]
    for e in res.effects.values():
        assert e.ci_lower <= e.revenue_lift <= e.ci_upper and 0 <= e.p_value <= 1
        assert e.verdict in ("identified", "weak", "not_identified") and e.summary and e.verdict_reason
        assert [w.days for w in e.current] == [28, 90]
    assert res.metadata["first_stage_draws"] >= 20 and 0 < res.model_accuracy <= 1
    assert res.decomposition.shape[0] == 730 and set(res.response_curves["channel"]) == set(CHANNELS)


def test_heterogeneity_table(two_years: tuple[dict[str, float], dict[str, CausalResults]]) -> None:
    _, results = two_years
    table = results["causal_forest"].get_heterogeneity()
    assert tuple(table.columns) == HETEROGENEITY_COLUMNS
    assert set(table["group"]) == {"season", "month", "weekday", "holiday"}
    assert list(table[(table["group"] == "season") & (table["channel"] == "meta")]["level"]) == list(SEASONS)
    spend = results["causal_forest"].effects["meta"].spend
    for _, group in table[table["channel"] == "meta"].groupby("group"):
        assert group["spend"].sum() == pytest.approx(spend)  # each group splits the spend
        assert (group["iroas_ci_lower"] <= group["incremental_roas"]).all()
        assert (group["incremental_roas"] <= group["iroas_ci_upper"]).all()
    with pytest.raises(ValueError, match="causal_forest"):
        results["mmm"].get_heterogeneity()


def test_disagreement_with_mmm_is_said_and_caps_the_verdict(
    two_years: tuple[dict[str, float], dict[str, CausalResults]],
) -> None:
    from liftos.causal.estimators.econml_features import _disagreement

    _, results = two_years
    e = results["dml"].effects["meta"]
    mmm = results["mmm"].effects["meta"]
    assert _disagreement(e, (mmm.incremental_roas, mmm.iroas_ci_lower, mmm.iroas_ci_upper), 0.95) == ""
    far = (10 * e.iroas_ci_upper, 9 * e.iroas_ci_upper, 11 * e.iroas_ci_upper)
    text = _disagreement(e, far, 0.95)
    assert "disagrees with the default mmm" in text
    evidence = ChannelEvidence("meta", 2.0, 1.5, 2.5, None, 1.0, 0.5, 0.1, "the calendar", disagreement=text)
    verdict, reason = judge(evidence, ModelEvidence(730, "D", 0.05, 0.1))
    assert verdict == "weak" and text in reason
    assert judge(replace(evidence, disagreement=""), ModelEvidence(730, "D", 0.05, 0.1))[0] == "identified"


def test_randomized_assignment_runs_without_a_treatment_model() -> None:
    world = world_of(0, "easy", days=365)
    res = CausalAPI().analyze_attribution(
        wide_inputs(world),
        list(CHANNELS),
        ["revenue"],
        attribution_model="dml",
        treatment_assignment="randomized",
        cross_validation=False,
    )
    assert all(np.isfinite(e.incremental_roas) for e in res.effects.values())


def test_linear_stage_partials_the_calendar_out_on_all_periods() -> None:
    """The nuisance models are least squares on all periods, so the linear stage's coefficient is the
    treatments' coefficient in one regression on treatments and controls (Frisch–Waugh–Lovell), and
    it is unbiased where the outcome's calendar signal is weak against its noise. Ridge nuisances
    tuned per target with cross-fitting shrink the outcome's model far more than the treatments' and
    attenuate it (docs/causal-accuracy.md; bench/econml_nuisance.py)."""
    rng = np.random.default_rng(3)
    n, k = 700, 12
    controls = np.column_stack([rng.normal(size=(n, k - 1)), np.ones(n)])
    demand = controls[:, :4] @ np.array([0.3, -0.2, 0.25, 0.15])
    treatments = np.column_stack([demand + rng.normal(scale=0.5, size=n), rng.normal(size=n)])
    y = treatments @ np.array([1.0, 0.5]) + 0.1 * controls[:, 4] + rng.normal(scale=2.0, size=n)
    theta, se, residuals = fit_linear_dml(y, treatments, controls, ModelSpec(seed=0))
    ols = np.linalg.lstsq(np.column_stack([treatments, controls]), y, rcond=None)[0][:2]
    assert theta == pytest.approx(ols, rel=1e-6)
    assert np.all(se > 0) and residuals.shape == (n,)


def test_mixture_summary_is_the_mixture_of_normals() -> None:
    one = summarise(np.array([2.0]), np.array([0.5]), 0.95)
    assert one.point == pytest.approx(2.0, abs=1e-9)
    assert (one.low, one.high) == pytest.approx((2.0 - 1.96 * 0.5, 2.0 + 1.96 * 0.5), abs=0.05)
    spread = summarise(np.array([1.0, 3.0]), np.array([0.1, 0.1]), 0.95)
    assert spread.low < 1.0 < 3.0 < spread.high and spread.point == pytest.approx(2.0, abs=0.1)


def test_forest_functionals_have_econml_point_and_variance() -> None:
    """On a partially linear world with θ(x) = 1 + x: a functional of one row is econml's own point and
    standard error for that row; a sum's point is econml's Σ w θ̂(x), its SD below econml's conservative
    bound for the sum, and its 95 % interval covers Σ w θ(x) in most worlds (econml's own pointwise
    intervals cover θ(x) in about 0.88 of the rows on these worlds: the calibration is econml's)."""
    from econml.dml import CausalForestDML
    from sklearn.linear_model import LinearRegression

    covered, ratios = 0, []
    for rep in range(8):
        rng = np.random.default_rng(rep)
        n = 600
        x = rng.uniform(0, 1, (n, 1))
        w = rng.normal(size=(n, 2))
        t = w[:, 0] + rng.normal(size=n)
        y = (1.0 + x[:, 0]) * t + w[:, 1] + rng.normal(size=n)
        est = CausalForestDML(
            model_y=LinearRegression(), model_t=LinearRegression(), n_estimators=200, random_state=rep
        )
        est.fit(y, t, X=x, W=w)
        weights = np.abs(t)[:, None]
        functionals = ForestFunctionals(est.model_cate.estimators_[0], x)
        value, sd = functionals.value_and_sd(weights)
        assert value == pytest.approx(float(np.sum(est.const_marginal_effect(x).ravel() * weights[:, 0])))
        if rep == 0:
            one = np.zeros((n, 1))
            one[7] = 1.0
            inference = est.const_marginal_effect_inference(x[7:8])
            point, se = functionals.value_and_sd(one)
            assert point == pytest.approx(float(np.ravel(inference.point_estimate)[0]), rel=1e-9)
            assert se == pytest.approx(float(np.ravel(inference.stderr)[0]), rel=1e-6)
        bound = est.effect_inference(x, T0=np.zeros(n), T1=weights[:, 0]).population_summary().stderr_mean * n
        ratios.append(sd / float(bound))
        truth = float(np.sum((1.0 + x[:, 0]) * weights[:, 0]))
        covered += abs(value - truth) <= 1.96 * sd
    assert covered >= 5 and max(ratios) < 1.0


def test_forest_finds_the_seasonal_cycle_of_one_channel() -> None:
    """The seasonal world (meta's effect follows a yearly cycle): the forest orders meta's seasons
    about right and its per-season intervals mostly cover the truth."""
    world = world_of(0, "seasonal", days=730)
    res = CausalAPI().analyze_attribution(
        wide_inputs(world),
        list(CHANNELS),
        ["revenue"],
        attribution_model="causal_forest",
        cross_validation=False,
        outcome_currency="USD",
        spend_currency="USD",
    )
    truth = world.season_truth()["meta"]
    table = res.get_heterogeneity()
    meta = table[(table["channel"] == "meta") & (table["group"] == "season")].set_index("level")
    true = np.array([truth[s]["iroas"] for s in SEASONS])
    est = meta.loc[list(SEASONS), "incremental_roas"].to_numpy()
    assert np.argmax(est) == np.argmax(true) and np.argmin(est) == np.argmin(true)
    covered = (meta.loc[list(SEASONS), "iroas_ci_lower"].to_numpy() <= true) & (
        true <= meta.loc[list(SEASONS), "iroas_ci_upper"].to_numpy()
    )
    assert covered.sum() >= 3


def test_naive_baseline_overstates_search_in_default() -> None:
    world = world_of(0, "default", days=365)
    wide = wide_inputs(world)
    naive = revenue_on_spend(wide[list(CHANNELS)].to_numpy(), wide["revenue"].to_numpy(), CHANNELS)
    assert naive["google_ads"] > world.truth()["channels"]["google_ads"]["iroas"]


def test_drift_detector_fires_after_a_shift() -> None:
    rng = np.random.default_rng(0)
    stream = np.r_[rng.normal(0, 0.05, 400), rng.normal(0.15, 0.05, 200)]
    points = drift_points(stream)
    assert points and all(p >= 400 for p in points)
