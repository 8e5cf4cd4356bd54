"""The default MMM against sandbox ground truth (loose: single worlds are noisy; see the benchmark)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from liftos.causal import CausalAPI, CausalResults, ModelSpec
from liftos.causal.fit import fit_mmm
from liftos.causal.model import MediaModel
from liftos_sandbox.world import CHANNELS, World
from tests.liftos.causal.causal_worlds import wide_inputs, world_of


def _fit(world: World, **kwargs: Any) -> CausalResults:
    return CausalAPI().analyze_attribution(
        wide_inputs(world), list(CHANNELS), ["revenue"], [], "date", cross_validation=False, **kwargs
    )


def test_recovers_large_channels_within_loose_tolerance(easy_world: World) -> None:
    res = _fit(easy_world)
    truth = easy_world.truth()["channels"]
    for channel in ("meta", "google_ads"):
        est = res.effects[channel].incremental_roas
        assert 0.4 * truth[channel]["iroas"] < est < 2.0 * truth[channel]["iroas"], channel


def test_interval_contains_truth_on_easy_for_most_channels() -> None:
    hits, total = 0, 0
    for seed in (2, 5):
        world = world_of(seed, "easy")
        res = _fit(world)
        truth = world.truth()["channels"]
        for channel in CHANNELS:
            e = res.effects[channel]
            hits += int(e.iroas_ci_lower <= truth[channel]["iroas"] <= e.iroas_ci_upper)
            total += 1
    assert hits >= total - 2


def test_deterministic_for_a_seed(easy_world: World) -> None:
    a = _fit(easy_world, seed=3).treatment_effects
    b = _fit(easy_world, seed=3).treatment_effects
    assert a.equals(b)


def test_fit_is_fast(easy_world: World) -> None:
    start = time.perf_counter()
    _fit(easy_world)
    assert time.perf_counter() - start < 10.0


def test_marginal_above_average_only_on_s_shaped_fits(easy_world: World) -> None:
    res = _fit(easy_world)
    for channel in ("meta", "google_ads"):
        e = res.effects[channel]
        if e.marginal_roas > e.incremental_roas:
            assert res.metadata["hill_shape"][channel] > 1.0 and "S-shaped" in e.curve_note  # type: ignore[index]
        else:
            assert e.curve_note == ""


def test_bootstrap_intervals_run_and_are_deterministic() -> None:
    from liftos.causal.data import prepare_causal_data

    world = world_of(4, "easy", days=240)
    data = prepare_causal_data(wide_inputs(world), list(CHANNELS), ["revenue"])
    spec = ModelSpec(interval_method="bootstrap", n_bootstrap=6, seed=1)
    a, b = fit_mmm(data, spec), fit_mmm(data, spec)
    assert a.posterior.method == "bootstrap" and a.posterior.draws.shape[0] == 6
    assert np.array_equal(a.posterior.draws, b.posterior.draws)
    assert all(np.all(d.lift >= 0) for d in a.draw_effects())


def test_media_model_derivatives_match_finite_differences() -> None:
    spend = np.random.default_rng(0).uniform(0, 100, (60, 1))
    media = MediaModel.build(spend, 10)
    h, d_decay, d_logk, d_shape = media.response(0, 0.5, 0.1, 1.2)
    eps = 1e-6
    assert np.allclose((media.response(0, 0.5 + eps, 0.1, 1.2)[0] - h) / eps, d_decay, atol=1e-4)
    assert np.allclose((media.response(0, 0.5, 0.1 + eps, 1.2)[0] - h) / eps, d_logk, atol=1e-4)
    assert np.allclose((media.response(0, 0.5, 0.1, 1.2 + eps)[0] - h) / eps, d_shape, atol=1e-4)
