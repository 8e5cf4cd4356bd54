"""Drift detection benchmark: does river's alarm see a channel's effect change in what the engine feeds it?

Replays the causal engine's protocol offline on sandbox worlds: a first fit on ``--history`` days, then
a refit every ``--step`` days through ``--live`` more days; after each refit the residuals of the days
the detector has not seen go to :class:`liftos.causal.drift.ResidualDriftMonitor` (ADWIN, the engine's
default), and an alarm counts from the second fit on, as in the engine. The ``drift`` world halves
Meta's effect ``--change-after`` days into the live days; the other scenarios are stable (an alarm there
is a false one).

Four kinds of stream are watched, the daily ones standardised by their SD over the fit:

- ``one_step``: the one-step-ahead (AR-whitened) log residuals — what the engine feeds;
- ``raw``: the log residuals ``log(actual / fitted)`` before whitening (a level drop would show here);
- ``score_<channel>``: each residual times the channel's standardised share of the fitted outcome,
  the per-day score of the channel's coefficient (its mean leaves zero when the coefficient changes);
- ``level_<channel>``: one value per refit, the time-varying fit's trailing-28-day iROAS against the
  whole-range iROAS as a z-score (log ratio over the window interval's log half-width / 1.96): whether
  the channel's level *now* has left its average, the statistic the current-window effects rest on.

Besides alarms it prints the mean of each stream over the days after the change in the last fit (in SD
units; its t-statistic): how much of the change the fit leaves in its residuals at all (for the
``level_`` streams: the mean of the refits' z after the change, and the last refit's z).

    .venv/bin/python -W ignore bench/drift_detection.py --seeds 5 --scenarios drift default
    .venv/bin/python -W ignore bench/drift_detection.py --seeds 5 --history 365 --live 90
"""

from __future__ import annotations

import argparse
import math
from datetime import date, timedelta
from typing import cast

import numpy as np
import pandas as pd
from causal_accuracy import markdown, wide_inputs

from liftos.causal import CausalAPI, CausalResults
from liftos.causal.drift import ResidualDriftMonitor
from liftos_sandbox.scenarios import Scenario
from liftos_sandbox.world import CHANNELS, WorldSpec, simulate_world

START = date(2024, 1, 1)
LEVEL_Z = 2.576


def streams(results: CausalResults) -> dict[str, pd.Series]:
    """Each watched stream of one fit, indexed by date and standardised by its SD over the fit."""
    decomposition = results.decomposition.set_index("date")
    one_step = results.residuals.set_index("date")["residual"]
    raw = np.log(decomposition["actual"] / decomposition["fitted"]).reindex(one_step.index)
    out = {"one_step": one_step / one_step.std(), "raw": raw / raw.std()}
    for channel in CHANNELS:
        share = (decomposition[channel] / decomposition["fitted"]).reindex(one_step.index)
        spread = float(share.std())
        score = out["one_step"] * ((share - share.mean()) / spread if spread > 0 else 0.0)
        out[f"score_{channel}"] = score / score.std() if float(score.std()) > 0 else score
    return out


def level_shifts(results: CausalResults, days: int = 28) -> dict[str, float]:
    """Per channel: z-score of the trailing ``days``-day iROAS against the whole-range iROAS (NaN when
    either is not positive)."""
    out: dict[str, float] = {}
    for channel, effect in results.get_channel_effects().items():
        window = effect.window(days)
        if window is None or window.iroas_ci_lower <= 0 or effect.incremental_roas <= 0:
            out[f"level_{channel}"] = math.nan
            continue
        sd = math.log(window.iroas_ci_upper / window.iroas_ci_lower) / (2 * 1.96)
        out[f"level_{channel}"] = math.log(window.incremental_roas / effect.incremental_roas) / sd
    return out


def run_world(
    scenario: str, seed: int, history: int, live: int, step: int, change_after: int
) -> dict[str, object]:
    """Alarms per stream (first alarm's day relative to the change) and the post-change stream means."""
    change = START + timedelta(days=history + change_after)
    world = simulate_world(
        WorldSpec(
            seed=seed,
            scenario=cast(Scenario, scenario),
            start=START,
            end=START + timedelta(days=history + live - 1),
            entities_per_channel=16,
            drift_start=change if scenario == "drift" else None,
        )
    )
    data = wide_inputs(world, history + live)
    monitors: dict[str, ResidualDriftMonitor] = {}
    first_alarm: dict[str, int] = {}
    seen: pd.Timestamp | None = None
    last: dict[str, pd.Series] = {}
    levels: dict[str, list[tuple[int, float]]] = {}
    for n in [*range(history, history + live, step), history + live]:
        results = CausalAPI().analyze_attribution(
            data.iloc[:n], list(CHANNELS), ["revenue"], [], "date", cross_validation=False, seed=seed,
            outcome_currency="USD", spend_currency="USD",
        )  # fmt: skip
        last = streams(results)
        for name, series in last.items():
            monitor = monitors.setdefault(name, ResidualDriftMonitor())
            fresh = series if seen is None else series[series.index > seen]
            for day, value in fresh.items():
                if monitor.update(float(value)) and n > history and name not in first_alarm:
                    first_alarm[name] = (pd.Timestamp(day).date() - change).days
        for name, z in level_shifts(results).items():
            levels.setdefault(name, []).append((n, z))
            if abs(z) > LEVEL_Z and n > history and name not in first_alarm:  # NaN never alarms
                first_alarm[name] = n - 1 - (history + change_after)
        seen = last["one_step"].index.max()
    after = {name: s[s.index >= pd.Timestamp(change)] for name, s in last.items()}
    row: dict[str, object] = {"scenario": scenario, "seed": seed}
    for name, series in after.items():
        row[f"{name}_alarm"] = first_alarm.get(name, math.nan)
        row[f"{name}_mean_after"] = float(series.mean())
        row[f"{name}_t_after"] = float(series.mean() * math.sqrt(len(series)))
    for name, values in levels.items():
        post = [z for n, z in values if n - 1 >= history + change_after]
        row[f"{name}_alarm"] = first_alarm.get(name, math.nan)
        row[f"{name}_mean_after"] = float(np.nanmean(post)) if post else math.nan
        row[f"{name}_t_after"] = values[-1][1]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--scenarios", nargs="+", default=["drift", "default"])
    parser.add_argument("--history", type=int, default=240, help="days of the first fit")
    parser.add_argument("--live", type=int, default=64, help="days added after it, refit every --step")
    parser.add_argument("--step", type=int, default=5)
    parser.add_argument("--change-after", type=int, default=14, help="drift: live days before the change")
    parser.add_argument("--raw", default="", help="optional CSV path for the per-world rows")
    args = parser.parse_args()
    rows = []
    for scenario in args.scenarios:
        for seed in range(1, args.seeds + 1):
            rows.append(run_world(scenario, seed, args.history, args.live, args.step, args.change_after))
            print(f"{scenario} seed {seed} done", flush=True)
            if args.raw:  # an interrupted run keeps the worlds it finished
                pd.DataFrame(rows).to_csv(args.raw, index=False)
    frame = pd.DataFrame(rows)
    names = ["one_step", "raw", *(f"score_{c}" for c in CHANNELS), *(f"level_{c}" for c in CHANNELS)]
    summary = []
    for scenario, group in frame.groupby("scenario"):
        for name in names:
            alarms = group[f"{name}_alarm"]
            summary.append(
                {
                    "scenario": scenario,
                    "stream": name,
                    "n": len(group),
                    "alarm_rate": float(alarms.notna().mean()),
                    "median_delay_days": float(alarms.median()) if alarms.notna().any() else math.nan,
                    "mean_after_sd": float(group[f"{name}_mean_after"].mean()),
                    "median_t_after": float(group[f"{name}_t_after"].median()),
                    "max_abs_t_after": float(group[f"{name}_t_after"].abs().max()),
                }
            )
    print(
        f"\nhistory={args.history} live={args.live} step={args.step} change_after={args.change_after} "
        "(delay: days from the change to the first alarm; negative = before it)"
    )
    print(markdown(pd.DataFrame(summary)))


if __name__ == "__main__":
    main()
