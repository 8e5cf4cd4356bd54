"""Causal-accuracy benchmark of ``liftos.causal`` against the sandbox's ground truth.

For each scenario and seed: simulate a world, give the estimator what the pipeline has (daily spend per
channel in the reporting currency, store revenue declared as money in that currency — or, in the
``orders`` world, the store's orders, a count), compare iROAS with the counterfactual truth.
Reports per scenario, channel and method: median / mean APE, bias, 95 % interval coverage, relative
interval width, verdict rates and the coverage of the channels called identified or weak, the
trailing 90-day iROAS against its truth, fit time (with the default 2-fold rolling-origin CV),
optionally refresh stability (``--stability``: refit with 7 more days), naive baselines, and on
``hard`` the gain from lift-test calibration. ``--methods`` picks the estimators (``mmm``, ``dml``,
``causal_forest``); the econml ones are compared with ``mmm`` (median APE ratio, coverage of the
channels they call identified or weak), and the forest's per-season effects
(``get_heterogeneity()``) with the per-season truth (``World.season_truth``: coverage, rank
correlation, exact order, pairwise order, confidently wrong pairs). ``--forest-first-stage constant``
gives the forest the constant-level response model's transform instead of the time-varying one's.

    .venv/bin/python -W ignore bench/causal_accuracy.py --seeds 20 --workers 2 --raw /tmp/rows.csv
    .venv/bin/python -W ignore bench/causal_accuracy.py --seeds 20 --workers 2 \
        --scenarios default easy seasonal --methods mmm dml causal_forest
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy.stats import spearmanr  # type: ignore[import-untyped]

from liftos.causal import CausalAPI, CausalResults
from liftos.causal.baselines import platform_roas, revenue_on_spend
from liftos.causal.estimators import causal_forest, media_treatment
from liftos.causal.heterogeneity import SEASONS
from liftos_sandbox.scenarios import SCENARIOS, Scenario, scenario_params
from liftos_sandbox.world import CHANNELS, World, WorldSpec, simulate_world

START = date(2024, 1, 1)
EXTRA_DAYS = 7
LIFT_SE = 0.15  # lift tests: relative standard error of the measured lift
LIFT_DAYS = 28
CURRENT_DAYS = 90


def wide_inputs(world: World, days: int) -> pd.DataFrame:
    """Daily spend per channel (reporting currency), store revenue and orders for the first ``days``
    days."""
    daily = world.daily
    spend = daily.assign(spend_r=daily["spend"] * world.fx_of(daily))
    wide = spend.pivot_table(index="date", columns="channel", values="spend_r", aggfunc="sum", fill_value=0.0)
    outcome = world.outcome.iloc[:days]
    wide = wide.reindex(pd.to_datetime(outcome["date"]), fill_value=0.0)[list(CHANNELS)].reset_index()
    wide["revenue"] = outcome["revenue"].to_numpy()
    wide["orders"] = outcome["orders"].to_numpy().astype(float)
    return pd.DataFrame(wide)


def truths(world: World, outcome: str, start: date, end: date) -> dict[str, float]:
    """True iROAS per channel over ``start..end`` in the outcome's unit (per unit of spend)."""
    if outcome == "orders":
        return {c: v["orders_per_spend"] for c, v in world.orders_truth(start, end).items()}
    return {c: float(v["iroas"]) for c, v in world.truth(start, end)["channels"].items()}


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


def season_rows(
    res: CausalResults, world: World, scenario: str, seed: int, end: date
) -> list[dict[str, object]]:
    """The forest's per-season iROAS (``get_heterogeneity()``) against the per-season truth."""
    truth = world.season_truth(START, end)
    table = res.get_heterogeneity()
    table = table[table["group"] == "season"]
    return [
        {
            "scenario": scenario,
            "seed": seed,
            "channel": row.channel,
            "method": res.method,
            "season": row.level,
            "true": truth[str(row.channel)][str(row.level)]["iroas"],
            "est": row.incremental_roas,
            "low": row.iroas_ci_lower,
            "high": row.iroas_ci_upper,
        }
        for row in table.itertuples(index=False)
    ]


def accuracy_world(scenario: str, seed: int, days: int) -> World:
    """The benchmark's world: ``days`` fitted days from :data:`START` plus :data:`EXTRA_DAYS` more."""
    return simulate_world(
        WorldSpec(
            seed=seed,
            scenario=cast(Scenario, scenario),
            start=START,
            end=START + timedelta(days=days + EXTRA_DAYS - 1),
            entities_per_channel=20,
        )
    )


def run_one(
    scenario: str,
    seed: int,
    days: int,
    methods: list[str],
    cv: bool,
    stability: bool,
    options: dict[str, Any],
) -> list[dict[str, object]]:
    """All rows (one per channel and method) for one world."""
    api = CausalAPI()
    world = accuracy_world(scenario, seed, days)
    outcome = scenario_params(cast(Scenario, scenario)).outcome
    end = START + timedelta(days=days - 1)
    truth = truths(world, outcome, START, end)
    recent = truths(world, outcome, end - timedelta(days=CURRENT_DAYS - 1), end)
    units = {"outcome_currency": "USD", "spend_currency": "USD"} if outcome == "revenue" else {}
    full = wide_inputs(world, days + EXTRA_DAYS)
    head = full.iloc[:days]
    rows: list[dict[str, object]] = []
    variants: list[tuple[str, dict[str, Any]]] = [(m, {"attribution_model": m}) for m in methods]
    if scenario == "hard" and "mmm" in methods:
        variants.append(
            ("mmm+lift", {"attribution_model": "mmm", "lift_tests": lift_tests(world, days, seed)})
        )
    for name, kwargs in variants:
        call = dict(kwargs, **units, **(options if name.startswith("mmm") else {}))
        t0 = time.perf_counter()
        res = api.analyze_attribution(
            head, list(CHANNELS), [outcome], [], "date", cross_validation=cv, seed=seed, **call
        )
        elapsed = time.perf_counter() - t0
        refit = (
            api.analyze_attribution(
                full, list(CHANNELS), [outcome], [], "date", cross_validation=False, seed=seed, **call
            )
            if stability
            else None
        )
        if res.heterogeneity is not None and outcome == "revenue":
            rows += season_rows(res, world, scenario, seed, end)
        for ch in CHANNELS:
            e = res.effects[ch]
            now = e.window(CURRENT_DAYS)
            rows.append(
                {
                    "scenario": scenario,
                    "seed": seed,
                    "channel": ch,
                    "method": name,
                    "true": truth[ch],
                    "est": e.incremental_roas,
                    "low": e.iroas_ci_lower,
                    "high": e.iroas_ci_upper,
                    "verdict": e.verdict,
                    "reason": e.verdict_reason,
                    "contraction": e.prior_contraction,
                    "true_90d": recent[ch],
                    "est_90d": now.incremental_roas if now else np.nan,
                    "low_90d": now.iroas_ci_lower if now else np.nan,
                    "high_90d": now.iroas_ci_upper if now else np.nan,
                    "model_accuracy": res.model_accuracy,
                    "baseline_accuracy": res.accuracy.get("baseline_accuracy", np.nan),
                    "time": elapsed,
                    "stability": abs(refit.effects[ch].incremental_roas - e.incremental_roas)
                    / max(abs(e.incremental_roas), 1e-9)
                    if refit is not None
                    else np.nan,
                }
            )
    naive = revenue_on_spend(head[list(CHANNELS)].to_numpy(), head[outcome].to_numpy(), CHANNELS)
    window = world.daily[world.daily["date"] < pd.Timestamp(START + timedelta(days=days))]
    rate = world.fx_of(window)
    platform = platform_roas(
        window.assign(spend=window["spend"] * rate, platform_revenue=window["platform_revenue"] * rate)
    )
    for ch in CHANNELS:
        baselines = [("naive_ols", naive[ch])] + (
            [("platform_roas", platform[ch])] if outcome == "revenue" else []
        )
        for name, value in baselines:
            rows.append(
                {
                    "scenario": scenario,
                    "seed": seed,
                    "channel": ch,
                    "method": name,
                    "true": truth[ch],
                    "est": value,
                }
            )
    return rows


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, channel and method: APE, bias, coverage, width, verdict rates, coverage of the
    channels called identified or weak, the 90-day APE and coverage, time, stability (whole-range
    rows; the per-season ones are :func:`season_summary`'s)."""
    if "season" in frame:
        frame = frame[frame["season"].isna()]
    f = frame.assign(
        ape=(frame["est"] - frame["true"]).abs() / frame["true"],
        bias=(frame["est"] - frame["true"]) / frame["true"],
        covered=(frame["low"] <= frame["true"]) & (frame["true"] <= frame["high"]),
        width=(frame["high"] - frame["low"]) / frame["true"],
        ape_90d=(frame["est_90d"] - frame["true_90d"]).abs() / frame["true_90d"],
        covered_90d=(frame["low_90d"] <= frame["true_90d"]) & (frame["true_90d"] <= frame["high_90d"]),
        trusted=frame["verdict"].isin(["identified", "weak"]),
    )
    g = f.groupby(["scenario", "channel", "method"], sort=False)
    trusted = f[f["trusted"]].groupby(["scenario", "channel", "method"], sort=False)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "median_ape": g["ape"].median(),
            "bias": g["bias"].mean(),
            "coverage": g["covered"].mean(),
            "rel_width": g["width"].median(),
            "identified": g["verdict"].apply(lambda v: float((v == "identified").mean())),
            "weak": g["verdict"].apply(lambda v: float((v == "weak").mean())),
            "not_identified": g["verdict"].apply(lambda v: float((v == "not_identified").mean())),
            "coverage_iw": trusted["covered"].mean(),
            "n_iw": trusted.size(),
            "ape_90d": g["ape_90d"].median(),
            "coverage_90d": g["covered_90d"].mean(),
            "fit_s": g["time"].median(),
            "stability": g["stability"].median(),
        }
    )
    interval_free = out.index.get_level_values("method").isin(["naive_ols", "platform_roas"])
    cols = ["coverage", "rel_width", "identified", "weak", "not_identified", "coverage_iw", "ape_90d"]
    out["n_iw"] = out["n_iw"].fillna(0).astype(int)
    out.loc[interval_free, [*cols, "coverage_90d", "fit_s", "stability"]] = np.nan
    return out.reset_index()


def wilson(covered: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval of a coverage rate ``covered`` observed over ``n`` seeds."""
    if n <= 0:
        return float("nan"), float("nan")
    centre = (covered + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(covered * (1 - covered) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def pooled_coverage(frame: pd.DataFrame) -> str:
    """Coverage of the 95 % intervals over every MMM channel-seed called identified or weak, pooled
    over the worlds run (the per-cell rates rest on 20 seeds: one miss moves them by 0.05-0.07)."""
    f = frame[(frame["method"] == "mmm") & frame["verdict"].isin(["identified", "weak"])]
    if f.empty:
        return "pooled coverage of identified/weak: no such channels"
    covered = (f["low"] <= f["true"]) & (f["true"] <= f["high"])
    low, high = wilson(float(covered.mean()), len(f))
    return (
        f"pooled coverage of identified/weak (all worlds run, n={len(f)}): "
        f"{covered.mean():.3f} [Wilson 95 % {low:.2f}-{high:.2f}]"
    )


def _order_stats(group: pd.DataFrame) -> pd.Series:
    """Per seed of one scenario/channel: rank correlation of estimated and true per-season iROAS,
    exact order, share of season pairs in the true order, share of pairs confidently wrong (intervals
    apart, wrong order)."""
    g = group.set_index("season").reindex(list(SEASONS))
    true, est = g["true"].to_numpy(), g["est"].to_numpy()
    pairs = [(i, j) for i in range(len(true)) for j in range(i + 1, len(true))]
    right = [np.sign(true[i] - true[j]) == np.sign(est[i] - est[j]) for i, j in pairs]
    wrong = [
        not r and (g["low"].iloc[i] > g["high"].iloc[j] or g["low"].iloc[j] > g["high"].iloc[i])
        for r, (i, j) in zip(right, pairs, strict=True)
    ]
    return pd.Series(
        {
            "rho": float(spearmanr(true, est)[0]),
            "exact": float(all(right)),
            "pairs_right": float(np.mean(right)),
            "confident_wrong": float(np.mean(wrong)),
        }
    )


def season_summary(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forest's per-season effects against the truth: per scenario, channel and season (median
    truth and estimate, coverage, median APE), and per scenario and channel the order statistics of
    :func:`_order_stats` (medians / shares over seeds) with the pooled coverage."""
    f = frame[frame["season"].notna()].assign(
        covered=lambda d: (d["low"] <= d["true"]) & (d["true"] <= d["high"]),
        ape=lambda d: (d["est"] - d["true"]).abs() / d["true"],
    )
    keys = ["scenario", "channel", "method"]
    per_season = (
        f.groupby([*keys, "season"], sort=False)
        .agg(
            n=("seed", "size"),
            true=("true", "median"),
            est=("est", "median"),
            coverage=("covered", "mean"),
            median_ape=("ape", "median"),
        )
        .reset_index()
    )
    stats = f.groupby([*keys, "seed"], sort=False)[["season", "true", "est", "low", "high"]].apply(
        _order_stats
    )
    order = stats.groupby(keys, sort=False).agg(
        seeds=("rho", "size"),
        median_rho=("rho", "median"),
        exact_order=("exact", "mean"),
        pairs_right=("pairs_right", "mean"),
        confident_wrong=("confident_wrong", "mean"),
    )
    order["coverage"] = f.groupby(keys, sort=False)["covered"].mean()
    return per_season, order.reset_index()


def pooled_ape(frame: pd.DataFrame, scenario: str, method: str) -> float:
    """Median APE over the seeds and the two big channels (meta, google_ads) pooled."""
    rows = frame[
        (frame["scenario"] == scenario)
        & (frame["method"] == method)
        & frame["channel"].isin(["meta", "google_ads"])
        & (frame["season"].isna() if "season" in frame else True)
    ]
    return float(((rows["est"] - rows["true"]).abs() / rows["true"]).median())


def econml_checks(frame: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """The econml estimators against ``mmm`` on ``default`` and ``easy``: median APE within 1.5x of
    mmm's (the two big channels pooled, and per channel), coverage 0.85-0.97 of the channels they
    call identified or weak."""
    lines = []
    for scenario in ("default", "easy"):
        rows = table[table["scenario"] == scenario]
        ref = rows[rows["method"] == "mmm"].set_index("channel")
        for method in ("dml", "causal_forest"):
            mine = rows[rows["method"] == method].set_index("channel")
            if mine.empty or ref.empty:
                continue
            ratio = pooled_ape(frame, scenario, method) / pooled_ape(frame, scenario, "mmm")
            verdict = "PASS" if ratio <= 1.5 else "FAIL"
            lines.append(f"{verdict} {scenario}/{method} APE / mmm APE (meta + google pooled) = {ratio:.2f}")
            for channel, row in mine.iterrows():
                r = float(row["median_ape"] / ref.loc[channel, "median_ape"])
                lines.append(
                    f"{'PASS' if r <= 1.5 else 'FAIL'} {scenario}/{method}/{channel} APE / mmm APE = {r:.2f}"
                )
                if row["identified"] + row["weak"] > 0:
                    ok = 0.85 <= row["coverage_iw"] <= 0.97
                    lines.append(
                        f"{'PASS' if ok else 'FAIL'} {scenario}/{method}/{channel} coverage where not "
                        f"not_identified = {row['coverage_iw']:.2f}"
                    )
    return lines


def target_checks(table: pd.DataFrame) -> list[str]:
    """The issue's targets, each as a line with PASS / FAIL (MMM rows); coverage lines carry the
    Wilson 95 % interval of the rate over the seeds behind it."""
    lines = []
    mmm = table[table["method"] == "mmm"]
    for row in mmm.itertuples(index=False):
        trusted = row.identified + row.weak
        if trusted > 0 and not 0.90 <= row.coverage_iw <= 0.97:
            low, high = wilson(row.coverage_iw, int(row.n_iw))
            lines.append(
                f"FAIL coverage of identified/weak {row.scenario}/{row.channel}: {row.coverage_iw:.2f} "
                f"(n={int(row.n_iw)}, Wilson 95 % {low:.2f}-{high:.2f})"
            )
        if row.coverage < 0.90 and row.not_identified < 0.90:
            lines.append(
                f"FAIL {row.scenario}/{row.channel} misses in {1 - row.coverage:.0%} of seeds but is "
                f"not_identified in only {row.not_identified:.0%}"
            )
    revenue = mmm[mmm["scenario"] == "default"]
    if len(revenue):
        ref = float(revenue[revenue["channel"].isin(["meta", "google_ads"])]["median_ape"].median())
        for scenario in ("orders", "high_return"):
            other = mmm[(mmm["scenario"] == scenario) & mmm["channel"].isin(["meta", "google_ads"])]
            if len(other):
                ratio = float(other["median_ape"].median()) / ref
                lines.append(
                    f"{'PASS' if ratio <= 1.5 else 'FAIL'} {scenario} APE / default APE = {ratio:.2f}"
                )
    drift = mmm[(mmm["scenario"] == "drift") & (mmm["channel"] == "meta")]
    if len(drift):
        value = float(drift["ape_90d"].iloc[0])
        lines.append(f"{'PASS' if value <= 0.20 else 'FAIL'} drift meta 90-day median APE = {value:.3f}")
    return lines or ["PASS all coverage / verdict targets"]


def markdown(table: pd.DataFrame) -> str:
    """A GitHub markdown table (no tabulate dependency)."""

    def cell(v: object) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines).replace("nan", "–")


def _job(args: tuple[str, int, int, list[str], bool, bool, dict[str, Any]]) -> list[dict[str, object]]:
    return run_one(*args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--methods", nargs="+", default=["mmm"])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--no-cv", action="store_true", help="skip the rolling-origin CV (no OOS check)")
    parser.add_argument("--stability", action="store_true", help="also refit with 7 more days")
    parser.add_argument(
        "--option", action="append", default=[], help="ModelSpec field=value (Python literal)"
    )
    parser.add_argument("--workers", type=int, default=1, help="processes (at most 2 on the shared machine)")
    parser.add_argument(
        "--raw", default="", help="optional CSV path for the per-seed rows (rewritten after every world)"
    )
    parser.add_argument(
        "--first-stage-draws",
        type=int,
        default=None,
        help="posterior draws of the transform the econml intervals mix over (0: econml's inference alone)",
    )
    parser.add_argument(
        "--forest-first-stage",
        choices=["varying", "constant"],
        default="varying",
        help="causal_forest's treatments: the response model with time-varying (shipped) or constant levels",
    )
    parser.add_argument("--from-raw", default="", help="summarise the rows of an earlier --raw CSV instead")
    args = parser.parse_args()
    if args.from_raw:
        report(pd.read_csv(args.from_raw), f"rows of {args.from_raw}")
        return
    if args.first_stage_draws is not None:  # before the workers fork
        media_treatment.FIRST_STAGE_DRAWS = args.first_stage_draws
    causal_forest.VARYING_FIRST_STAGE = args.forest_first_stage == "varying"
    options: dict[str, Any] = {}
    for item in args.option:
        key, value = item.split("=", 1)
        options[key] = eval(value, {"__builtins__": {}})
    jobs = [
        (scenario, seed, args.days, args.methods, not args.no_cv, args.stability, options)
        for seed in range(args.first_seed, args.first_seed + args.seeds)  # seed-major: a cut run stays even
        for scenario in args.scenarios
    ]
    rows: list[dict[str, object]] = []
    with ProcessPoolExecutor(max_workers=max(1, min(args.workers, 2))) as pool:
        for job, result in zip(jobs, pool.map(_job, jobs), strict=True):
            rows += result
            print(f"{job[0]} seed {job[1]} done", flush=True)
            if args.raw:  # an interrupted run keeps the worlds it finished
                pd.DataFrame(rows).to_csv(args.raw, index=False)
    title = f"seeds={args.seeds} days={args.days} cv={not args.no_cv} options={options}"
    report(pd.DataFrame(rows), f"{title} forest_first_stage={args.forest_first_stage}")


def report(frame: pd.DataFrame, title: str) -> None:
    """Print the summary table, the target checks and the per-season comparison of ``frame``'s rows."""
    table = summarise(frame)
    print(f"\n{title}")
    print(markdown(table))
    print("\n" + "\n".join(target_checks(table) + econml_checks(frame, table)))
    print(pooled_coverage(frame))
    if "season" in frame and frame["season"].notna().any():
        per_season, order = season_summary(frame)
        print("\nPer-season effects (causal_forest, get_heterogeneity) against World.season_truth:")
        print(markdown(per_season))
        print()
        print(markdown(order))


if __name__ == "__main__":
    main()
