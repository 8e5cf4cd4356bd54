"""What if: ``World.plan_outcome`` (the true incremental outcome of a spend plan, carryover included)
and ``World.lift_test`` (a lift test run in the world, measured with noise)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from liftos_sandbox import CHANNELS, World
from liftos_sandbox.media import MAX_LAG

START = date(2025, 6, 1)


def _flat(world: World, day: date, days: int, factor: float = 1.0) -> dict[str, np.ndarray]:
    """Each channel's average daily spend of the 28 days before ``day``, times ``factor``."""
    first = (day - world.spec.start).days
    return {
        c: np.full(days, factor * world.model.channels[c].spend[first - 28 : first].mean()) for c in CHANNELS
    }


def test_plan_outcome_is_zero_without_spend_and_grows_with_it(world: World) -> None:
    none = world.plan_outcome(START, {c: np.zeros(28) for c in CHANNELS})
    assert none == dict.fromkeys(CHANNELS, 0.0)
    base = world.plan_outcome(START, _flat(world, START, 28))
    more = world.plan_outcome(START, _flat(world, START, 28, 1.5))
    for channel in CHANNELS:
        assert 0 < base[channel] < more[channel] < 1.5 * base[channel]  # saturation: less than proportional


def test_plan_outcome_of_the_realised_spend_is_the_truths_lift(world: World) -> None:
    """Spending exactly what was spent over the whole range, from its first day, is the truth's
    whole-range lift (the counterfactual of no spend, same noise, carryover tail counted)."""
    start, days = world.spec.start, len(world.outcome)
    realised = {c: world.model.channels[c].spend[:days] for c in CHANNELS}
    replayed = world.plan_outcome(start, realised)
    truth = world.truth()["channels"]
    for channel in CHANNELS:
        assert replayed[channel] == pytest.approx(truth[channel]["revenue_lift"], abs=0.01)


def test_plan_outcome_refuses_bad_plans(world: World) -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        world.plan_outcome(START, {"tiktok": np.ones(3)})
    with pytest.raises(ValueError, match="same days"):
        world.plan_outcome(START, {"meta": np.ones(3), "klaviyo": np.ones(4)})
    with pytest.raises(ValueError, match=">= 0"):
        world.plan_outcome(START, {"meta": -np.ones(3)})
    with pytest.raises(ValueError, match="outside the simulated range"):
        world.plan_outcome(world.spec.end, {"meta": np.ones(3)})


def test_go_dark_lift_test_measures_the_truths_window_lift(world: World) -> None:
    end = START + timedelta(days=27)
    test = world.lift_test("meta", START, end)
    truth = world.truth(START, end)["channels"]["meta"]
    assert test.true_lift == pytest.approx(truth["revenue_lift"], abs=0.01)
    assert test.spend_withheld == pytest.approx(truth["spend"], abs=0.01)
    assert test.measured_days == 28 + MAX_LAG - 1 and test.standard_error > 0
    again = world.lift_test("meta", START, end)
    assert again == test  # deterministic for the world's seed


def test_measurement_noise_matches_its_standard_error(world: World) -> None:
    """Over many windows, (measured − true) / SE is standard normal; half the spend loses less."""
    z = []
    for offset in range(0, 600, 20):
        first = date(2023, 3, 1) + timedelta(days=offset)
        test = world.lift_test("google_ads", first, first + timedelta(days=13))
        z.append((test.incremental_revenue - test.true_lift) / test.standard_error)
    assert abs(float(np.mean(z))) < 0.5 and 0.7 < float(np.std(z)) < 1.3
    half = world.lift_test("google_ads", START, START + timedelta(days=13), spend_scale=0.5)
    dark = world.lift_test("google_ads", START, START + timedelta(days=13))
    assert 0 < half.true_lift < dark.true_lift and half.as_lift_test()["spend_scale"] == 0.5


def test_lift_test_refuses_bad_requests(world: World) -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        world.lift_test("tiktok", START, START)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="after the simulated range"):
        world.lift_test("meta", world.spec.end - timedelta(days=5), world.spec.end)
    with pytest.raises(ValueError, match="before it starts"):
        world.lift_test("meta", START, START - timedelta(days=1))
