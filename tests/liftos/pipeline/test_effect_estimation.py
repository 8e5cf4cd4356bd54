"""The causal-engine stage on a simulated panel: one update per channel, honest fields, refresh stability."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from liftos.causal.lift import LiftTest
from liftos.pipeline.effects import ModelRun, complete_days, estimate_effects, fit_fingerprint, spend_channels
from liftos_sandbox import WorldSpec, simulate_world


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """What ``daily_panel`` reads: the outcome and daily spend per channel (reporting currency)."""
    world = simulate_world(
        WorldSpec(seed=5, start=date(2024, 1, 1), end=date(2025, 3, 31), entities_per_channel=20)
    )
    daily = world.daily.assign(spend=lambda d: d["spend"] * world.fx_of(d))
    spend = daily.pivot_table(index="date", columns="channel", values="spend", aggfunc="sum", fill_value=0.0)
    frame = world.outcome.set_index("date").join(spend).fillna(0.0).reset_index()
    frame.columns = [str(c) for c in frame.columns]
    return frame


def test_one_update_per_channel_with_consistent_fields(panel: pd.DataFrame) -> None:
    estimate = estimate_effects(panel, ModelRun(1, "mmm", 0.9), previous={})
    assert [u.channel for u in estimate.updates] == spend_channels(panel) == ["google_ads", "klaviyo", "meta"]
    for update in estimate.updates:
        assert update.ci_lower <= update.revenue_lift <= update.ci_upper
        assert update.spend == pytest.approx(panel[update.channel].sum(), rel=1e-9)
        assert update.incremental_roas == pytest.approx(update.revenue_lift / update.spend, rel=1e-6)
        assert (update.model_version, update.confidence_level, update.method) == (1, 0.9, "mmm")
        assert update.window_start == date(2024, 1, 1) and update.window_end == date(2025, 3, 31)
        assert update.refresh_stability is None
        assert update.verdict_28d in ("weak", "not_identified", "identified") and update.verdict_reason_28d
        assert update.verdict_90d and update.verdict_reason_90d
    assert {"date", "residual"} <= set(estimate.residuals.columns) and len(estimate.residuals) > 300


def test_refresh_stability_compares_with_the_previous_version(panel: pd.DataFrame) -> None:
    first = estimate_effects(panel.iloc[:-14], ModelRun(1, "mmm", 0.95), previous={})
    second = estimate_effects(panel, ModelRun(2, "mmm", 0.95), {u.channel: u for u in first.updates})
    for old, new in zip(first.updates, second.updates, strict=True):
        expected = abs(new.incremental_roas - old.incremental_roas) / abs(old.incremental_roas)
        assert new.refresh_stability == pytest.approx(expected)


def test_a_day_still_running_is_left_out_of_the_fit(panel: pd.DataFrame) -> None:
    last = panel["date"].max().date()
    kept = complete_days(panel, last)
    assert len(kept) == len(panel)
    cut = complete_days(panel, panel["date"].iloc[-2].date())
    assert len(cut) == len(panel) - 1 and cut["date"].max() < panel["date"].max()


def test_the_fit_fingerprint_changes_with_any_value_lift_test_or_currency_only(panel: pd.DataFrame) -> None:
    same = fit_fingerprint(panel.copy(deep=True))
    assert same == fit_fingerprint(panel)
    restated = panel.copy()
    restated.loc[restated.index[-3], "revenue"] += 0.01  # a cent restated three days back
    assert fit_fingerprint(restated) != same
    assert fit_fingerprint(panel.iloc[:-1]) != same  # a day fewer
    assert fit_fingerprint(panel.rename(columns={"meta": "meta_ads"})) != same
    day = pd.Timestamp(panel["date"].iloc[-10])
    test = LiftTest("meta", day, day + pd.Timedelta(days=6), 1000.0, 200.0)
    assert fit_fingerprint(panel, (test,)) != same
    assert fit_fingerprint(panel, (test,)) == fit_fingerprint(panel.copy(), (test,))
    # the currencies decide whether the ROI prior applies: a changed declaration is a refit
    assert fit_fingerprint(panel, (), ("USD", "USD")) != same
    assert fit_fingerprint(panel, (), ("USD", "USD")) != fit_fingerprint(panel, (), ("EUR", "USD"))
    assert fit_fingerprint(panel, (), ("USD", "USD")) == fit_fingerprint(panel.copy(), (), ("USD", "USD"))
