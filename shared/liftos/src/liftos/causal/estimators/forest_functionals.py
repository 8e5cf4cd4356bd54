"""Linear functionals of a fitted econml causal forest, with econml's own variance estimate.

A channel's lift (and the lift of the spend placed in a season, a trailing window, ...) is
``L = Σ_i w_i · θ(x_i)`` over many rows ``x_i``. econml reports the variance of each ``θ(x_i)`` from its
*bootstrap of little bags* (the trees come in groups fitted on the same half-sample; the spread of
the groups' estimates, corrected for the spread within groups, estimates the variance) but not their
covariances, so the variance of a sum is only bounded (``stderr_mean`` is "a conservative upper
bound", measured here at about twice the actual spread). :class:`ForestFunctionals` applies the
same bootstrap of little bags to ``L`` itself: each group's (linearised) estimate of ``L`` is the
weighted sum of its moments at the forest's parameters, and the variance of ``L`` follows from the
spread of those, with econml's within-group correction and its positivity debiasing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erfc  # type: ignore[import-untyped]

__all__ = ["ForestFunctionals"]

FloatArray = NDArray[np.float64]


class ForestFunctionals:
    """``forest``: a fitted ``econml.grf.CausalForest`` (``CausalForestDML.model_cate.estimators_[0]``)
    with inference; ``X`` ``(n, F)``: the rows the functionals sum over. ``theta`` ``(n, d)``: the
    forest's effect per row and treatment."""

    def __init__(self, forest: Any, X: FloatArray) -> None:
        alpha, jac = forest.predict_alpha_and_jac(X)
        inverse = np.linalg.pinv(jac)  # (n, p, p)
        parameter = np.einsum("ijk,ik->ij", inverse, alpha)  # (n, p): effects then the intercept
        self._inverse = inverse
        self._slices = [np.asarray(s) for s in forest.slices_]
        # moments of every tree at the forest's parameters: (trees, n, p)
        self._moments = np.stack([tree.predict_moment(X, parameter) for tree in forest.estimators_])
        self.theta: FloatArray = np.asarray(parameter[:, : forest.n_relevant_outputs_], dtype=np.float64)

    def value_and_sd(self, weights: FloatArray) -> tuple[float, float]:
        """``L = Σ_i weights_i · θ(x_i)`` for ``weights`` ``(n, d)`` and its standard deviation."""
        n, d = weights.shape
        projector = np.zeros((n, self._inverse.shape[1]))
        projector[:, :d] = weights
        v = np.einsum("ikj,ik->ij", self._inverse, projector)  # J^-T w per row
        per_tree = np.einsum("tij,ij->t", self._moments, v)  # each tree's linearised deviation of L
        bags = np.array([per_tree[s].mean() for s in self._slices])
        between_sq = float(np.mean(bags**2))
        between = between_sq - float(bags.mean()) ** 2
        within = float(np.mean([np.mean(per_tree[s] ** 2) for s in self._slices]))
        correction = (within - between_sq) / (len(self._slices[0]) - 1)
        naive = between - correction
        scale = max(between, correction) * np.sqrt(2.0 / len(self._slices))
        z = naive / max(scale, 1e-300)
        density = np.exp(-(z**2) / 2.0) / np.sqrt(2.0 * np.pi)
        variance = naive + scale * density / (0.5 * erfc(-z / np.sqrt(2.0)))
        return float(np.sum(self.theta * weights)), float(np.sqrt(max(variance, 0.0)))
