"""Lift-test calibration moves the estimate toward the truth in the confounded ``hard`` scenario."""

from __future__ import annotations

from datetime import date, timedelta

from liftos.causal import CausalAPI
from liftos_sandbox.world import CHANNELS
from tests.liftos.causal.causal_worlds import wide_inputs, world_of


def test_lift_tests_reduce_error_on_hard() -> None:
    api = CausalAPI()
    errors_before, errors_after = 0.0, 0.0
    for seed in (0, 1):
        world = world_of(seed, "hard")
        wide = wide_inputs(world)
        truth = world.truth()["channels"]
        tests = []
        for i, channel in enumerate(("meta", "google_ads")):
            first = date(2024, 1, 1) + timedelta(days=300 + 200 * i)
            last = first + timedelta(days=27)
            lift = world.truth(first, last)["channels"][channel]["revenue_lift"]
            tests.append(
                {
                    "channel": channel,
                    "start": first,
                    "end": last,
                    "incremental_revenue": lift,
                    "standard_error": 0.1 * lift,
                }
            )
        plain = api.analyze_attribution(wide, list(CHANNELS), ["revenue"], cross_validation=False)
        calibrated = api.analyze_attribution(
            wide, list(CHANNELS), ["revenue"], cross_validation=False, lift_tests=tests
        )
        for channel in ("meta", "google_ads"):
            t = truth[channel]["iroas"]
            errors_before += abs(plain.effects[channel].incremental_roas - t) / t
            errors_after += abs(calibrated.effects[channel].incremental_roas - t) / t
        assert calibrated.metadata["lift_tests"] == 2
    assert errors_after < errors_before
