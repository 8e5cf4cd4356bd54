"""Acceptance of issue 16: the live demo on the drift scenario, on the real embedded stack.

One run (about three and a half minutes): 240 days of history backfilled, then 64 live days at
32 days a minute (a day every 1.9 s) with the ingestor polling every 2 s and the causal engine
refitting at most every 10 s. Checks that every simulated day reaches the warehouse, that the
warehouse equals what the emulators serve after every restatement (to the cent), that versions follow
the refit policy, and how the estimates follow Meta's effect halving two weeks into the live days.
"""

from __future__ import annotations

import io
import itertools
import statistics
from datetime import timedelta
from pathlib import Path

import pytest

from liftos_devstack.demo import DEMO_END
from liftos_devstack.live_demo import LiveDemoOptions, LiveResult, run_live_demo
from liftos_devstack.live_view import freshness_summary

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

OPTIONS = LiveDemoOptions(
    history_days=240,
    live_days=64,
    days_per_minute=32.0,
    seed=7,
    scenario="drift",
    entities=16,
    poll_interval_s=2.0,
    min_refit_interval_s=10.0,
    warmup_s=45.0,
    settle_s=60.0,
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> LiveResult:
    options = LiveDemoOptions(**{**OPTIONS.__dict__, "data_dir": Path(tmp_path_factory.mktemp("live"))})
    return run_live_demo(options, lambda view: None, io.StringIO())


def test_sixty_simulated_days_in_at_most_four_minutes(run: LiveResult) -> None:
    assert not run.interrupted
    assert run.view.clock.stopped() and run.view.today() == DEMO_END
    assert OPTIONS.live_days >= 60 and run.seconds <= 240, f"{run.seconds:.0f} s"


def test_every_simulated_day_reaches_the_warehouse(run: LiveResult) -> None:
    assert run.missing_days == {}
    assert run.view.days_landed == OPTIONS.history_days + OPTIONS.live_days


def test_warehouse_equals_the_emulators_after_restatements(run: LiveResult) -> None:
    assert run.differences == []
    restated = run.view.restated
    assert restated["meta"] > 0 and restated["google_ads"] > 0 and restated["klaviyo"] > 0, restated


def test_versions_are_published_as_the_refit_policy_says(run: LiveResult) -> None:
    versions = run.view.versions
    assert versions[-1].window_end == DEMO_END  # the last day reached a published effect
    assert [v.version for v in versions] == list(range(1, len(versions) + 1))
    assert all(a.window_end <= b.window_end for a, b in itertools.pairwise(versions))
    starts = [v.published_unix - (v.fit_seconds or 0.0) for v in versions]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    early = run.view.drift_alarms  # a drift alarm may bring one refit forward
    assert sum(gap < OPTIONS.min_refit_interval_s - 0.5 for gap in gaps) <= early, gaps
    fits = [v.fit_seconds or 0.0 for v in versions]
    # data arrives on every poll while the clock runs, so a refit follows as soon as the policy allows
    assert statistics.median(gaps) <= OPTIONS.min_refit_interval_s + statistics.median(fits) + 3.0, gaps


def test_every_live_day_has_an_effect_freshness(run: LiveResult) -> None:
    summary = freshness_summary(run.timings)
    assert summary["days"] == OPTIONS.live_days
    assert 0 < summary["p50"] <= summary["p90"] <= summary["p99"]
    assert sum(summary["shares"].values()) == pytest.approx(1.0)


def test_the_current_meta_estimate_tracks_the_change(run: LiveResult) -> None:
    """After the change, the trailing-28-day Meta iROAS is closer to the new truth than the
    whole-window estimate (which still averages in the months before)."""
    final = run.view.versions[-1]
    meta = final.updates["meta"]
    assert meta.incremental_roas_28d is not None
    new_truth = run.view.truth(final.window_end - timedelta(days=27), final.window_end)["channels"]["meta"][
        "iroas"
    ]
    assert abs(meta.incremental_roas_28d - new_truth) < abs(meta.incremental_roas - new_truth)


@pytest.mark.xfail(
    strict=True,
    reason="the refit absorbs the halving of Meta's effect into its baseline and levels: over the days "
    "after the change its residuals (one-step, raw, and each channel's coefficient score) have mean "
    "|t| < 1 as in stable worlds, ADWIN fires in 0 of 5 drift worlds on any of them, and the "
    "time-varying fit's 28-day level stays within its interval of the whole-range level (|z| < 0.6) "
    "(bench/drift_detection.py, docs/causal-evidence.md#drift-alarms)",
)
def test_the_river_alarm_fires_on_drift(run: LiveResult) -> None:
    assert run.view.drift_alarms >= 1
