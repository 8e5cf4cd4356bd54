"""How the econml estimators' nuisance models change the coefficient they re-estimate.

For each seed of a sandbox world, the response model is fitted once and its MAP transform gives the
treatments (each channel's contribution relative to the baseline, whitened), as in
:class:`liftos.causal.estimators.media_treatment.MediaTreatment`; then the linear stage's coefficient
θ_c (1 = the size the response model found) is estimated three ways:

- ``least_squares``: econml ``LinearDML`` with least-squares nuisances fitted on all periods (shipped,
  :func:`liftos.causal.estimators.econml_features.fit_linear_dml`);
- ``ridge_cv3``: ``LinearDML`` with ridge nuisances whose penalties are chosen by leave-one-out CV, one
  for the outcome and one per treatment, and 3-fold cross-fitting (the design before);
- ``ols``: the coefficient of the treatments in one least-squares regression of the outcome on the
  treatments and the controls (Frisch–Waugh–Lovell: equal to ``least_squares``; a check).

Printed per channel and variant: the median and mean relative error of the implied whole-range iROAS
(θ_c × the MAP contribution / spend) against the truth, its median APE, and the median θ.

    .venv/bin/python -W ignore bench/econml_nuisance.py --seeds 40
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from causal_accuracy import EXTRA_DAYS, START, accuracy_world, markdown, truths, wide_inputs

from liftos.causal import CausalAPI
from liftos.causal.estimators.econml_features import fit_linear_dml
from liftos.causal.estimators.media_treatment import MediaTreatment
from liftos.causal.spec import ModelSpec
from liftos_sandbox.world import CHANNELS

RIDGE_ALPHAS = np.logspace(-3, 3, 13)


def ridge_cv3(y: np.ndarray, treatments: np.ndarray, controls: np.ndarray, seed: int) -> np.ndarray:
    """θ ``(C,)`` of LinearDML with LOO-CV ridge nuisances and 3-fold cross-fitting."""
    from econml.dml import LinearDML
    from sklearn.linear_model import Ridge, RidgeCV  # type: ignore[import-untyped]

    alpha_y = float(RidgeCV(alphas=RIDGE_ALPHAS).fit(controls, y).alpha_)
    alpha_t = RidgeCV(alphas=RIDGE_ALPHAS, alpha_per_target=True).fit(controls, treatments).alpha_
    est = LinearDML(model_y=Ridge(alpha=alpha_y), model_t=Ridge(alpha=alpha_t), cv=3, random_state=seed)
    est.fit(y, treatments, X=None, W=controls)
    return np.ravel(np.asarray(est.intercept_, dtype=np.float64))


def run_seed(args: tuple[str, int, int]) -> list[dict[str, Any]]:
    """One row per channel and variant for one world."""
    scenario, seed, days = args
    world = accuracy_world(scenario, seed, days)
    truth = truths(world, "revenue", START, START + timedelta(days=days - 1))
    frame = wide_inputs(world, days + EXTRA_DAYS).iloc[:days]
    data = CausalAPI().prepare_causal_data(
        frame, list(CHANNELS), ["revenue"], [], "date", outcome_currency="USD", spend_currency="USD"
    )
    spec = ModelSpec(cross_validation=False, seed=seed, attribution_model="dml")
    mt, _ = MediaTreatment.build(data, spec, (), False)
    y, treatments, controls = mt.outcome_rows(), mt.treatment_rows(0), mt.control_rows()
    thetas = {
        "least_squares": fit_linear_dml(y, treatments, controls, spec)[0],
        "ridge_cv3": ridge_cv3(y, treatments, controls, seed),
        "ols": np.linalg.lstsq(np.column_stack([treatments, controls]), y, rcond=None)[0][: len(CHANNELS)],
    }
    mmm = mt.contributions(0)[: data.n_periods].sum(axis=0) / data.spend.sum(axis=0)
    rows = []
    for variant, theta in thetas.items():
        for c, channel in enumerate(CHANNELS):
            rows.append(
                {
                    "scenario": scenario,
                    "seed": seed,
                    "channel": channel,
                    "variant": variant,
                    "theta": float(theta[c]),
                    "rel_error": float(theta[c] * mmm[c] / truth[channel] - 1.0),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--scenarios", nargs="+", default=["default"])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    jobs = [(s, seed, args.days) for s in args.scenarios for seed in range(args.seeds)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        frame = pd.DataFrame([row for rows in pool.map(run_seed, jobs) for row in rows])
    summary = (
        frame.groupby(["scenario", "channel", "variant"])
        .agg(
            n=("seed", "size"),
            median_rel_error=("rel_error", "median"),
            mean_rel_error=("rel_error", "mean"),
            median_ape=("rel_error", lambda e: float(np.median(np.abs(e)))),
            median_theta=("theta", "median"),
        )
        .reset_index()
    )
    print(markdown(summary))


if __name__ == "__main__":
    main()
