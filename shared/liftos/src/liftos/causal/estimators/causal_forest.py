"""``"causal_forest"``: econml ``CausalForestDML`` on the response model's fitted contributions, the
effect multiplier θ_c(x) allowed to vary with the position in the year, the weekday and holiday /
retail-event periods (:func:`~liftos.causal.heterogeneity.forest_features`). The contributions come
from the response model whose channel levels may change over time (knots every 91 days, step SD
``ModelSpec.tv_step_sd``). Measured against the constant-level first stage
(``bench/causal_accuracy.py --forest-first-stage constant``, 60 seeds; docs/causal-accuracy.md): on the
``seasonal`` world meta's per-season coverage 0.84 against 0.82 and rank correlation 0.60 against 0.40;
whole-range median APE on ``default`` meta 0.19 / google 0.38 against 0.26 / 0.35, meta's bias −0.09
against −0.06.

Whole-range lift, iROAS, mROAS and the trailing windows are functionals ``Σ_t θ_c(x_t) w_c(t)`` of the
forest (the same question as ``mmm``, see :mod:`~liftos.causal.estimators.media_treatment`); their
variance is econml's bootstrap of little bags applied to the functional
(:mod:`~liftos.causal.estimators.forest_functionals`), mixed over the response model's draws of the
transform (the linear stage's shift from draw to draw; :mod:`~liftos.causal.estimators.econml_features`).

What it is good at: :meth:`CausalResults.get_heterogeneity` — each channel's return on the spend placed
in each season, month, weekday and holiday period, with intervals. With two years of daily data a
season's interval is wide (a season has a quarter of the spend); orderings inside the intervals are
not evidence. Like ``dml`` it cannot find what the first stage's transform missed or remove bias from
spend that reacts to unobserved demand.
"""

from __future__ import annotations

from functools import cached_property, partial
from typing import Any

import numpy as np
import pandas as pd

from liftos.causal.data import CausalDataset
from liftos.causal.estimators.base import Estimator, require_econml
from liftos.causal.estimators.econml_features import (
    NUISANCE_DESCRIPTION,
    NUISANCE_FOLDS,
    EffectModel,
    LinearStage,
    Weights,
    econml_results,
    nuisance_models,
    summarise,
)
from liftos.causal.estimators.forest_functionals import ForestFunctionals
from liftos.causal.estimators.media_treatment import MediaTreatment
from liftos.causal.heterogeneity import HETEROGENEITY_COLUMNS, calendar_groups, forest_features
from liftos.causal.lift import LiftTest
from liftos.causal.results import CausalResults
from liftos.causal.spec import ModelSpec

__all__ = ["CausalForestEstimator", "ForestEffects", "heterogeneity_frame"]

FloatArray = np.typing.NDArray[np.float64]
TREES = 400  # a multiple of econml's subforest size (4)
MIN_LEAF = 10
#: The treatments come from the response model whose channel levels change over time (see the module
#: docstring; ``bench/causal_accuracy.py --forest-first-stage constant`` measures the alternative).
VARYING_FIRST_STAGE = True


class ForestEffects(EffectModel):
    """The forest's θ_c(x) on the MAP transform; the transform's draws through the linear stage."""

    def __init__(self, mt: MediaTreatment, spec: ModelSpec, stop: int | None, draws: bool) -> None:
        from econml.dml import CausalForestDML

        self._mt = mt
        self._stage = LinearStage.fit(mt, spec, stop, draws)
        self._X = forest_features(mt.padded_dates, mt.frequency, mt.padded(mt.events))
        end = mt.n_periods if stop is None else stop
        rows = slice(0, end - mt.skipped)
        model_y, model_t = nuisance_models(spec)
        self._forest = CausalForestDML(
            model_y=model_y,
            model_t=model_t,
            n_estimators=TREES,
            min_samples_leaf=MIN_LEAF,
            cv=NUISANCE_FOLDS,
            random_state=spec.seed,
            n_jobs=1,
        )
        y, treatments = mt.outcome_rows()[rows], mt.treatment_rows(0)[rows]
        self._forest.fit(
            y, treatments, X=self._X[mt.skipped : end], W=mt.control_rows()[rows], cache_values=True
        )
        y_res, t_res = (np.asarray(a, dtype=np.float64) for a in self._forest.residuals_[:2])
        theta = np.asarray(self._forest.const_marginal_effect(self._X[mt.skipped : end]), dtype=np.float64)
        final = np.ravel(y_res) - np.einsum("ic,ic->i", t_res.reshape(len(y), -1), theta.reshape(len(y), -1))
        self._residuals = np.zeros(mt.n_periods)
        self._residuals[mt.skipped : end] = final

    @classmethod
    def fit(cls, mt: MediaTreatment, spec: ModelSpec, stop: int | None, draws: bool) -> ForestEffects:
        """The forest on the periods before ``stop`` (default all); the linear stage on every draw
        when ``draws``."""
        return cls(mt, spec, stop, draws)

    @cached_property
    def functionals(self) -> ForestFunctionals:
        """The forest's functionals over the padded periods."""
        return ForestFunctionals(self._forest.model_cate.estimators_[0], self._X)

    def draws(self, c: int, weights: Weights) -> tuple[FloatArray, FloatArray]:
        """The forest's ``Σ θ_c(x_t) w_0(t)`` (MAP transform) shifted by the linear stage's change from
        the MAP to each draw; econml's bootstrap-of-little-bags SD of the forest's value."""
        w = np.zeros((len(self._X), len(self._stage.theta[0])))
        w[:, c] = weights(0)
        value, sd = self.functionals.value_and_sd(w)
        linear = self._stage.values(c, weights)
        shifts = linear[1:] - linear[0] if len(linear) > 1 else np.zeros(1)
        return value + shifts, np.full(len(shifts), sd)

    def contributions(self) -> FloatArray:
        """θ(x_t) times each contribution ``(T + lag - 1, C)`` (MAP transform)."""
        theta = np.asarray(self._forest.const_marginal_effect(self._X), dtype=np.float64)
        return np.asarray(self._mt.contributions(0) * theta.reshape(len(self._X), -1), dtype=np.float64)

    @property
    def residuals(self) -> FloatArray:
        """The forest's final-stage residuals ``(T,)``."""
        return self._residuals

    @property
    def settings(self) -> dict[str, object]:
        """Forest and nuisance description."""
        return {
            "final_stage": (
                f"CausalForestDML: {TREES} honest trees, min {MIN_LEAF} periods a leaf; effect varies with "
                "day of year, weekday, holiday / retail-event periods"
            ),
            "nuisance_models": NUISANCE_DESCRIPTION,
        }


def heterogeneity_frame(
    mt: MediaTreatment, model: EffectModel, spec: ModelSpec, channels: tuple[str, ...]
) -> pd.DataFrame:
    """One row per channel, calendar group and level (columns
    :data:`~liftos.causal.heterogeneity.HETEROGENEITY_COLUMNS`): the lift of the spend placed in the
    level's periods and its return, with intervals."""
    rows: list[dict[str, Any]] = []
    groups = calendar_groups(mt.dates, mt.frequency, mt.events)
    for c, channel in enumerate(channels):
        for group, levels in groups.items():
            for level, periods in levels:
                mask = mt.padded(periods)
                s = summarise(*model.draws(c, partial(mt.removed, c=c, periods=mask)), spec.confidence_level)
                spend = float(mt.spend[mask, c].sum())
                per = spend if spend > 0 else float("nan")
                rows.append(
                    {
                        "channel": channel,
                        "group": group,
                        "level": level,
                        "periods": int(periods.sum()),
                        "spend": spend,
                        "revenue_lift": s.point,
                        "ci_lower": s.low,
                        "ci_upper": s.high,
                        "incremental_roas": s.point / per,
                        "iroas_ci_lower": s.low / per,
                        "iroas_ci_upper": s.high / per,
                    }
                )
    return pd.DataFrame(rows, columns=list(HETEROGENEITY_COLUMNS))


class CausalForestEstimator(Estimator):
    """econml CausalForestDML on the response model's contributions, with calendar heterogeneity."""

    lookup_name = "causal_forest"

    def fit(self, data: CausalDataset, spec: ModelSpec, lift_tests: tuple[LiftTest, ...]) -> CausalResults:
        """Fit the response model, then the forest on its transform; effects with verdicts and the
        heterogeneity table."""
        require_econml(self.lookup_name)

        def extra(mt: MediaTreatment, model: EffectModel, s: ModelSpec) -> dict[str, Any]:
            return {"heterogeneity": heterogeneity_frame(mt, model, s, data.channels)}

        return econml_results(
            self.lookup_name, data, spec, lift_tests, ForestEffects.fit, extra, varying=VARYING_FIRST_STAGE
        )
