"""Uncertainty of a fitted response model as parameter draws (:class:`Posterior`).

Every interval the engine publishes is a quantile of some effect computed on each draw, so intervals
respect what the model can produce (a lift is never negative when levels are >= 0) and are asymmetric
where the posterior is. Draws come from:

- ``laplace``: a Gaussian in an *unconstrained* parameterisation centred on the MAP: each channel's
  log whole-range lift (instead of its level ``b``: the effect priors are Gaussian in exactly that, and
  it is the quantity reported), logit of decay, log K ratio and shape within their bounds, baseline
  and knot weights as they are; precision ``Aᵀ (J_dᵀJ_d / hac + J_pᵀJ_p) A``: the Gauss-Newton
  curvature of the data rows ``J_d`` (tempered by the long-run variance factor ``hac`` of the remaining
  residual autocorrelation) plus the prior and lift-test rows ``J_p``, ``A = dp/dz`` the Jacobian of
  the reparameterisation;
- ``importance``: the same draws reweighted to the exact (HAC-tempered) posterior, weights truncated at
  ``√S`` times their mean; falls back to the plain draws when the effective sample size is too low;
- ``delta``: a Gaussian in the constrained parameters, clipped into their bounds (close to symmetric,
  piles up at zero for weak channels; for comparison);
- ``bootstrap``: refits on moving-block bootstrap residuals (equal weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liftos.causal.model import Problem

__all__ = ["Posterior", "gaussian_posterior", "linearised_fit", "weighted_quantiles"]

FloatArray = NDArray[np.float64]
_LOG_B_RANGE = (np.log(1e-9), np.log(1e3))
_EDGE = 1e-4  # keep the MAP this far (relative to the range) inside bounded parameters
_MIN_ESS_SHARE = 0.1


@dataclass(frozen=True)
class Posterior:
    """Parameter draws ``(S, P)`` with normalised weights ``(S,)``, the method that made them and the
    effective sample size of the weights."""

    draws: FloatArray
    weights: FloatArray
    method: str
    ess: float

    def quantiles(self, values: FloatArray, probs: tuple[float, ...]) -> FloatArray:
        """Weighted quantiles of ``values`` ``(S, ...)`` over the draws: ``(len(probs), ...)``."""
        return weighted_quantiles(values, self.weights, probs)

    def variance(self, values: FloatArray) -> FloatArray:
        """Weighted variance of ``values`` ``(S, ...)`` over the draws."""
        mean = np.tensordot(self.weights, values, axes=1)
        return np.asarray(np.tensordot(self.weights, (values - mean) ** 2, axes=1), dtype=np.float64)


def weighted_quantiles(values: FloatArray, weights: FloatArray, probs: tuple[float, ...]) -> FloatArray:
    """Quantiles of ``values`` ``(S, ...)`` under ``weights`` ``(S,)`` (midpoint interpolation)."""
    flat = values.reshape(values.shape[0], -1)
    out = np.empty((len(probs), flat.shape[1]))
    for j in range(flat.shape[1]):
        order = np.argsort(flat[:, j])
        cum = np.cumsum(weights[order]) - 0.5 * weights[order]
        out[:, j] = np.interp(probs, cum, flat[order, j])
    return out.reshape((len(probs), *values.shape[1:]))


@dataclass(frozen=True)
class _Transform:
    """Map between constrained ``p`` and unconstrained ``z`` for ``problem``: the level block holds
    ``log(b·scale·S(θ, w))`` (log whole-range lift), decay / log K / shape are logits within their
    bounds, the rest is unchanged."""

    problem: Problem
    low: FloatArray
    high: FloatArray

    @classmethod
    def of(cls, problem: Problem) -> _Transform:
        low, high = problem.bounds()
        return cls(problem, low, high)

    @property
    def _levels(self) -> slice:
        k, c = self.problem.n_base, self.problem.n_channels
        return slice(k, k + c)

    @property
    def _logits(self) -> slice:
        k, c = self.problem.n_base, self.problem.n_channels
        return slice(k + c, k + 4 * c)

    def to_z(self, p: FloatArray) -> FloatArray:
        z = p.copy()
        lo, hi = self.low[self._logits], self.high[self._logits]
        u = np.clip((p[self._logits] - lo) / (hi - lo), _EDGE, 1.0 - _EDGE)
        z[self._logits] = np.log(u / (1.0 - u))
        inner = self.to_p_fixed_levels(z, p[self._levels])
        total = self.problem.level_sums(inner)[0]
        z[self._levels] = np.log(np.maximum(p[self._levels], 1e-300) * self.problem.scale * total)
        return z

    def to_p_fixed_levels(self, z: FloatArray, levels: FloatArray) -> FloatArray:
        p = z.copy()
        lo, hi = self.low[self._logits], self.high[self._logits]
        p[self._logits] = lo + (hi - lo) * expit(z[self._logits])
        p[self._levels] = levels
        return p

    def to_p(self, z: FloatArray) -> FloatArray:
        """One ``z`` ``(P,)`` → ``p``; levels clipped to a finite range."""
        p = self.to_p_fixed_levels(z, np.ones(self.problem.n_channels))
        total = self.problem.level_sums(p)[0]
        log_b = z[self._levels] - np.log(self.problem.scale * total)
        p[self._levels] = np.exp(np.clip(log_b, *_LOG_B_RANGE))
        return p

    def jacobian(self, p: FloatArray) -> FloatArray:
        """``dp/dz`` ``(P, P)`` at ``p``."""
        prob = self.problem
        k, c, nk = prob.n_base, prob.n_channels, prob.n_knots
        a = np.eye(prob.n_params)
        lo, hi = self.low[self._logits], self.high[self._logits]
        u = np.clip((p[self._logits] - lo) / (hi - lo), _EDGE, 1.0 - _EDGE)
        dlogit = (hi - lo) * u * (1.0 - u)
        idx = np.arange(k + c, k + 4 * c)
        a[idx, idx] = dlogit
        _, d_theta, d_w = prob.level_sums(p)
        b = p[self._levels]
        for ch in range(c):
            row = k + ch
            a[row, row] = b[ch]
            for j in range(3):
                col = k + (j + 1) * c + ch
                a[row, col] = -b[ch] * d_theta[ch, j] * a[col, col]
            if nk:
                start = k + 4 * c + ch * nk
                a[row, start : start + nk] = -b[ch] * d_w[ch]
        return a


def _precision(problem: Problem, p: FloatArray, hac: float) -> FloatArray:
    """Gauss-Newton precision in ``p``: data rows tempered by ``hac``, prior and lift rows as they are."""
    _, jac = problem.residuals_and_jacobian(p)
    n = problem.n_data_rows
    data, rest = jac[:n], jac[n:]
    with threadpool_limits(1):
        return np.asarray(data.T @ data / hac + rest.T @ rest, dtype=np.float64)


def _gaussian_draws(
    precision: FloatArray, centre: FloatArray, n: int, seed: int
) -> tuple[FloatArray, FloatArray]:
    """``n`` draws of N(centre, precision⁻¹) (pseudo-inverse on near-null directions) and the
    quadratic form ``(z - centre)ᵀ precision (z - centre)`` of each."""
    sym = 0.5 * (precision + precision.T)
    vals, vecs = np.linalg.eigh(sym)
    floor = max(float(vals.max()), 1.0) * 1e-12
    inv_sd = np.sqrt(np.maximum(vals, floor))
    rng = np.random.default_rng(seed)
    std = rng.standard_normal((n, len(centre)))
    draws = centre + (std / inv_sd) @ vecs.T
    return draws, np.sum(std**2, axis=1)


def _pseudo_inverse(matrix: FloatArray) -> FloatArray:
    """Inverse of a symmetric PSD matrix, near-null directions floored (as in the draws)."""
    sym = 0.5 * (matrix + matrix.T)
    vals, vecs = np.linalg.eigh(sym)
    floor = max(float(vals.max()), 1.0) * 1e-12
    return np.asarray((vecs / np.maximum(vals, floor)) @ vecs.T, dtype=np.float64)


def linearised_fit(problem: Problem, p: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The fit linearised at ``p`` in the unconstrained coordinates: the data rows' scaled residuals
    ``(T,)``, their Jacobian ``(T, P)`` and the inverse Gauss-Newton precision (data and prior rows,
    untempered) ``(P, P)``. ``J H⁻¹ Jᵀ`` is the fit's hat matrix on the data rows."""
    transform = _Transform.of(problem)
    at = transform.to_p(transform.to_z(p))
    res, jac = problem.residuals_and_jacobian(at)
    n = problem.n_data_rows
    jac_z = transform.jacobian(at)
    with threadpool_limits(1):
        data, rest = jac[:n] @ jac_z, jac[n:] @ jac_z
        h_inv = _pseudo_inverse(data.T @ data + rest.T @ rest)
    return res[:n], data, h_inv


def _log_target(problem: Problem, p: FloatArray, hac: float) -> float:
    res = problem.residuals(p)
    n = problem.n_data_rows
    return -0.5 * (float(res[:n] @ res[:n]) / hac + float(res[n:] @ res[n:]))


def gaussian_posterior(
    problem: Problem, p: FloatArray, hac: float, n: int, seed: int, method: str
) -> Posterior:
    """Draws by ``method`` ``"laplace"``, ``"importance"`` or ``"delta"`` (see the module docstring)."""
    precision_p = _precision(problem, p, hac)
    if method == "delta":  # Gaussian draws leave the parameter space; clipped back into it
        draws, _ = _gaussian_draws(precision_p, p, n, seed)
        low, high = problem.bounds()
        return Posterior(np.clip(draws, low, high), np.full(n, 1.0 / n), method, float(n))
    transform = _Transform.of(problem)
    z0 = transform.to_z(p)
    jac = transform.jacobian(transform.to_p(z0))
    precision_z = jac.T @ precision_p @ jac
    z, quad = _gaussian_draws(precision_z, z0, n, seed)
    draws = np.stack([transform.to_p(row) for row in z])
    uniform = np.full(n, 1.0 / n)
    if method != "importance":
        return Posterior(draws, uniform, method, float(n))
    log_jac = np.array([np.linalg.slogdet(transform.jacobian(d))[1] for d in draws])
    log_w = np.array([_log_target(problem, d, hac) for d in draws]) + log_jac + 0.5 * quad
    log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
    w = np.exp(log_w - log_w.max())
    w = np.minimum(w, w.mean() * np.sqrt(n))
    w = w / w.sum()
    ess = float(1.0 / np.sum(w**2))
    if ess < _MIN_ESS_SHARE * n:
        return Posterior(draws, uniform, "laplace (importance ESS too low)", ess)
    return Posterior(draws, w, method, ess)
