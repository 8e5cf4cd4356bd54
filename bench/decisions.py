"""Decisions benchmark: budget plans and experiment plans scored against the sandbox's true response.

For each scenario and seed: simulate 730 days plus a future, fit the default ``mmm`` estimator on the
730 days (what the pipeline has: daily spend per channel and store revenue, both USD), then

1. **Budget plans** for the next ``--horizon`` days with the last 28 days' spend rate as the budget,
   under each constraint set (``free``: any split of the budget; ``max_change_30``: each channel within
   ±30 % of its current allocation, Meridian's default spend constraint): the expected-outcome plan,
   the risk-aware plans (``risk=0.05``, the engine's default, and ``0.1``) and the expected plan
   without holding the channels the model calls ``not_identified`` (``expected_no_hold``). The
   sandbox replays each allocation (even daily spend) on the same demand path
   (:meth:`liftos_sandbox.World.plan_outcome`): the true incremental revenue of the plan, of the
   current allocation, and of the **oracle** — the same optimiser
   (:func:`liftos.causal.budget.allocate`) run on the true response under the same limits.
   ``share`` = (plan − current) / (oracle − current) of the true revenue; ``loss`` = (plan − current)
   / current (negative = the plan loses against keeping the current allocation). ``--misallocate S``
   compares with a current allocation that is not the world's own mix: share ``S`` of the largest
   channel's allocation moved to the second largest (the model is fitted on the same history; only the
   allocation the plan starts from and is scored against changes), to see how much of a larger gain on
   offer the plans capture.
2. **The top-ranked experiment** of ``plan_experiments(0.3)`` is run in the sandbox on the last
   ``days`` days of the fitted range (:meth:`World.lift_test`: the channel's spend scaled, the outcome
   lost measured with noise); the model is refit with the measured lift, and the channel's iROAS
   interval width after calibration is compared with the width the plan predicted; the APE of its
   iROAS before and after against the truth of the fitted range.

    .venv/bin/python -W ignore bench/decisions.py --seeds 20 --workers 2 --raw /tmp/decisions.csv
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from causal_accuracy import markdown, wide_inputs

from liftos.causal import CausalAPI, CausalResults
from liftos.causal.budget import BudgetPlan, ChannelLimits, allocate, current_allocation
from liftos_sandbox import World
from liftos_sandbox.media import MAX_LAG
from liftos_sandbox.scenarios import Scenario
from liftos_sandbox.world import CHANNELS, WorldSpec, simulate_world

START = date(2024, 1, 1)
DAYS = 730
RISKS = (0.05, 0.1)  # the first is the headline risk-aware plan (the engine's default)
TARGET_WIDTH = 0.3
CONSTRAINTS: dict[str, dict[str, Any]] = {"free": {}, "max_change_30": {"max_change": 0.3}}
HEADLINE = "max_change_30"


def true_objective(world: World, start: date, days: int) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Total true incremental revenue of an allocation (money per channel over ``days`` days, even
    daily spend from ``start``) and its gradient by central differences."""

    def value(x: np.ndarray) -> float:
        plan = {c: np.full(days, max(float(v), 0.0) / days) for c, v in zip(CHANNELS, x, strict=True)}
        return float(sum(world.plan_outcome(start, plan).values()))

    def value_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        step = 1e-4 * max(float(np.sum(x)), 1.0)
        grad = np.array([(value(x + step * e) - value(x - step * e)) / (2 * step) for e in np.eye(len(x))])
        return value(x), grad

    return value_and_gradient


def _limits(plan: BudgetPlan) -> ChannelLimits:
    lows = np.array([c.low for c in plan.channels])
    highs = np.array([c.high for c in plan.channels])
    rules = tuple(c.low_rule for c in plan.channels), tuple(c.high_rule for c in plan.channels)
    return ChannelLimits(tuple(c.channel for c in plan.channels), lows, highs, *rules)


def _vector(allocation: dict[str, float]) -> np.ndarray:
    return np.array([allocation[c] for c in CHANNELS])


def misallocated(res: CausalResults, horizon: int, budget: float, share: float) -> dict[str, float] | None:
    """The recent spend mix scaled to ``budget`` with ``share`` of its largest channel's allocation
    moved to the second largest (None when ``share`` is 0: the plans' own default)."""
    if share <= 0:
        return None
    mix = current_allocation(res.response, horizon, budget)
    first, second = np.argsort(mix)[::-1][:2]
    moved = share * mix[first]
    mix[first] -= moved
    mix[second] += moved
    return {c: float(v) for c, v in zip(CHANNELS, mix, strict=True)}


def plan_rows(
    world: World, res: CausalResults, scenario: str, seed: int, horizon: int, misallocate: float = 0.0
) -> tuple[list[dict[str, object]], BudgetPlan]:
    """One row per constraint set and plan kind, with the truths; returns the headline plan too."""
    start = START + timedelta(days=DAYS)
    budget = res.recent_spend(28) * horizon / 28
    truth = true_objective(world, start, horizon)
    rows, headline = [], None
    base = {"current": misallocated(res, horizon, budget, misallocate)}
    for name, constraint in CONSTRAINTS.items():
        kwargs = constraint | base
        t0 = time.perf_counter()
        expected = res.optimize_budget(budget, horizon, **kwargs)
        plan_s = time.perf_counter() - t0
        careful = [(f"risk_{q}", res.optimize_budget(budget, horizon, risk=q, **kwargs)) for q in RISKS]
        free = res.optimize_budget(budget, horizon, hold_unidentified=False, **kwargs)
        careful.append(("expected_no_hold", free))
        headline = expected if name == HEADLINE else headline
        limits = _limits(free)  # the request's constraints, without the model's own holds
        current = _vector(expected.current_allocation)
        starts = [current, _vector(expected.allocation), *(_vector(p.allocation) for _, p in careful)]
        starts.append(np.full(len(CHANNELS), budget / len(CHANNELS)))
        oracle = allocate(truth, limits, budget, starts)
        true_current, true_oracle = truth(current)[0], truth(oracle)[0]
        for kind, plan in (("expected", expected), *careful):
            x = _vector(plan.allocation)
            true_plan = truth(x)[0]
            gain = true_oracle - true_current
            rows.append(
                {
                    "scenario": scenario,
                    "seed": seed,
                    "constraints": name,
                    "plan": kind,
                    "budget": budget,
                    "spent": float(np.sum(x)),
                    "true_current": true_current,
                    "true_plan": true_plan,
                    "true_oracle": true_oracle,
                    "oracle_gain_pct": gain / true_current,
                    "share": (true_plan - true_current) / gain if gain > 0 else math.nan,
                    "loss": (true_plan - true_current) / true_current,
                    "predicted_gain_pct": plan.gain / plan.current_outcome,
                    "probability_of_gain": plan.probability_of_gain,
                    "gain_covered": plan.gain_interval[0]
                    <= true_plan - true_current
                    <= plan.gain_interval[1],
                    "held": ",".join(sorted(plan.constraints["held"])),  # type: ignore[arg-type]
                    "moved": float(np.abs(x - current).sum() / (2 * budget)),
                    "oracle_moved": float(np.abs(oracle - current).sum() / (2 * budget)),
                    "plan_s": plan_s,
                }
            )
    assert headline is not None
    return rows, headline


def experiment_row(
    world: World, head: pd.DataFrame, res: CausalResults, plan: BudgetPlan, scenario: str, seed: int
) -> dict[str, object]:
    """Run the top-ranked test in the sandbox on the last ``days`` days, refit, compare with the plan."""
    top = res.plan_experiments(TARGET_WIDTH, plan=plan)[0]
    end = START + timedelta(days=DAYS - 1)
    first = end - timedelta(days=top.days - 1)
    test = world.lift_test(cast(Any, top.channel), first, end, top.spend_scale)
    refit = CausalAPI().analyze_attribution(
        head, list(CHANNELS), ["revenue"], [], "date", cross_validation=False, seed=seed,
        outcome_currency="USD", spend_currency="USD", lift_tests=[test.as_lift_test()],
    )  # fmt: skip
    truth = float(world.truth(START, end)["channels"][top.channel]["iroas"])
    before, after = res.effects[top.channel], refit.effects[top.channel]
    width_after = after.iroas_ci_upper - after.iroas_ci_lower
    scored = {}
    for q in (None, RISKS[0]):  # the plan after calibrating with the test's result
        replanned = refit.optimize_budget(
            plan.total_budget, plan.horizon_days, risk=q, current=plan.current_allocation,
            **CONSTRAINTS[HEADLINE],
        )  # fmt: skip
        truth_of = true_objective(world, START + timedelta(days=DAYS), plan.horizon_days)
        now, new = truth_of(_vector(plan.current_allocation))[0], truth_of(_vector(replanned.allocation))[0]
        scored[f"loss_after_{'expected' if q is None else f'risk_{q}'}"] = (new - now) / now
    return scored | {
        "scenario": scenario,
        "seed": seed,
        "channel": top.channel,
        "kind": top.kind,
        "days": top.days,
        "reaches_target": top.reaches_target,
        "width_before": top.current_width,
        "width_predicted": top.predicted_width,
        "width_after": width_after,
        "width_ratio": width_after / top.predicted_width,
        "rel_width_predicted": top.predicted_relative_width,
        "rel_width_after": width_after / after.incremental_roas,
        "se_predicted": top.predicted_se,
        "se_sandbox": test.standard_error,
        "z_measured": (test.incremental_revenue - test.true_lift) / test.standard_error,
        "ape_before": abs(before.incremental_roas - truth) / truth,
        "ape_after": abs(after.incremental_roas - truth) / truth,
        "covered_after": after.iroas_ci_lower <= truth <= after.iroas_ci_upper,
        "powered": top.powered,
        "verdict_before": before.verdict,
        "verdict_after": after.verdict,
    }


def run_one(
    scenario: str, seed: int, horizon: int, misallocate: float = 0.0
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The plan rows and the experiment row of one world."""
    world = simulate_world(
        WorldSpec(
            seed=seed,
            scenario=cast(Scenario, scenario),
            start=START,
            end=START + timedelta(days=DAYS + max(horizon, 56) + MAX_LAG),
            entities_per_channel=20,
        )
    )
    head = wide_inputs(world, DAYS)
    res = CausalAPI().analyze_attribution(
        head, list(CHANNELS), ["revenue"], [], "date", cross_validation=False, seed=seed,
        outcome_currency="USD", spend_currency="USD",
    )  # fmt: skip
    rows, headline = plan_rows(world, res, scenario, seed, horizon, misallocate)
    return rows, experiment_row(world, head, res, headline, scenario, seed)


def summarise_plans(frame: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, constraint set and plan kind: median share of the oracle's gain, losses."""
    g = frame.groupby(["scenario", "constraints", "plan"], sort=False)
    return pd.DataFrame(
        {
            "n": g.size(),
            "median_share": g["share"].median(),
            "share_q25": g["share"].quantile(0.25),
            "mean_share": g["share"].mean(),
            "median_gain_pct": g["loss"].median() * 100,
            "oracle_gain_pct": g["oracle_gain_pct"].median() * 100,
            "worst_pct": g["loss"].min() * 100,
            "loses_over_2pct": g["loss"].apply(lambda v: float((v < -0.02).mean())),
            "loses_any": g["loss"].apply(lambda v: float((v < 0).mean())),
            "gain_coverage": g["gain_covered"].mean(),
            "moved": g["moved"].median(),
            "oracle_moved": g["oracle_moved"].median(),
            "budget_error": g.apply(
                lambda d: float((d["spent"] - d["budget"]).abs().max()), include_groups=False
            ),
            "plan_s": g["plan_s"].median(),
        }
    ).reset_index()


def summarise_experiments(frame: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: predicted vs realised interval width of the top-ranked test's channel, APE."""
    g = frame.groupby("scenario", sort=False)
    return pd.DataFrame(
        {
            "n": g.size(),
            "channels": g["channel"].apply(
                lambda v: ", ".join(f"{k} {n}" for k, n in v.value_counts().items())
            ),
            "median_days": g["days"].median(),
            "width_ratio_median": g["width_ratio"].median(),
            "within_30pct": g["width_ratio"].apply(lambda v: float(((v >= 0.7) & (v <= 1.3)).mean())),
            "narrowing_predicted": (1 - g["width_predicted"].sum() / g["width_before"].sum()),
            "narrowing_realised": (1 - g["width_after"].sum() / g["width_before"].sum()),
            "se_ratio": g.apply(
                lambda d: float((d["se_predicted"] / d["se_sandbox"]).median()), include_groups=False
            ),
            "z_sd": g["z_measured"].std(),
            "ape_before": g["ape_before"].mean(),
            "ape_after": g["ape_after"].mean(),
            "coverage_after": g["covered_after"].mean(),
            "gain_pct_after_expected": g["loss_after_expected"].median() * 100,
            "loses_2pct_after_expected": g["loss_after_expected"].apply(lambda v: float((v < -0.02).mean())),
            f"loses_2pct_after_risk_{RISKS[0]}": g[f"loss_after_risk_{RISKS[0]}"].apply(
                lambda v: float((v < -0.02).mean())
            ),
        }
    ).reset_index()


def _job(args: tuple[str, int, int, float]) -> tuple[list[dict[str, object]], dict[str, object]]:
    return run_one(*args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--scenarios", nargs="+", default=["default", "hard"])
    parser.add_argument("--horizon", type=int, default=28, help="days of the budget plan")
    parser.add_argument("--workers", type=int, default=1, help="processes (at most 2 on the shared machine)")
    parser.add_argument("--raw", default="", help="optional CSV path prefix for the per-seed rows")
    parser.add_argument(
        "--misallocate",
        type=float,
        default=0.0,
        help="share of the largest channel's current allocation moved to the second largest (0: as is)",
    )
    args = parser.parse_args()
    jobs = [
        (scenario, seed, args.horizon, args.misallocate)
        for scenario in args.scenarios
        for seed in range(args.first_seed, args.first_seed + args.seeds)
    ]
    plans: list[dict[str, object]] = []
    tests: list[dict[str, object]] = []
    with ProcessPoolExecutor(max_workers=max(1, min(args.workers, 2))) as pool:
        for job, (rows, test) in zip(jobs, pool.map(_job, jobs), strict=True):
            plans += rows
            tests.append(test)
            print(f"{job[0]} seed {job[1]} done", flush=True)
    plan_frame, test_frame = pd.DataFrame(plans), pd.DataFrame(tests)
    if args.raw:
        plan_frame.to_csv(f"{args.raw}.plans.csv", index=False)
        test_frame.to_csv(f"{args.raw}.tests.csv", index=False)
    print(
        f"\nseeds={args.seeds} horizon={args.horizon} days, budget = last 28 days' spend rate, "
        f"misallocate={args.misallocate}"
    )
    print(markdown(summarise_plans(plan_frame)))
    print()
    print(markdown(summarise_experiments(test_frame)))


if __name__ == "__main__":
    main()
