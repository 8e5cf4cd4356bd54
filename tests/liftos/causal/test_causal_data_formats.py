"""Long (enriched, per entity) and wide inputs give the same panel and the same estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liftos.causal import CausalAPI, prepare_causal_data
from liftos_sandbox.world import CHANNELS
from tests.liftos.causal.causal_worlds import long_spend, wide_inputs, world_of


def test_long_and_wide_agree() -> None:
    world = world_of(1, "default", days=365)
    wide = prepare_causal_data(wide_inputs(world), list(CHANNELS), ["revenue"], time_variable="date")
    long = prepare_causal_data(
        long_spend(world),
        ["spend", "impressions"],
        ["revenue"],
        time_variable="date",
        entity_variable="campaign_id",
        outcome_data=world.outcome,
    )
    order = [long.channels.index(c) for c in wide.channels]
    assert np.allclose(long.spend[:, order], wide.spend) and np.allclose(long.outcome, wide.outcome)
    assert long.metadata["ignored_treatments"] == ["impressions"] and "meta" in long.metadata["entities"]
    api = CausalAPI()
    a = api.analyze_attribution(wide, cross_validation=False).effects
    b = api.analyze_attribution(long, cross_validation=False).effects
    for channel in CHANNELS:
        assert a[channel].incremental_roas == pytest.approx(b[channel].incremental_roas, rel=1e-6)


def test_long_outcome_column_constant_per_date_and_weekly_resampling() -> None:
    world = world_of(1, "default", days=140)
    long = long_spend(world).merge(world.outcome, on="date")
    daily = prepare_causal_data(long, ["spend"], ["revenue"], ["clicks"])
    weekly = prepare_causal_data(long, ["spend"], ["revenue"], frequency="W")
    assert daily.frequency == "D" and weekly.frequency == "W" and weekly.n_periods == 20
    assert weekly.outcome.sum() == pytest.approx(daily.outcome.sum())
    assert weekly.spend.sum() == pytest.approx(daily.spend.sum())
    assert list(daily.controls.columns) == ["clicks"]


def test_varying_outcome_in_long_data_is_refused() -> None:
    world = world_of(1, "default", days=60)
    with pytest.raises(ValueError, match="outcome_data"):
        prepare_causal_data(long_spend(world), ["spend"], ["platform_revenue"])


def test_missing_outcome_periods_raise() -> None:
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=20), "tv": 1.0, "revenue": 10.0})
    frame = frame.drop(index=[5])
    with pytest.raises(ValueError, match="missing"):
        prepare_causal_data(frame, ["tv"], ["revenue"])
