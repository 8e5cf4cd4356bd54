"""Fitting the response model (:mod:`liftos.causal.model`) to a dataset, with its uncertainty.

``fit_mmm`` runs two stages (white errors, then AR(p) errors re-estimated from the first stage's
residuals) and returns :class:`MMMFit`, whose ``effects`` gives each channel's counterfactual revenue lift
(fitted outcome minus the outcome with the channel's spend zeroed, carryover included), iROAS, mROAS
(the derivative of the fitted response at current spend) and the lift of the trailing windows, for the
MAP and for every posterior draw (:mod:`liftos.causal.posterior`), from which all intervals come.

The effect prior follows the units (:class:`~liftos.causal.model.EffectPrior`): on iROAS only when
the outcome is money in the spend's currency, otherwise on each channel's share of the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_toeplitz  # type: ignore[import-untyped]
from scipy.signal import lfilter  # type: ignore[import-untyped]

from liftos.causal.data import CausalDataset
from liftos.causal.design import Design, calendar_design
from liftos.causal.lift import LiftTest
from liftos.causal.model import EffectPrior, LiftRow, MediaModel, Problem, fit_problem, knot_basis
from liftos.causal.posterior import Posterior, gaussian_posterior
from liftos.causal.spec import ModelSpec

__all__ = [
    "ChannelDraw",
    "MMMFit",
    "TrainingFit",
    "channel_effects",
    "effect_prior_of",
    "fit_mmm",
    "lift_rows",
    "training_fits",
    "used_lift_tests",
]

FloatArray = NDArray[np.float64]
_INIT_SHARE = 0.05  # starting share of the outcome per channel (a start, not a prior)


@dataclass(frozen=True)
class ChannelDraw:
    """Effects per channel for one parameter vector, each ``(C,)`` unless noted: whole-range lift
    (outcome units, carryover tail included), spend, iROAS, mROAS (d lift / d spend at current spend),
    and for each trailing window ``(W, C)``: the lift of the window's spend and that spend."""

    lift: FloatArray
    spend: FloatArray
    iroas: FloatArray
    mroas: FloatArray
    window_lift: FloatArray
    window_spend: FloatArray


@dataclass(frozen=True, eq=False)
class TrainingFit:
    """One rolling-origin fold: the first ``stop`` periods were fitted, ``rows`` are held out;
    ``problem`` covers the whole range (its X, outcome and spend) with the training fit's noise model,
    ``params`` its MAP."""

    stop: int
    rows: slice
    problem: Problem
    params: FloatArray


@dataclass(frozen=True, eq=False)
class MMMFit:
    """A fitted response model: ``problem``, MAP ``params``, the ``design`` used, the ``posterior``
    draws, the trailing ``windows`` (periods), the long-run variance factor ``hac`` and, when
    ``ModelSpec.time_varying``, the ``current`` fit whose channel levels may change over time (warm
    started from this one; the trailing windows' effects come from it)."""

    problem: Problem
    params: FloatArray
    design: Design
    posterior: Posterior
    windows: tuple[int, ...]
    hac: float
    current: MMMFit | None = None

    @property
    def now(self) -> MMMFit:
        """The fit whose levels may change over time (for the trailing windows), else this one."""
        return self.current or self

    def effects(self, params: FloatArray | None = None) -> ChannelDraw:
        """Effects of ``params`` (default: the MAP)."""
        return channel_effects(self.problem, self.params if params is None else params, self.windows)

    def draw_effects(self) -> list[ChannelDraw]:
        """Effects of every posterior draw (in draw order)."""
        return [channel_effects(self.problem, p, self.windows) for p in self.posterior.draws]

    def fitted(self) -> tuple[FloatArray, FloatArray]:
        """Fitted baseline ``(T,)`` and media contributions ``(T, C)`` (outcome units)."""
        return self.problem.mean(self.params)


def channel_effects(problem: Problem, p: FloatArray, windows: tuple[int, ...] = ()) -> ChannelDraw:
    """See :class:`ChannelDraw`; ``windows``: trailing window lengths in periods."""
    _, b, decay, log_k, shape = problem.split(p)
    mult = problem.multiplier(p)
    t, c = len(problem.log_y), problem.n_channels
    spend = problem.media.spend.sum(axis=0)
    lifts, slopes = np.zeros(c), np.zeros(c)
    window_lift, window_spend = np.zeros((len(windows), c)), np.zeros((len(windows), c))
    for ch in range(c):
        level = b[ch] * problem.scale * mult[:, ch]
        h = problem.media.response(ch, decay[ch], log_k[ch], shape[ch])[0]
        lifts[ch] = float(level @ h)
        slopes[ch] = float(level @ (shape[ch] * h * (1.0 - h)))  # d/dm Σ β h(m·x) at m = 1
        for w, length in enumerate(windows):
            cut = problem.media.spend[:, ch].copy()
            first = max(0, t - length)
            window_spend[w, ch] = float(cut[first:t].sum())
            cut[first:t] = 0.0
            window_lift[w, ch] = lifts[ch] - float(
                level @ problem.media.response(ch, decay[ch], log_k[ch], shape[ch], cut)[0]
            )
    safe = np.where(spend > 0, spend, 1.0)
    return ChannelDraw(
        lifts,
        spend,
        np.where(spend > 0, lifts / safe, 0.0),
        np.where(spend > 0, slopes / safe, 0.0),
        window_lift,
        window_spend,
    )


def used_lift_tests(data: CausalDataset, tests: tuple[LiftTest, ...]) -> tuple[LiftTest, ...]:
    """The tests on channels of ``data`` whose window overlaps its periods (the others are ignored)."""
    width = 1 if data.frequency == "D" else 7
    return tuple(t for t in tests if t.channel in data.channels and t.window(data.dates, width) is not None)


def lift_rows(data: CausalDataset, tests: tuple[LiftTest, ...]) -> tuple[LiftRow, ...]:
    """Lift tests on channels of ``data`` resolved to period windows (others are ignored)."""
    width = 1 if data.frequency == "D" else 7
    rows = []
    for test in used_lift_tests(data, tests):
        first, last = test.window(data.dates, width) or (0, 0)
        rows.append(
            LiftRow(
                data.channels.index(test.channel),
                first,
                last,
                test.incremental_revenue,
                test.standard_error,
                test.spend_scale,
            )
        )
    return tuple(rows)


def _start(problem: Problem, decay0: float) -> FloatArray:
    """Initial parameters: prior-mean media shape, each channel at a small share of the outcome (a
    unit-free start), constant levels, baseline by OLS on what remains."""
    c = problem.n_channels
    (mk, _), (ms, _) = problem.priors
    media = np.concatenate([np.full(c, decay0), np.full(c, mk), np.full(c, ms)])
    probe = np.concatenate([np.zeros(problem.n_base), np.ones(c), media, np.zeros(c * problem.n_knots)])
    h_mean = np.array([r[0][: len(problem.log_y)].mean() for r in problem.responses(probe)])
    b = np.where(h_mean > 0, _INIT_SHARE / np.where(h_mean > 0, h_mean, 1.0), 0.0)
    probe[problem.n_base : problem.n_base + c] = np.maximum(b, 1e-4)
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


def effect_prior_of(data: CausalDataset, spec: ModelSpec) -> EffectPrior | None:
    """The effect prior that the units of ``data`` allow (see :attr:`ModelSpec.effect_prior`)."""
    kind = spec.effect_prior
    money = data.outcome_is_money_in_spend_currency
    if kind == "roi" and not money:
        raise ValueError(
            "effect_prior='roi' needs the outcome to be money in the spend's currency; declare "
            "`outcome_currency` and `spend_currency`, or use effect_prior='share'"
        )
    if kind == "none":
        return None
    spend = np.maximum(data.spend.sum(axis=0), 1e-12)
    if kind == "roi" or (kind == "auto" and money and spec.roi_prior is not None):
        assert spec.roi_prior is not None
        return EffectPrior("roi", spec.roi_prior[0], spec.roi_prior[1], spend)
    return EffectPrior(
        "share", spec.share_prior[0], spec.share_prior[1], share_denominators(data, len(data.outcome))
    )


def share_denominators(data: CausalDataset, stop: int) -> FloatArray:
    """``total outcome · spend_c / total spend`` over the first ``stop`` periods ``(C,)``: the lift of
    channel ``c`` if the whole outcome were shared among channels in proportion to spend."""
    spend = np.maximum(data.spend[:stop].sum(axis=0), 1e-12)
    return np.asarray(max(float(data.outcome[:stop].sum()), 1e-12) * spend / spend.sum(), dtype=np.float64)


def periods_of(days: int, frequency: str) -> int:
    """``days`` expressed in periods of ``frequency`` (at least 1)."""
    return max(1, round(days / (1 if frequency == "D" else 7)))


def build_problem(
    data: CausalDataset, spec: ModelSpec, tests: tuple[LiftTest, ...], time_varying: bool = False
) -> tuple[Problem, Design]:
    """The stage-one problem (white errors) and the calendar design of ``data``; with
    ``time_varying`` the channel levels may change over time (knots every ``spec.tv_knot_days``)."""
    design = calendar_design(data.dates, data.frequency, spec, data.controls)
    X = np.hstack([np.ones((data.n_periods, 1)), design.matrix])
    y = np.maximum(data.outcome, 0.01 * max(float(np.median(data.outcome)), 1e-9))
    log_y = np.log(y)
    resid = log_y - X @ np.linalg.lstsq(X, log_y, rcond=None)[0]
    lag = spec.lag_for(data.frequency)
    basis = (
        knot_basis(data.n_periods, lag, periods_of(spec.tv_knot_days, data.frequency))
        if time_varying
        else None
    )
    problem = Problem(
        X=X,
        log_y=log_y,
        media=MediaModel.build(data.spend, lag),
        scale=float(y.mean()),
        ar=np.zeros(0),
        sigma=max(float(resid.std()), 1e-6),
        priors=(spec.half_saturation_prior, spec.shape_prior),
        lifts=lift_rows(data, tests),
        decay_bounds=spec.decay_bounds,
        lift_weight=spec.lift_test_weight,
        effect_prior=effect_prior_of(data, spec),
        gamma_prior_sd=np.array(
            [np.inf] + [np.inf if g == "trend" else spec.calendar_prior_sd for g in design.groups]
        ),
        tv_basis=basis,
        tv_step_sd=spec.tv_step_sd,
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


def _bootstrap(problem: Problem, p: FloatArray, n: int, block: int, seed: int) -> Posterior:
    """Parameter draws ``(n, P)`` from refits (warm) on moving-block bootstraps of the whitened log
    residuals."""
    rng = np.random.default_rng(seed)
    base, contrib = problem.mean(p)
    log_mu = np.log(base + contrib.sum(axis=1))
    e = problem.whiten(problem.log_y - log_mu)
    t = len(e)
    draws = np.zeros((n, len(p)))
    for i in range(n):
        starts = rng.integers(0, t - block + 1, size=t // block + 1)
        e_star = np.concatenate([e[s : s + block] for s in starts])[:t]
        r_star = np.asarray(lfilter([1.0], np.concatenate([[1.0], -problem.ar]), e_star), dtype=np.float64)
        star = replace(problem, log_y=log_mu + r_star)
        draws[i] = fit_problem(star, p, max_nfev=40)
    return Posterior(draws, np.full(n, 1.0 / n), "bootstrap", float(n))


def fit_mmm(data: CausalDataset, spec: ModelSpec, tests: tuple[LiftTest, ...] = ()) -> MMMFit:
    """Fit the response model to ``data`` and draw from its posterior (``spec.interval_method``)."""
    problem, design = build_problem(data, spec, tests)
    problem, params = fit_point(problem, spec.ar_order_for(data.frequency))
    windows = tuple(periods_of(d, data.frequency) for d in spec.current_windows)
    main = _with_posterior(problem, params, design, windows, data, spec)
    if not spec.time_varying:
        return main
    varying, _ = build_problem(data, spec, tests, time_varying=True)
    if varying.tv_basis is None:
        return main
    start = np.concatenate([params, np.zeros(varying.n_params - len(params))])
    varying = replace(varying, ar=problem.ar, sigma=problem.sigma)
    current = _with_posterior(varying, fit_problem(varying, start), design, windows, data, spec)
    return replace(main, current=current)


def _with_posterior(
    problem: Problem,
    params: FloatArray,
    design: Design,
    windows: tuple[int, ...],
    data: CausalDataset,
    spec: ModelSpec,
) -> MMMFit:
    hac = _hac_factor(problem, params)
    if spec.interval_method == "bootstrap":
        block = 28 if data.frequency == "D" else 4
        posterior = _bootstrap(problem, params, spec.n_bootstrap, min(block, data.n_periods // 4), spec.seed)
    else:
        posterior = gaussian_posterior(problem, params, hac, spec.n_draws, spec.seed, spec.interval_method)
    return MMMFit(problem, params, design, posterior, windows, hac)


def response_curve(problem: Problem, p: FloatArray, multipliers: FloatArray) -> FloatArray:
    """Whole-range lift per channel at spend scaled by each multiplier: ``(len(multipliers), C)``."""
    _, b, decay, log_k, shape = problem.split(p)
    mult = problem.multiplier(p)
    out = np.zeros((len(multipliers), problem.n_channels))
    for c in range(problem.n_channels):
        level = b[c] * problem.scale * mult[:, c]
        for i, m in enumerate(multipliers):
            h = problem.media.response(c, decay[c], log_k[c], shape[c], problem.media.spend[:, c] * m)[0]
            out[i, c] = float(level @ h)
    return out


def one_step_residuals(problem: Problem, p: FloatArray) -> FloatArray:
    """One-step-ahead log prediction errors ``(T,)`` (the AR-whitened residuals)."""
    base, contrib = problem.mean(p)
    return problem.whiten(problem.log_y - np.log(base + contrib.sum(axis=1)))


def seasonal_naive(history: FloatArray, horizon: int, season: int) -> FloatArray:
    """Seasonal-naive forecast ``(horizon,)``: the last observed season repeated (``season`` periods;
    falls back to the last value when the history is shorter than a season)."""
    if len(history) < season or season < 1:
        return np.full(horizon, float(history[-1]))
    last = history[-season:]
    return np.asarray(np.resize(last, horizon), dtype=np.float64)


def naive_season(frequency: str, n_train: int) -> int:
    """Season of the naive baseline: a week for daily data, a year (52) for weekly data with more
    than a year of history, else 1 (repeat the last value)."""
    if frequency == "D":
        return 7
    return 52 if n_train > 52 else 1


def training_fits(data: CausalDataset, spec: ModelSpec, folds: int) -> Iterator[TrainingFit]:
    """The rolling-origin folds: for each, the response model refitted on everything before its
    held-out periods (``1/(folds+4)`` of the range each; priors over the training periods), returned
    on the whole range (:class:`TrainingFit`) so that it can predict the held-out periods from their
    spend and calendar."""
    problem, _ = build_problem(data, spec, ())
    t, lag = data.n_periods, problem.media.lag
    horizon = max(1, t // (folds + 4))
    for f in range(folds):
        stop = t - (folds - f) * horizon
        media = replace(MediaModel.build(data.spend[:stop], lag), medians=problem.media.medians)
        prior = problem.effect_prior
        if prior is not None:
            prior = replace(prior, denominators=_train_denominators(data, prior.kind, stop))
        train = replace(
            problem,
            X=problem.X[:stop],
            log_y=problem.log_y[:stop],
            media=media,
            effect_prior=prior,
        )
        train, params = fit_point(train, spec.ar_order_for(data.frequency))
        full = replace(train, X=problem.X, log_y=problem.log_y, media=problem.media)
        yield TrainingFit(stop, slice(stop, min(t, stop + horizon)), full, params)


def forecast_accuracy(
    data: CausalDataset, spec: ModelSpec, folds: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rolling-origin forecasts (:func:`training_fits`): actual, model-predicted and seasonal-naive
    outcome on each fold's held-out periods, concatenated ``(n_test,)``; the model (constant levels,
    as the whole-range effects) is given the held-out periods' spend and calendar (what it
    conditions on)."""
    actual, predicted, naive = [], [], []
    for fold in training_fits(data, spec, folds):
        base, contrib = fold.problem.mean(fold.params)
        actual.append(data.outcome[fold.rows])
        predicted.append((base + contrib.sum(axis=1))[fold.rows])
        naive.append(naive_forecast(data, fold))
    return np.concatenate(actual), np.concatenate(predicted), np.concatenate(naive)


def naive_forecast(data: CausalDataset, fold: TrainingFit) -> FloatArray:
    """The seasonal-naive forecast of ``fold``'s held-out periods from the periods before them."""
    history = data.outcome[: fold.stop]
    return seasonal_naive(history, fold.rows.stop - fold.rows.start, naive_season(data.frequency, fold.stop))


def _train_denominators(data: CausalDataset, kind: str, stop: int) -> FloatArray:
    if kind == "roi":
        return np.asarray(np.maximum(data.spend[:stop].sum(axis=0), 1e-12), dtype=np.float64)
    return share_denominators(data, stop)
