"""Causal-accuracy benchmark of ``liftos.causal`` against the sandbox's ground truth.

For each scenario and seed: simulate a world, give the estimator what the pipeline has (daily spend per
channel in the reporting currency, store revenue), compare iROAS with the counterfactual truth.
Reports per scenario, channel and method: median / mean APE, bias, 95 % interval coverage, relative
interval width, fit time, refresh stability (refit with 7 more days), naive baselines, and on ``hard``
the gain from lift-test calibration.

    .venv/bin/python bench/causal_accuracy.py --seeds 20 --scenarios easy default hard drift --days 730
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd

from liftos.causal import CausalAPI
from liftos.causal.baselines import platform_roas, revenue_on_spend
from liftos_sandbox.scenarios import Scenario
from liftos_sandbox.world import CHANNELS, World, WorldSpec, simulate_world

START = date(2024, 1, 1)
EXTRA_DAYS = 7
LIFT_SE = 0.15  # lift tests: relative standard error of the measured lift
LIFT_DAYS = 28


def wide_inputs(world: World, days: int) -> pd.DataFrame:
    """Daily spend per channel (reporting currency) and store revenue for the first ``days`` days."""
    daily = world.daily
    spend = daily.assign(spend_r=daily["spend"] * world.fx_of(daily))
    wide = spend.pivot_table(index="date", columns="channel", values="spend_r", aggfunc="sum", fill_value=0.0)
    outcome = world.outcome.iloc[:days]
    wide = wide.reindex(pd.to_datetime(outcome["date"]), fill_value=0.0)[list(CHANNELS)].reset_index()
    wide["revenue"] = outcome["revenue"].to_numpy()
    return pd.DataFrame(wide)


def lift_tests(world: World, days: int, seed: int) -> list[dict[str, object]]:
    """One 28-day noisy lift test per paid channel, measured against the truth (SE 15 % of the lift)."""
    rng = np.random.default_rng(10_000 + seed)
    tests = []
    for i, channel in enumerate(("meta", "google_ads")):
        first = START + timedelta(days=int(days * (0.45 + 0.25 * i)))
        last = first + timedelta(days=LIFT_DAYS - 1)
        truth = world.truth(first, last)["channels"][channel]["revenue_lift"]
        se = LIFT_SE * abs(truth)
        tests.append(
            {
                "channel": channel,
                "start": first,
                "end": last,
                "incremental_revenue": truth + rng.normal(0.0, se),
                "standard_error": se,
            }
        )
    return tests


def run_one(
    api: CausalAPI, scenario: str, seed: int, days: int, methods: list[str]
) -> list[dict[str, object]]:
    """All rows (one per channel and method) for one world."""
    world = simulate_world(
        WorldSpec(
            seed=seed,
            scenario=cast(Scenario, scenario),
            start=START,
            end=START + timedelta(days=days + EXTRA_DAYS - 1),
            entities_per_channel=20,
        )
    )
    truth = world.truth(START, START + timedelta(days=days - 1))["channels"]
    full = wide_inputs(world, days + EXTRA_DAYS)
    head = full.iloc[:days]
    rows: list[dict[str, object]] = []
    variants: list[tuple[str, dict[str, Any]]] = [(m, {"attribution_model": m}) for m in methods]
    if scenario == "hard" and "mmm" in methods:
        variants.append(
            ("mmm+lift", {"attribution_model": "mmm", "lift_tests": lift_tests(world, days, seed)})
        )
    for name, kwargs in variants:
        t0 = time.perf_counter()
        res = api.analyze_attribution(
            head, list(CHANNELS), ["revenue"], [], "date", cross_validation=False, seed=seed, **kwargs
        )
        elapsed = time.perf_counter() - t0
        refit = api.analyze_attribution(
            full, list(CHANNELS), ["revenue"], [], "date", cross_validation=False, seed=seed, **kwargs
        )
        for ch in CHANNELS:
            e, true = res.effects[ch], truth[ch]["iroas"]
            rows.append(
                {
                    "scenario": scenario,
                    "seed": seed,
                    "channel": ch,
                    "method": name,
                    "true": true,
                    "est": e.incremental_roas,
                    "low": e.iroas_ci_lower,
                    "high": e.iroas_ci_upper,
                    "time": elapsed,
                    "stability": abs(refit.effects[ch].incremental_roas - e.incremental_roas)
                    / max(abs(e.incremental_roas), 1e-9),
                }
            )
    naive = revenue_on_spend(head[list(CHANNELS)].to_numpy(), head["revenue"].to_numpy(), CHANNELS)
    window = world.daily[world.daily["date"] < pd.Timestamp(START + timedelta(days=days))]
    rate = world.fx_of(window)
    platform = platform_roas(
        window.assign(spend=window["spend"] * rate, platform_revenue=window["platform_revenue"] * rate)
    )
    for ch in CHANNELS:
        for name, value in (("naive_ols", naive[ch]), ("platform_roas", platform[ch])):
            rows.append(
                {
                    "scenario": scenario,
                    "seed": seed,
                    "channel": ch,
                    "method": name,
                    "true": truth[ch]["iroas"],
                    "est": value,
                    "low": np.nan,
                    "high": np.nan,
                    "time": np.nan,
                    "stability": np.nan,
                }
            )
    return rows


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, channel and method: APE, bias, coverage, width, time, stability."""
    f = frame.assign(
        ape=(frame["est"] - frame["true"]).abs() / frame["true"],
        bias=(frame["est"] - frame["true"]) / frame["true"],
        covered=(frame["low"] <= frame["true"]) & (frame["true"] <= frame["high"]),
        width=(frame["high"] - frame["low"]) / frame["true"],
    )
    g = f.groupby(["scenario", "channel", "method"], sort=False)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "median_ape": g["ape"].median(),
            "mean_ape": g["ape"].mean(),
            "bias": g["bias"].mean(),
            "coverage": g["covered"].mean(),
            "rel_width": g["width"].median(),
            "fit_s": g["time"].median(),
            "stability": g["stability"].median(),
        }
    )
    interval_free = out.index.get_level_values("method").isin(["naive_ols", "platform_roas"])
    out.loc[interval_free, ["coverage", "rel_width", "fit_s", "stability"]] = np.nan
    return out.reset_index()


def markdown(table: pd.DataFrame) -> str:
    """A GitHub markdown table (no tabulate dependency)."""

    def cell(v: object) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines).replace("nan", "–")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--scenarios", nargs="+", default=["easy", "default", "hard", "drift"])
    parser.add_argument("--methods", nargs="+", default=["mmm", "dml"])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--raw", default="", help="optional CSV path for the per-seed rows")
    args = parser.parse_args()
    api = CausalAPI()
    rows: list[dict[str, object]] = []
    for scenario in args.scenarios:
        for seed in range(args.seeds):
            rows += run_one(api, scenario, seed, args.days, args.methods)
            print(f"{scenario} seed {seed} done", flush=True)
    frame = pd.DataFrame(rows)
    if args.raw:
        frame.to_csv(args.raw, index=False)
    table = summarise(frame)
    print(f"\nseeds={args.seeds} days={args.days}")
    print(markdown(table))
    mmm = frame[frame["method"] == "mmm"]
    covered = ((mmm["low"] <= mmm["true"]) & (mmm["true"] <= mmm["high"])).groupby(mmm["scenario"]).mean()
    print("\nMMM coverage over all channels per scenario:", covered.round(3).to_dict())


if __name__ == "__main__":
    main()
