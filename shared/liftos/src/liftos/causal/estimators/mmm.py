"""``"mmm"``: the default estimator: adstock → Hill response per channel on a log-linear calendar
baseline with AR errors (see :mod:`liftos.causal.model`), calibrated by lift tests when given.

When to trust it: spend varies for reasons other than demand you cannot see (pulses, dark periods,
budget changes) and the calendar controls capture the foreseeable demand that spend follows. It cannot
remove bias from spend that reacts to unobserved demand shocks (the sandbox ``hard`` scenario); lift
tests can. Small channels are weakly identified: their intervals are wide and lean on the iROAS prior.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liftos.causal.data import CausalDataset
from liftos.causal.estimators.base import Estimator, channel_effect, r2_and_mape
from liftos.causal.fit import MMMFit, fit_mmm, forecast_accuracy, one_step_residuals, response_curve
from liftos.causal.frames import MULTIPLIERS, decomposition_frame, response_frame
from liftos.causal.lift import LiftTest
from liftos.causal.results import CausalResults
from liftos.causal.spec import ModelSpec
from liftos.causal.temporal import temporal_effects

__all__ = ["MMMEstimator", "accuracy_of"]


def accuracy_of(data: CausalDataset, spec: ModelSpec, fitted: np.ndarray) -> tuple[float, dict[str, float]]:
    """Out-of-sample R² (NaN without cross-validation) and accuracy details."""
    in_r2, in_mape = r2_and_mape(data.outcome, fitted)
    details = {"in_sample_r2": in_r2, "in_sample_mape": in_mape, "folds": float(spec.cv_folds)}
    if not spec.cross_validation:
        return float("nan"), details | {"oos_r2": float("nan"), "oos_mape": float("nan")}
    actual, predicted = forecast_accuracy(data, spec, spec.cv_folds)
    r2, mape = r2_and_mape(actual, predicted)
    return r2, details | {"oos_r2": r2, "oos_mape": mape}


class MMMEstimator(Estimator):
    """Carryover + saturation response model (default)."""

    lookup_name = "mmm"

    def fit(self, data: CausalDataset, spec: ModelSpec, lift_tests: tuple[LiftTest, ...]) -> CausalResults:
        """Fit, then summarise effects, calendar effects, accuracy and curves."""
        fit = fit_mmm(data, spec, lift_tests)
        draw = fit.effects()
        effects = {
            ch: channel_effect(
                ch,
                draw.lift[c],
                fit.lift_se[c],
                draw.spend[c],
                draw.mroas[c],
                spec.confidence_level,
                self.lookup_name,
            )
            for c, ch in enumerate(data.channels)
        }
        baseline, contrib = fit.fitted()
        accuracy, details = accuracy_of(data, spec, baseline + contrib.sum(axis=1))
        gamma = fit.problem.split(fit.params)[0]
        return CausalResults(
            method=self.lookup_name,
            effects=effects,
            temporal=temporal_effects(fit.design, gamma[1:], data.dates),
            model_accuracy=accuracy,
            accuracy=details,
            decomposition=decomposition_frame(data, baseline, contrib),
            response_curves=response_frame(
                data.channels, draw.spend, response_curve(fit.problem, fit.params, MULTIPLIERS)
            ),
            residuals=pd.DataFrame(
                {"date": data.dates, "residual": one_step_residuals(fit.problem, fit.params)}
            ),
            confidence_level=spec.confidence_level,
            metadata=_metadata(data, spec, fit, lift_tests),
        )


def _metadata(
    data: CausalDataset, spec: ModelSpec, fit: MMMFit, tests: tuple[LiftTest, ...]
) -> dict[str, object]:
    _, _, decay, log_k, shape = fit.problem.split(fit.params)
    return {
        "method": "mmm",
        "frequency": data.frequency,
        "periods": data.n_periods,
        "start": str(data.dates[0].date()),
        "end": str(data.dates[-1].date()),
        "interval_method": spec.interval_method,
        "ar_coefficients": [float(a) for a in fit.problem.ar],
        "decay": dict(zip(data.channels, map(float, decay), strict=True)),
        "half_saturation": dict(
            zip(data.channels, map(float, np.exp(log_k) * fit.problem.media.medians), strict=True)
        ),
        "hill_shape": dict(zip(data.channels, map(float, shape), strict=True)),
        "lift_tests": len(fit.problem.lifts),
        "lift_tests_given": len(tests),
        "seed": spec.seed,
        "treatment_assignment": spec.treatment_assignment,
        **data.metadata,
    }
