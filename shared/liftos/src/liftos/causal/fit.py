"""Fitting the response model (:mod:`liftos.causal.model`) to a dataset, with its uncertainty.

``fit_mmm`` runs two stages (white errors, then AR(p) errors re-estimated from the first stage's
residuals) and returns :class:`MMMFit`, whose ``effects`` gives each channel's counterfactual revenue lift
(fitted outcome minus the outcome with the channel's spend zeroed, carryover included), iROAS, mROAS
(+1 % spend) and standard errors from the Laplace approximation (inflated by the long-run variance of
the remaining residual autocorrelation) or from a moving-block residual bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_toeplitz  # type: ignore[import-untyped]
from scipy.signal import lfilter  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liftos.causal.data import CausalDataset
from liftos.causal.design import Design, calendar_design
from liftos.causal.lift import LiftTest
from liftos.causal.model import LiftRow, MediaModel, Problem, fit_problem
from liftos.causal.spec import ModelSpec

__all__ = ["ChannelDraw", "MMMFit", "fit_mmm", "lift_rows"]

FloatArray = NDArray[np.float64]
_MARGINAL_STEP = 0.01
_INIT_IROAS = 1.0


@dataclass(frozen=True)
class ChannelDraw:
    """Point estimates per channel, each ``(C,)``: lift (outcome units), spend, iROAS, mROAS."""

    lift: FloatArray
    spend: FloatArray
    iroas: FloatArray
    mroas: FloatArray


@dataclass(frozen=True, eq=False)
class MMMFit:
    """A fitted response model: ``problem``, MAP ``params``, ``lift_se`` ``(C,)`` standard errors of each
    channel's lift, optional bootstrap lift draws ``(B, C)``, and the ``design`` used."""

    problem: Problem
    params: FloatArray
    design: Design
    lift_se: FloatArray
    boot_lifts: FloatArray | None

    def effects(self, params: FloatArray | None = None) -> ChannelDraw:
        """Lift over the whole range (carryover tail included), spend, iROAS and mROAS per channel."""
        p = self.params if params is None else params
        return channel_effects(self.problem, p)

    def fitted(self) -> tuple[FloatArray, FloatArray]:
        """Fitted baseline ``(T,)`` and media contributions ``(T, C)`` (outcome units)."""
        return self.problem.mean(self.params)


def channel_effects(problem: Problem, p: FloatArray) -> ChannelDraw:
    """See :meth:`MMMFit.effects`."""
    _, b, decay, log_k, shape = problem.split(p)
    spend = problem.media.spend.sum(axis=0)
    lifts, marginals = np.zeros(problem.n_channels), np.zeros(problem.n_channels)
    for c in range(problem.n_channels):
        h = problem.media.response(c, decay[c], log_k[c], shape[c])[0]
        bumped = problem.media.spend[:, c] * (1.0 + _MARGINAL_STEP)
        h_up = problem.media.response(c, decay[c], log_k[c], shape[c], bumped)[0]
        lifts[c] = b[c] * problem.scale * h.sum()
        marginals[c] = b[c] * problem.scale * (h_up.sum() - h.sum())
    safe = np.where(spend > 0, spend, 1.0)
    return ChannelDraw(
        lifts,
        spend,
        np.where(spend > 0, lifts / safe, 0.0),
        np.where(spend > 0, marginals / (_MARGINAL_STEP * safe), 0.0),
    )


def lift_rows(data: CausalDataset, tests: tuple[LiftTest, ...]) -> tuple[LiftRow, ...]:
    """Lift tests on channels of ``data`` resolved to period windows (others are ignored)."""
    width = 1 if data.frequency == "D" else 7
    rows = []
    for test in tests:
        if test.channel not in data.channels:
            continue
        window = test.window(data.dates, width)
        if window is not None:
            rows.append(
                LiftRow(
                    data.channels.index(test.channel), *window, test.incremental_revenue, test.standard_error
                )
            )
    return tuple(rows)


def _start(problem: Problem, decay0: float) -> FloatArray:
    """Initial parameters: prior-mean media shape, iROAS 1, baseline by OLS on what remains."""
    c = problem.n_channels
    (mk, _), (ms, _) = problem.priors
    media = np.concatenate([np.full(c, decay0), np.full(c, mk), np.full(c, ms)])
    probe = np.concatenate([np.zeros(problem.n_base), np.ones(c), media])
    h_sum = np.array([r[0].sum() for r in problem.responses(probe)])
    spend = problem.media.spend.sum(axis=0)
    b = np.where(h_sum > 0, _INIT_IROAS * spend / np.where(h_sum > 0, h_sum, 1.0), 0.0) / problem.scale
    probe[problem.n_base : problem.n_base + c] = b
    _, contrib = problem.mean(probe)
    y = np.exp(problem.log_y)
    rest = np.log(np.maximum(y - contrib.sum(axis=1), 0.3 * y))
    gamma = np.linalg.lstsq(problem.X, rest, rcond=None)[0]
    probe[: problem.n_base] = gamma
    return probe


def _noise(problem: Problem, p: FloatArray, order: int) -> tuple[FloatArray, float]:
    """Yule-Walker AR(``order``) coefficients ``(order,)`` and innovation SD of the log residuals."""
    base, contrib = problem.mean(p)
    r = problem.log_y - np.log(base + contrib.sum(axis=1))
    r = r - r.mean()
    if order == 0:
        return np.zeros(0), float(r.std())
    acov = np.array([float(r[k:] @ r[: len(r) - k]) / len(r) for k in range(order + 1)])
    phi = np.asarray(solve_toeplitz(acov[:order], acov[1:]), dtype=np.float64)
    e = lfilter(np.concatenate([[1.0], -phi]), [1.0], r)[order:]
    return phi, float(e.std())


def _hac_factor(problem: Problem, p: FloatArray) -> float:
    """Long-run variance ratio (Bartlett) of the whitened residuals; >= 1."""
    base, contrib = problem.mean(p)
    e = problem.whiten(problem.log_y - np.log(base + contrib.sum(axis=1)))
    e = e - e.mean()
    lags = int(np.ceil(4.0 * (len(e) / 100.0) ** (2.0 / 9.0)))
    denom = float(e @ e)
    acf = [float(e[k:] @ e[:-k]) / denom for k in range(1, lags + 1)]
    factor = 1.0 + 2.0 * sum((1.0 - k / (lags + 1.0)) * a for k, a in enumerate(acf, start=1))
    return max(1.0, factor)


def build_problem(
    data: CausalDataset, spec: ModelSpec, tests: tuple[LiftTest, ...]
) -> tuple[Problem, Design]:
    """The stage-one problem (white errors) and the calendar design of ``data``."""
    design = calendar_design(data.dates, data.frequency, spec, data.controls)
    X = np.hstack([np.ones((data.n_periods, 1)), design.matrix])
    y = np.maximum(data.outcome, 0.01 * max(float(np.median(data.outcome)), 1e-9))
    log_y = np.log(y)
    resid = log_y - X @ np.linalg.lstsq(X, log_y, rcond=None)[0]
    problem = Problem(
        X=X,
        log_y=log_y,
        media=MediaModel.build(data.spend, spec.lag_for(data.frequency)),
        scale=float(y.mean()),
        ar=np.zeros(0),
        sigma=max(float(resid.std()), 1e-6),
        priors=(spec.half_saturation_prior, spec.shape_prior),
        lifts=lift_rows(data, tests),
        decay_bounds=spec.decay_bounds,
        lift_weight=spec.lift_test_weight,
        roi_prior=spec.roi_prior,
        gamma_prior_sd=np.array(
            [np.inf] + [np.inf if g == "trend" else spec.calendar_prior_sd for g in design.groups]
        ),
    )
    return problem, design


def fit_point(problem: Problem, order: int) -> tuple[Problem, FloatArray]:
    """Two-stage MAP fit: best of two decay starts with white errors, then refit with AR(``order``)
    errors estimated from the first stage's residuals."""
    candidates = [fit_problem(problem, _start(problem, d)) for d in (0.3, 0.7)]
    first = min(candidates, key=problem.objective)
    ar, sigma = _noise(problem, first, order)
    second = replace(problem, ar=ar, sigma=sigma)
    return second, fit_problem(second, first)


def _laplace_se(problem: Problem, p: FloatArray) -> FloatArray:
    """Standard errors ``(C,)`` of each channel's lift by the delta method on the Laplace covariance."""
    _, jac = problem.residuals_and_jacobian(p)
    with threadpool_limits(1):
        cov = np.linalg.pinv(jac.T @ jac) * _hac_factor(problem, p)
    base = channel_effects(problem, p).lift
    grads = np.zeros((problem.n_channels, len(p)))
    for i in range(problem.n_base, len(p)):
        step = 1e-5 * max(1.0, abs(p[i]))
        bumped = p.copy()
        bumped[i] += step
        grads[:, i] = (channel_effects(problem, bumped).lift - base) / step
    variance = np.asarray(np.einsum("ci,ij,cj->c", grads, cov, grads), dtype=np.float64)
    return np.asarray(np.sqrt(np.maximum(variance, 0.0)), dtype=np.float64)


def _bootstrap(problem: Problem, p: FloatArray, n: int, block: int, seed: int) -> FloatArray:
    """Lift draws ``(n, C)`` from moving-block bootstrap of the whitened log residuals, refit warm."""
    rng = np.random.default_rng(seed)
    base, contrib = problem.mean(p)
    log_mu = np.log(base + contrib.sum(axis=1))
    e = problem.whiten(problem.log_y - log_mu)
    t = len(e)
    draws = np.zeros((n, problem.n_channels))
    for i in range(n):
        starts = rng.integers(0, t - block + 1, size=t // block + 1)
        e_star = np.concatenate([e[s : s + block] for s in starts])[:t]
        r_star = np.asarray(lfilter([1.0], np.concatenate([[1.0], -problem.ar]), e_star), dtype=np.float64)
        star = replace(problem, log_y=log_mu + r_star)
        draws[i] = channel_effects(star, fit_problem(star, p, max_nfev=40)).lift
    return draws


def fit_mmm(data: CausalDataset, spec: ModelSpec, tests: tuple[LiftTest, ...] = ()) -> MMMFit:
    """Fit the response model to ``data`` and estimate the uncertainty of each channel's lift."""
    problem, design = build_problem(data, spec, tests)
    problem, params = fit_point(problem, spec.ar_order_for(data.frequency))
    boot = None
    if spec.interval_method == "bootstrap":
        block = 28 if data.frequency == "D" else 4
        boot = _bootstrap(problem, params, spec.n_bootstrap, min(block, data.n_periods // 4), spec.seed)
        se = boot.std(axis=0, ddof=1)
    else:
        se = _laplace_se(problem, params)
    return MMMFit(problem, params, design, se, boot)


def response_curve(problem: Problem, p: FloatArray, multipliers: FloatArray) -> FloatArray:
    """Whole-range lift per channel at spend scaled by each multiplier: ``(len(multipliers), C)``."""
    _, b, decay, log_k, shape = problem.split(p)
    out = np.zeros((len(multipliers), problem.n_channels))
    for c in range(problem.n_channels):
        for i, m in enumerate(multipliers):
            h = problem.media.response(c, decay[c], log_k[c], shape[c], problem.media.spend[:, c] * m)[0]
            out[i, c] = b[c] * problem.scale * h.sum()
    return out


def one_step_residuals(problem: Problem, p: FloatArray) -> FloatArray:
    """One-step-ahead log prediction errors ``(T,)`` (the AR-whitened residuals)."""
    base, contrib = problem.mean(p)
    return problem.whiten(problem.log_y - np.log(base + contrib.sum(axis=1)))


def forecast_accuracy(data: CausalDataset, spec: ModelSpec, folds: int) -> tuple[FloatArray, FloatArray]:
    """Rolling-origin forecasts: actual and predicted outcome on each fold's held-out periods
    (``1/(folds+4)`` of the range each, refit on everything before), concatenated ``(n_test,)``."""
    problem, _ = build_problem(data, spec, ())
    t, lag = data.n_periods, problem.media.lag
    horizon = max(1, t // (folds + 4))
    actual, predicted = [], []
    for f in range(folds):
        stop = t - (folds - f) * horizon
        media = replace(MediaModel.build(data.spend[:stop], lag), medians=problem.media.medians)
        train = replace(problem, X=problem.X[:stop], log_y=problem.log_y[:stop], media=media)
        _, params = fit_point(train, spec.ar_order_for(data.frequency))
        base, contrib = problem.mean(params)
        rows = slice(stop, stop + horizon)
        actual.append(data.outcome[rows])
        predicted.append((base + contrib.sum(axis=1))[rows])
    return np.concatenate(actual), np.concatenate(predicted)
