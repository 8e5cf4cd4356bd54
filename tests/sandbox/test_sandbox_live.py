"""The live sandbox: today moves on the clock, recent days restate, today's orders fill in, and the
truth answers for any window that has begun."""

from __future__ import annotations

import itertools
import json
import time
from datetime import date, timedelta

import httpx
import numpy as np
import pandas as pd
import pytest

from liftos.clock import ClockSettings
from liftos_sandbox import WorldSpec, simulate_world
from liftos_sandbox.emulators.source import serve_world
from liftos_sandbox.environment import clock_environment, sandbox_argv
from liftos_sandbox.live import LiveWorld, live_clock
from liftos_sandbox.platform_reporting import RESTATEMENT_DAYS
from liftos_sandbox.world import World
from tests.fixtures.emulators import running

SPEC = WorldSpec(seed=5, start=date(2025, 1, 1), end=date(2025, 4, 30), entities_per_channel=8)
TODAY = date(2025, 3, 1)
ORIGIN = 10_000.0


@pytest.fixture(scope="module")
def world() -> World:
    return simulate_world(SPEC)


@pytest.fixture
def live(world: World) -> LiveWorld:
    return LiveWorld(world, live_clock(TODAY, SPEC.end, days_per_minute=60.0, origin_unix=ORIGIN))


def at(day: date, share: float = 0.0) -> float:
    """Wall time at which the test clock (one day a second) is ``share`` into ``day``."""
    return ORIGIN + (day - TODAY).days + share


def test_history_is_served_complete_before_the_clock_starts(live: LiveWorld, world: World) -> None:
    served, _ = live.snapshot(ORIGIN - 30)
    assert served.today == TODAY - timedelta(days=1)
    assert served.outcome["date"].max() == pd.Timestamp(TODAY - timedelta(days=1))
    expected = world.outcome[world.outcome["date"] < pd.Timestamp(TODAY)]
    assert np.array_equal(served.outcome["revenue"].to_numpy(), expected["revenue"].to_numpy())
    assert live.first_served(TODAY - timedelta(days=3)) is None
    assert live.first_served(TODAY + timedelta(days=2)) == ORIGIN + 2.0


def test_a_new_day_appears_when_the_clock_enters_it(live: LiveWorld) -> None:
    before, _ = live.snapshot(at(TODAY, 0.99))
    after, changed = live.snapshot(at(TODAY + timedelta(days=1), 0.01))
    assert changed
    assert before.today == TODAY and after.today == TODAY + timedelta(days=1)
    for channel, frame in after.daily.items():
        assert frame["date"].max() == pd.Timestamp(after.today), channel
        assert before.daily[channel]["date"].max() == pd.Timestamp(TODAY), channel
    assert live.snapshot(at(TODAY + timedelta(days=1), 0.02)) == (after, False)


def test_todays_orders_fill_in_and_are_complete_the_next_morning(live: LiveWorld, world: World) -> None:
    final = world.outcome.set_index("date").loc[pd.Timestamp(TODAY)]
    morning = live.snapshot(at(TODAY, 0.25))[0].outcome.set_index("date").loc[pd.Timestamp(TODAY)]
    evening = live.snapshot(at(TODAY, 0.8))[0].outcome.set_index("date").loc[pd.Timestamp(TODAY)]
    next_day = live.snapshot(at(TODAY + timedelta(days=1), 0.05))[0].outcome.set_index("date")
    assert morning["revenue"] < evening["revenue"] < final["revenue"]
    assert morning["revenue"] == pytest.approx(0.25 * final["revenue"], abs=0.01)
    assert morning["orders"] <= evening["orders"] <= final["orders"]
    assert next_day.loc[pd.Timestamp(TODAY), "revenue"] == final["revenue"]
    assert next_day.loc[pd.Timestamp(TODAY), "orders"] == final["orders"]


@pytest.mark.parametrize("channel", ["meta", "google_ads", "klaviyo"])
def test_a_day_is_restated_until_its_platforms_window_closes(
    live: LiveWorld, world: World, channel: str
) -> None:
    window = RESTATEMENT_DAYS[channel]

    def day_cents(frame: pd.DataFrame) -> int:
        return int(frame.loc[frame["date"] == pd.Timestamp(TODAY), "revenue_cents"].sum())

    final = day_cents(serve_world(world).daily[channel])
    served = [
        day_cents(live.snapshot(at(TODAY + timedelta(days=lag), 0.5))[0].daily[channel])
        for lag in range(window + 2)
    ]
    assert all(a <= b for a, b in itertools.pairwise(served))
    assert served[0] < served[window - 2] < final
    assert served[window - 1] == served[window] == served[window + 1] == final


def test_truth_answers_for_windows_that_have_begun(live: LiveWorld, world: World) -> None:
    now = at(TODAY + timedelta(days=5), 0.5)
    truth = live.truth(TODAY - timedelta(days=22), None, unix=now)
    assert truth["as_of"] == "2025-03-06"
    assert truth["channels"] == world.truth(TODAY - timedelta(days=22), date(2025, 3, 6))["channels"]
    assert truth["served"]["days"] == 28
    assert truth["served"]["outcome"]["revenue"] < truth["outcome"]["revenue"]  # today is half served
    with pytest.raises(ValueError, match="has not begun"):
        live.truth(TODAY, TODAY + timedelta(days=6), unix=now)


def test_a_live_world_needs_an_accelerated_clock_inside_the_world(world: World) -> None:
    with pytest.raises(ValueError, match="accelerated"):
        LiveWorld(world, ClockSettings())
    with pytest.raises(ValueError, match="last day"):
        LiveWorld(world, live_clock(TODAY, SPEC.end + timedelta(days=1), 10.0))


def test_the_emulators_follow_the_clock(world: World) -> None:
    clock = live_clock(date(2025, 4, 20), SPEC.end, days_per_minute=120.0, origin_unix=time.time())
    live = LiveWorld(world, clock)
    with running(serve_world(world), live=live) as server:
        first = httpx.get(f"{server.url}/sandbox/clock").json()
        time.sleep(1.2)
        second = httpx.get(f"{server.url}/sandbox/clock").json()
        assert date.fromisoformat(second["today"]) > date.fromisoformat(first["today"])
        served_today = server.emulators["world"].today  # reloaded on that request (or a later one)
        assert 0 <= (served_today - date.fromisoformat(second["today"])).days <= 1
        truth = httpx.get(f"{server.url}/sandbox/truth", params={"start": "2025-04-01"}).json()
        assert truth["as_of"] >= second["today"]
        refused = httpx.get(f"{server.url}/sandbox/truth", params={"end": "2025-04-30"})
        assert refused.status_code == 400 and "has not begun" in refused.json()["error"]


def test_truth_command_asks_the_running_live_sandbox(world: World) -> None:
    from typer.testing import CliRunner

    from liftos_sandbox.cli import app

    live = LiveWorld(world, live_clock(date(2025, 4, 1), SPEC.end, days_per_minute=1.0))
    with running(serve_world(world), live=live) as server:
        args = ["truth", "--seed", "5", "--url", server.url, "--start", "2025-03-04"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        printed = json.loads(result.stdout)
        assert printed["as_of"] == "2025-04-01"
        assert printed["channels"] == world.truth(date(2025, 3, 4), date(2025, 4, 1))["channels"]
        future = CliRunner().invoke(app, [*args, "--end", "2025-04-20"])
        assert future.exit_code != 0 and "has not begun" in future.output


def test_the_sandbox_command_line_carries_the_clock_and_the_drift_day() -> None:
    spec = WorldSpec(
        seed=5, scenario="drift", start=date(2025, 1, 1), end=date(2025, 4, 30), drift_start=TODAY
    )
    clock = live_clock(TODAY, spec.end, days_per_minute=12.5, origin_unix=ORIGIN)
    argv = sandbox_argv(8765, spec, clock=clock)
    assert argv[argv.index("--today") + 1] == "2025-03-01" and "--live" in argv
    assert float(argv[argv.index("--days-per-minute") + 1]) == 12.5
    assert float(argv[argv.index("--origin-unix") + 1]) == ORIGIN
    assert argv[argv.index("--drift-start") + 1] == "2025-03-01"
    env = clock_environment(clock)
    assert env["LIFTOS_CLOCK__ORIGIN_DAY"] == "2025-03-01" and env["LIFTOS_CLOCK__LAST_DAY"] == "2025-04-30"
    assert "--live" not in sandbox_argv(8765, spec)


def test_drift_start_moves_the_change(world: World) -> None:
    early = simulate_world(
        WorldSpec(**{**SPEC.__dict__, "scenario": "drift", "drift_start": date(2025, 2, 1)})
    )
    late = simulate_world(
        WorldSpec(**{**SPEC.__dict__, "scenario": "drift", "drift_start": date(2025, 4, 1)})
    )
    march = (date(2025, 3, 1), date(2025, 3, 28))
    assert (
        early.truth(*march)["channels"]["meta"]["iroas"]
        < 0.7 * late.truth(*march)["channels"]["meta"]["iroas"]
    )
    with pytest.raises(ValueError, match="drift_start"):
        WorldSpec(**{**SPEC.__dict__, "drift_start": date(2026, 1, 1)}).validate()
