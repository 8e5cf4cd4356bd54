"""Generality check of ``liftos.causal`` on data the sandbox did not make.

1. PyMC-Marketing's example (``tests/data/mmm_example.csv``, weekly, 179 rows; true contributions
   x1 ≈ 274,848 and x2 ≈ 65,906; the outcome is not money in the spend's currency), fitted with the
   defaults (so the unit-free share prior applies).
2. Worlds from :func:`tests.liftos.causal.causal_worlds.independent_world` (weekly, 6 channels by
   default, outcome in units, logistic saturation, delayed carryover, additive noise): APE of each
   channel's contribution, 95 % coverage, verdict rates, fit time.

    .venv/bin/python -W ignore bench/causal_external.py --seeds 20 --channels 6 --periods 156
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from liftos.causal import CausalAPI
from tests.liftos.causal.causal_worlds import independent_world

CSV = Path(__file__).resolve().parents[1] / "tests" / "data" / "mmm_example.csv"
TRUE_EXAMPLE = {"x1": 274_848.0, "x2": 65_906.0}


def example_rows() -> list[dict[str, object]]:
    """The PyMC-Marketing example with the engine's defaults."""
    frame = pd.read_csv(CSV)
    frame["date_week"] = pd.to_datetime(frame["date_week"], format="%m/%d/%Y")
    t0 = time.perf_counter()
    res = CausalAPI().analyze_attribution(
        frame,
        ["x1", "x2"],
        ["y"],
        ["event_1", "event_2"],
        "date_week",
        holidays_country=None,
        retail_events=False,
    )
    elapsed = time.perf_counter() - t0
    return [
        _row("mmm_example", 0, ch, truth, res.effects[ch], elapsed, res.metadata.get("effect_prior", ""))
        for ch, truth in TRUE_EXAMPLE.items()
    ]


def _row(
    world: str, seed: int, channel: str, truth: float, e: object, elapsed: float, prior: object
) -> dict[str, object]:
    lift, low, high = e.revenue_lift, e.ci_lower, e.ci_upper  # type: ignore[attr-defined]
    return {
        "world": world,
        "seed": seed,
        "channel": channel,
        "true": truth,
        "est": lift,
        "ape": abs(lift - truth) / truth,
        "covered": low <= truth <= high,
        "verdict": e.verdict,  # type: ignore[attr-defined]
        "time": elapsed,
        "prior": prior,
    }


def independent_rows(seed: int, periods: int, channels: int, weekly: bool) -> list[dict[str, object]]:
    """One independent world fitted with the defaults."""
    world = independent_world(seed, periods, channels, weekly)
    names = [c for c in world.frame.columns if c.startswith("x")]
    t0 = time.perf_counter()
    res = CausalAPI().analyze_attribution(world.frame, names, ["y"], [], "date", seed=seed)
    elapsed = time.perf_counter() - t0
    label = f"independent_{'weekly' if weekly else 'daily'}_{channels}ch"
    return [
        _row(
            label,
            seed,
            ch,
            world.contribution[ch],
            res.effects[ch],
            elapsed,
            res.metadata.get("effect_prior", ""),
        )
        for ch in names
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--periods", type=int, default=156)
    parser.add_argument("--channels", type=int, default=6)
    parser.add_argument("--daily", action="store_true")
    parser.add_argument("--raw", default="")
    args = parser.parse_args()
    rows = example_rows()
    for seed in range(args.seeds):
        rows += independent_rows(seed, args.periods, args.channels, not args.daily)
        print(f"seed {seed} done", flush=True)
    frame = pd.DataFrame(rows)
    if args.raw:
        frame.to_csv(args.raw, index=False)
    print(
        frame[frame["world"] == "mmm_example"][
            ["channel", "true", "est", "ape", "covered", "verdict", "time", "prior"]
        ]
    )
    ind = frame[frame["world"] != "mmm_example"]
    trusted = ind[ind["verdict"].isin(["identified", "weak"])]
    summary = {
        "channels": len(ind),
        "median_ape": float(ind["ape"].median()),
        "coverage": float(ind["covered"].mean()),
        "coverage_identified_or_weak": float(trusted["covered"].mean()) if len(trusted) else np.nan,
        "identified": float((ind["verdict"] == "identified").mean()),
        "weak": float((ind["verdict"] == "weak").mean()),
        "not_identified": float((ind["verdict"] == "not_identified").mean()),
        "median_ape_identified_or_weak": float(trusted["ape"].median()) if len(trusted) else np.nan,
        "fit_s": float(ind.groupby("seed")["time"].first().median()),
    }
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in summary.items()})


if __name__ == "__main__":
    main()
