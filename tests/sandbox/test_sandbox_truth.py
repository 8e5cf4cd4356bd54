"""``World.truth``: exact JSON shape, consistency with the tables, and the causal design
(counterfactual lift, over-crediting platforms, saturation, drift, plausible magnitudes)."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest

from liftos_sandbox import CHANNELS, World, WorldSpec, simulate_world

CHANNEL_KEYS = {"spend", "revenue_lift", "iroas", "mroas", "platform_revenue", "platform_roas"}
WINDOW = (date(2024, 3, 1), date(2024, 8, 31))


def _converted_sum(world: World, column: str, start: date, end: date) -> dict[str, float]:
    daily = world.daily
    inside = (daily["date"] >= str(start)) & (daily["date"] <= str(end))
    rows = daily[inside]
    converted = rows[column] * world.fx_of(rows)
    return {c: float(converted[rows["channel"] == c].sum()) for c in CHANNELS}


def test_truth_shape_is_exact(world: World) -> None:
    truth = world.truth(*WINDOW)
    assert set(truth) == {"channels", "accounts", "outcome"}
    assert set(truth["channels"]) == set(CHANNELS) and set(truth["accounts"]) == set(CHANNELS)
    for values in truth["channels"].values():
        assert set(values) == CHANNEL_KEYS
        assert all(isinstance(v, float) for v in values.values())
    assert set(truth["outcome"]) == {"revenue", "orders"}
    assert isinstance(truth["outcome"]["revenue"], float) and isinstance(truth["outcome"]["orders"], int)
    for channel in CHANNELS:
        expected = world.accounts.loc[world.accounts["channel"] == channel, "account_id"].tolist()
        assert truth["accounts"][channel] == expected


def test_truth_spend_and_platform_revenue_match_daily_sums(world: World) -> None:
    truth = world.truth(*WINDOW)["channels"]
    spend = _converted_sum(world, "spend", *WINDOW)
    platform = _converted_sum(world, "platform_revenue", *WINDOW)
    for channel in CHANNELS:
        assert truth[channel]["spend"] == pytest.approx(spend[channel], abs=0.011)
        assert truth[channel]["platform_revenue"] == pytest.approx(platform[channel], abs=0.011)


def test_truth_outcome_matches_outcome_table(world: World) -> None:
    truth = world.truth(*WINDOW)["outcome"]
    dates = world.outcome["date"]
    rows = world.outcome[(dates >= str(WINDOW[0])) & (dates <= str(WINDOW[1]))]
    assert truth["orders"] == int(rows["orders"].sum())
    assert truth["revenue"] == pytest.approx(float(rows["revenue"].sum()), abs=0.011)


def test_default_window_is_whole_range(world: World) -> None:
    assert world.truth() == world.truth(world.spec.start, world.spec.end)


def test_window_outside_range_or_reversed_is_refused(world: World) -> None:
    with pytest.raises(ValueError):
        world.truth(date(2020, 1, 1), date(2024, 1, 1))
    with pytest.raises(ValueError):
        world.truth(date(2024, 6, 1), date(2024, 5, 1))


def test_lift_is_positive_and_platforms_over_credit(world: World) -> None:
    channels = world.truth(*WINDOW)["channels"]
    for channel in CHANNELS:
        values = channels[channel]
        assert values["spend"] > 0 and values["revenue_lift"] > 0
        assert values["iroas"] == pytest.approx(values["revenue_lift"] / values["spend"], rel=1e-3)
        assert values["platform_roas"] > values["iroas"]
    for channel in ("meta", "google_ads"):
        assert channels[channel]["platform_roas"] > 1.3 * channels[channel]["iroas"]


def test_saturation_makes_marginal_below_average(world: World) -> None:
    channels = world.truth(*WINDOW)["channels"]
    for channel in ("meta", "google_ads"):
        assert 0 < channels[channel]["mroas"] < channels[channel]["iroas"]


def test_lift_is_the_counterfactual_media_contribution(world: World) -> None:
    """Over the whole range the lift equals the media component (carryover tail aside, same noise)."""
    truth = world.truth()["channels"]
    components = world.components
    for channel in CHANNELS:
        contribution = float((components[f"media_revenue_{channel}"] * np.exp(components["noise"])).sum())
        assert truth[channel]["revenue_lift"] >= contribution * 0.999
        assert truth[channel]["revenue_lift"] <= contribution * 1.05


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_world_is_causally_plausible(seed: int) -> None:
    world = simulate_world(WorldSpec(seed=seed, entities_per_channel=24))
    truth = world.truth(date(2024, 1, 1), date(2025, 12, 31))
    channels = truth["channels"]
    for channel in ("meta", "google_ads"):
        assert 1.5 <= channels[channel]["iroas"] <= 4.0
    assert 0 < channels["klaviyo"]["revenue_lift"] < 0.05 * truth["outcome"]["revenue"]
    media_share = sum(c["revenue_lift"] for c in channels.values()) / truth["outcome"]["revenue"]
    assert 0.15 <= media_share <= 0.35


def _half_ratio(world: World) -> float:
    first = world.truth(date(2023, 1, 1), date(2024, 6, 15))["channels"]["meta"]["iroas"]
    second = world.truth(date(2024, 7, 15), date(2025, 12, 31))["channels"]["meta"]["iroas"]
    return float(second) / float(first)


def test_drift_changes_the_effect_within_the_window(scenario_worlds: dict[str, World]) -> None:
    drift, default = _half_ratio(scenario_worlds["drift"]), _half_ratio(scenario_worlds["default"])
    assert drift < 0.75 * default
    drift_channels = scenario_worlds["drift"].truth()["channels"]
    default_channels = scenario_worlds["default"].truth()["channels"]
    assert drift_channels["google_ads"] == default_channels["google_ads"]


def _season_iroas(world: World, channel: str) -> list[float]:
    return [v["iroas"] for v in world.season_truth()[channel].values()]


def test_seasonal_world_varies_only_meta_by_season() -> None:
    """The seasonal world is the default world with meta's effect on a yearly cycle: every other
    draw (spend, google and klaviyo responses) is the default's; meta's whole-range iROAS is kept."""
    spec = WorldSpec(seed=5, entities_per_channel=12, start=date(2024, 1, 1), end=date(2025, 12, 31))
    seasonal = simulate_world(WorldSpec(**{**spec.__dict__, "scenario": "seasonal"}))
    default = simulate_world(spec)
    assert seasonal.daily["spend"].equals(default.daily["spend"])
    for channel in ("google_ads", "klaviyo"):
        assert seasonal.truth()["channels"][channel] == default.truth()["channels"][channel]
    meta_s, meta_d = seasonal.truth()["channels"]["meta"], default.truth()["channels"]["meta"]
    assert meta_s["iroas"] == pytest.approx(meta_d["iroas"], rel=0.02)
    cycle, flat = _season_iroas(seasonal, "meta"), _season_iroas(default, "meta")
    assert max(cycle) / min(cycle) > 1.8 > max(flat) / min(flat)
    ordered = sorted(cycle)
    assert min(b - a for a, b in itertools.pairwise(ordered)) > 0.1 * np.mean(cycle)  # one true order


def test_season_truth_adds_up_to_the_window_truth(world: World) -> None:
    """Zeroing each season's spend in turn loses about what zeroing all of it does (saturation makes
    the parts differ slightly from the whole), and the seasons' spend is the window's."""
    seasons = world.season_truth(*WINDOW)
    window = world.truth(*WINDOW)["channels"]
    for channel in CHANNELS:
        spend = sum(v["spend"] for v in seasons[channel].values())
        lift = sum(v["revenue_lift"] for v in seasons[channel].values())
        assert spend == pytest.approx(window[channel]["spend"], rel=1e-6)
        assert lift == pytest.approx(window[channel]["revenue_lift"], rel=0.1)
    assert seasons["meta"]["Oct-Dec"]["spend"] == 0.0  # WINDOW is March to August
