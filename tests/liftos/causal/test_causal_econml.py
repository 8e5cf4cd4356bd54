"""DML and causal forest run and return effects; drift detector fires on a shifted residual stream."""

from __future__ import annotations

import numpy as np
import pytest

from liftos.causal import CausalAPI, drift_points
from liftos.causal.baselines import revenue_on_spend
from liftos.causal.spec import AttributionModel
from liftos_sandbox.world import CHANNELS
from tests.liftos.causal.causal_worlds import wide_inputs, world_of


@pytest.mark.parametrize("model", ["dml", "causal_forest"])
def test_econml_estimators_return_effects(model: AttributionModel) -> None:
    world = world_of(0, "default", days=365)
    res = CausalAPI().analyze_attribution(
        wide_inputs(world), list(CHANNELS), ["revenue"], attribution_model=model
    )
    assert set(res.effects) == set(CHANNELS) and res.method == model
    for e in res.effects.values():
        assert np.isfinite(e.incremental_roas) and e.ci_lower <= e.revenue_lift <= e.ci_upper
    if model == "causal_forest":
        assert res.heterogeneity is not None and {"month", "weekday"} == set(res.heterogeneity["group"])


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
