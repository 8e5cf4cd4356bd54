"""``"causal_forest"``: econml ``CausalForestDML`` on each channel's adstocked spend, with effects
allowed to vary with month, weekday and time (``X``) and the calendar design as controls (``W``).

When to trust it: to see *how* the per-unit effect varies over the calendar (``heterogeneity``), not
for the level of iROAS: like LinearDML it estimates a local slope (closer to marginal than average
return) on a fixed carryover, and forests need many periods per calendar cell.
"""

from __future__ import annotations

import calendar
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liftos.causal.data import CausalDataset
from liftos.causal.estimators.base import Estimator, channel_effect, require_econml
from liftos.causal.estimators.econml_features import Panel, build_panel, linear_results
from liftos.causal.lift import LiftTest
from liftos.causal.results import CausalResults
from liftos.causal.spec import ModelSpec

__all__ = ["CausalForestEstimator"]

_TREES = 200


def _nuisance(seed: int) -> Any:
    from sklearn.ensemble import RandomForestRegressor  # type: ignore[import-untyped]

    return RandomForestRegressor(n_estimators=100, min_samples_leaf=10, random_state=seed, n_jobs=1)


def _heterogeneity(panel: Panel, cate: np.ndarray) -> pd.DataFrame:
    """Mean per-unit effect per channel by month and by weekday: columns group, level, channel, effect."""
    frames = []
    for group, keys in (("month", panel.data.dates.month), ("weekday", panel.data.dates.day_of_week)):
        for c, ch in enumerate(panel.data.channels):
            means = pd.Series(cate[:, c]).groupby(np.asarray(keys)).mean()
            names = [
                calendar.month_abbr[k] if group == "month" else calendar.day_abbr[k] for k in means.index
            ]
            frames.append(
                pd.DataFrame({"group": group, "level": names, "channel": ch, "effect": means.to_numpy()})
            )
    return pd.concat(frames, ignore_index=True)


class CausalForestEstimator(Estimator):
    """econml CausalForestDML: calendar heterogeneity of per-unit effects."""

    lookup_name = "causal_forest"

    def fit(self, data: CausalDataset, spec: ModelSpec, lift_tests: tuple[LiftTest, ...]) -> CausalResults:
        """Fit the forest; average effect per channel with its interval, CATE by calendar features."""
        require_econml(self.lookup_name)
        from econml.dml import CausalForestDML

        panel = build_panel(data, spec)
        est = CausalForestDML(
            model_y=_nuisance(spec.seed),
            model_t=_nuisance(spec.seed + 1),
            n_estimators=_TREES,
            min_samples_leaf=10,
            cv=3,
            random_state=spec.seed,
            n_jobs=1,
        )
        with threadpool_limits(1):
            est.fit(panel.y, panel.T_ad, X=panel.X, W=panel.design.matrix)
            inference = est.const_marginal_ate_inference(panel.X)  # average of the per-period effects
            ate = np.atleast_1d(np.asarray(inference.mean_point, dtype=np.float64)).ravel()
            se = np.atleast_1d(np.asarray(inference.stderr_mean, dtype=np.float64)).ravel()
            cate = np.asarray(est.const_marginal_effect(panel.X), dtype=np.float64).reshape(
                data.n_periods, -1
            )
        effects = {
            ch: channel_effect(
                ch,
                ate[c] * panel.totals[c],
                se[c] * panel.totals[c],
                float(data.spend[:, c].sum()),
                ate[c],
                spec.confidence_level,
                self.lookup_name,
            )
            for c, ch in enumerate(data.channels)
        }
        base = linear_results(self.lookup_name, panel, spec, effects, ate, len(lift_tests))
        return CausalResults(**{**base.__dict__, "heterogeneity": _heterogeneity(panel, cate)})
