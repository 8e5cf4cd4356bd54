"""``"dml"``: econml ``LinearDML`` on the response model's fitted contributions: one orthogonalised
coefficient θ_c per channel scales channel ``c``'s contribution (θ = 1: the size the response model
found), so lift, iROAS, mROAS and the trailing windows answer the same question as the default
``mmm`` (see :mod:`~liftos.causal.estimators.media_treatment`), with intervals from econml's
inference mixed over the response model's posterior draws of the transform
(:mod:`~liftos.causal.estimators.econml_features`).

What it adds to ``mmm``: the size of each effect is re-estimated by double machine learning: with the
calendar partialled out of both the outcome and each contribution by least-squares nuisance models
instead of the response model's parametric baseline and effect prior. Where the two disagree beyond
their intervals the verdict says so (and is ``weak`` at best). What it cannot do: find a carryover or
saturation the first stage missed, or remove bias from spend that reacts to unobserved demand (the
sandbox ``hard`` scenario; the verdict's feedback test flags it). Without a prior, small channels get
wide intervals and ``not_identified`` verdicts instead of estimates near a prior.
Under ``treatment_assignment="randomized"`` the treatment model is a constant (no propensity model).
"""

from __future__ import annotations

import numpy as np

from liftos.causal.data import CausalDataset
from liftos.causal.estimators.base import Estimator, require_econml
from liftos.causal.estimators.econml_features import (
    NUISANCE_DESCRIPTION,
    EffectModel,
    LinearStage,
    Weights,
    econml_results,
)
from liftos.causal.estimators.media_treatment import MediaTreatment
from liftos.causal.lift import LiftTest
from liftos.causal.results import CausalResults
from liftos.causal.spec import ModelSpec

__all__ = ["DMLEstimator", "LinearEffects"]

FloatArray = np.typing.NDArray[np.float64]


class LinearEffects(EffectModel):
    """A constant coefficient per channel on the contributions (``LinearDML`` per transform draw)."""

    def __init__(self, mt: MediaTreatment, stage: LinearStage) -> None:
        self._mt, self._stage = mt, stage

    @classmethod
    def fit(cls, mt: MediaTreatment, spec: ModelSpec, stop: int | None, draws: bool) -> LinearEffects:
        """``LinearDML`` on the periods before ``stop`` (default all), on every draw when ``draws``."""
        return cls(mt, LinearStage.fit(mt, spec, stop, draws))

    def draws(self, c: int, weights: Weights) -> tuple[FloatArray, FloatArray]:
        """``θ_k Σ w_k`` and ``se_k |Σ w_k|`` over the posterior draws (the MAP alone without draws)."""
        first = 1 if len(self._stage.theta) > 1 else 0
        sums = np.array([float(weights(k).sum()) for k in range(first, len(self._stage.theta))])
        return self._stage.theta[first:, c] * sums, self._stage.se[first:, c] * np.abs(sums)

    def contributions(self) -> FloatArray:
        """θ (MAP transform) times each contribution ``(T + lag - 1, C)``."""
        return np.asarray(self._mt.contributions(0) * self._stage.theta[0], dtype=np.float64)

    @property
    def residuals(self) -> FloatArray:
        """The MAP fit's final-stage residuals ``(T,)``."""
        return self._stage.residuals

    @property
    def settings(self) -> dict[str, object]:
        """Nuisance and final-stage description."""
        return {
            "final_stage": "LinearDML: one coefficient per channel on its contribution",
            "nuisance_models": NUISANCE_DESCRIPTION,
            "dml_theta": [float(v) for v in self._stage.theta[0]],
        }


class DMLEstimator(Estimator):
    """econml LinearDML on the response model's contributions (the MMM's question, re-estimated)."""

    lookup_name = "dml"

    def fit(self, data: CausalDataset, spec: ModelSpec, lift_tests: tuple[LiftTest, ...]) -> CausalResults:
        """Fit the response model, then LinearDML on its transform; effects with verdicts."""
        require_econml(self.lookup_name)
        return econml_results(self.lookup_name, data, spec, lift_tests, LinearEffects.fit)
