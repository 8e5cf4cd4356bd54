"""``"dml"``: econml ``LinearDML`` of the outcome on each channel's adstocked spend (fixed decay
:data:`~liftos.causal.estimators.econml_features.DML_DECAY`), with the calendar design as controls.

When to trust it: as a de-confounding cross-check of the MMM's direction and rough size. Its
coefficient is a linear slope, i.e. close to the *marginal* return: under saturation it understates the
average iROAS (about 30 % in the reference simulation), and its intervals ignore carryover/saturation
misspecification, so their coverage is poor. Under ``treatment_assignment="randomized"`` the treatment
model is a constant (no propensity modelling).
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liftos.causal.data import CausalDataset
from liftos.causal.estimators.base import Estimator, channel_effect, require_econml
from liftos.causal.estimators.econml_features import build_panel, linear_results
from liftos.causal.lift import LiftTest
from liftos.causal.results import CausalResults
from liftos.causal.spec import ModelSpec

__all__ = ["DMLEstimator"]

_ALPHAS = np.logspace(-3, 3, 13)


class DMLEstimator(Estimator):
    """econml LinearDML cross-check (linear effect per unit of adstocked spend)."""

    lookup_name = "dml"

    def fit(self, data: CausalDataset, spec: ModelSpec, lift_tests: tuple[LiftTest, ...]) -> CausalResults:
        """Fit LinearDML; lift = slope x adstocked spend; iROAS = mROAS = slope."""
        require_econml(self.lookup_name)
        from econml.dml import LinearDML
        from sklearn.dummy import DummyRegressor  # type: ignore[import-untyped]
        from sklearn.linear_model import RidgeCV  # type: ignore[import-untyped]

        panel = build_panel(data, spec)
        model_t = DummyRegressor() if spec.treatment_assignment == "randomized" else RidgeCV(alphas=_ALPHAS)
        est = LinearDML(model_y=RidgeCV(alphas=_ALPHAS), model_t=model_t, cv=3, random_state=spec.seed)
        with threadpool_limits(1):
            est.fit(panel.y, panel.T_ad, X=None, W=panel.design.matrix)
        inference = est.intercept__inference()  # no X: the constant effect per unit of each treatment
        slope = np.atleast_1d(np.asarray(inference.point_estimate, dtype=np.float64)).ravel()
        se = np.atleast_1d(np.asarray(inference.stderr, dtype=np.float64)).ravel()
        effects = {
            ch: channel_effect(
                ch,
                slope[c] * panel.totals[c],
                se[c] * panel.totals[c],
                float(data.spend[:, c].sum()),
                slope[c],
                spec.confidence_level,
                self.lookup_name,
            )
            for c, ch in enumerate(data.channels)
        }
        return linear_results(self.lookup_name, panel, spec, effects, slope, len(lift_tests))
