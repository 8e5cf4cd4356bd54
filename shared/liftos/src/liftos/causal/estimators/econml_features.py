"""What the econml estimators (``dml``, ``causal_forest``) share: the effect model interface, the
linear DML stage refitted on every first-stage draw, intervals as mixtures over those draws, their
own out-of-sample accuracy, verdicts from their own fit and the comparison with the default MMM.

How an effect and its interval are made (the same for every functional of the contributions: lift,
marginal return, trailing windows, response curve points, heterogeneity groups; see
:mod:`~liftos.causal.estimators.media_treatment`): for each of the response model's posterior draws
``k`` of the media transform, econml's estimate ``v_k`` of the functional and its standard error
``s_k`` (econml's own inference) give a normal distribution; the interval is the quantiles of the
equal mixture of those normals (the transform's uncertainty and econml's sampling uncertainty
together, law of total variance), the published point its median. ``LinearDML`` is refitted on each
draw's treatments; the forest is fitted once (on the MAP transform) and shifted by how much the linear
stage's estimate moves from draw to draw.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import norm  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liftos.causal.data import CausalDataset
from liftos.causal.estimators.base import no_cv_details, oos_details, r2_and_mape
from liftos.causal.estimators.media_treatment import FIRST_STAGE_DRAWS, MediaTreatment
from liftos.causal.estimators.mmm import calendar_used, whole_range_iroas
from liftos.causal.evidence import collinearity, spend_feedback_z
from liftos.causal.fit import MMMFit, naive_forecast, periods_of, training_fits
from liftos.causal.frames import MULTIPLIERS, decomposition_frame, response_frame
from liftos.causal.lift import LiftTest
from liftos.causal.results import CausalResults, ChannelEffect, WindowEffect
from liftos.causal.spec import ModelSpec
from liftos.causal.temporal import temporal_effects
from liftos.causal.verdicts import ChannelEvidence, ModelEvidence, effect_sentence, judge

__all__ = [
    "FIRST_STAGE_DRAWS",
    "NUISANCE_DESCRIPTION",
    "NUISANCE_FOLDS",
    "EffectModel",
    "LinearStage",
    "ModelFitter",
    "Summary",
    "econml_results",
    "fit_linear_dml",
    "mixture_quantiles",
    "nuisance_models",
    "summarise",
]

FloatArray = NDArray[np.float64]
Weights = Callable[[int], FloatArray]  # draw index -> weights per padded period (T + lag - 1,)
#: econml's ``cv``: 1 = the nuisance models are fitted on all periods (no cross-fitting; see
#: :func:`nuisance_models`).
NUISANCE_FOLDS = 1
NUISANCE_DESCRIPTION = "least squares on the calendar design, fitted on all periods (no cross-fitting)"
S_SHAPE_NOTE = (
    "mROAS is above iROAS: the fitted curve is S-shaped below current spend, so the next unit of spend "
    "is estimated to return more than the average unit so far."
)


def nuisance_models(spec: ModelSpec) -> tuple[Any, Any]:
    """The outcome and treatment nuisance models: least squares on the controls (the response
    model's calendar design, :func:`~liftos.causal.estimators.media_treatment.nuisance_controls`);
    under ``treatment_assignment="randomized"`` the treatment model is a constant (no propensity).

    Fitted on all periods, without cross-fitting (:data:`NUISANCE_FOLDS`): the nuisance is a linear
    model of a fixed, small design (tens of columns against hundreds of periods), a class for which
    partialling out on the whole sample is unbiased (Frisch–Waugh–Lovell; sample splitting guards
    flexible learners against overfitting bias, which this class does not have). Measured on the
    ``default`` world (40 seeds, the linear stage on the MAP transform): ridge penalties chosen by
    leave-one-out CV with 3-fold cross-fitting shrank the outcome's model far more than the
    treatments' (its signal is small against the noise) and attenuated the coefficient — meta
    −15 % median error, median APE 0.25 / google 0.35 — against −5 %, 0.19 / 0.31 with least squares
    on all periods."""
    from sklearn.dummy import DummyRegressor  # type: ignore[import-untyped]
    from sklearn.linear_model import LinearRegression  # type: ignore[import-untyped]

    model_t = DummyRegressor() if spec.treatment_assignment == "randomized" else LinearRegression()
    return LinearRegression(), model_t


def fit_linear_dml(
    y: FloatArray, treatments: FloatArray, controls: FloatArray, spec: ModelSpec
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """econml ``LinearDML`` of ``y`` ``(n,)`` on ``treatments`` ``(n, C)`` with ``controls`` ``(n, K)``
    (:func:`nuisance_models`): the constant coefficient per treatment ``(C,)``, its standard error
    (econml's, heteroskedasticity robust) ``(C,)`` and the final stage's residuals ``(n,)``."""
    from econml.dml import LinearDML

    model_y, model_t = nuisance_models(spec)
    est = LinearDML(model_y=model_y, model_t=model_t, cv=NUISANCE_FOLDS, random_state=spec.seed)
    est.fit(y, treatments, X=None, W=controls, cache_values=True)
    inference = est.intercept__inference()
    theta = np.atleast_1d(np.asarray(inference.point_estimate, dtype=np.float64)).ravel()
    se = np.atleast_1d(np.asarray(inference.stderr, dtype=np.float64)).ravel()
    y_res, t_res = est.residuals_[0], est.residuals_[1]
    return theta, se, np.asarray(np.ravel(y_res) - np.reshape(t_res, (len(y), -1)) @ theta, dtype=np.float64)


@dataclass(frozen=True)
class LinearStage:
    """``LinearDML`` per parameter vector of a :class:`MediaTreatment` (MAP first): ``theta`` and
    ``se`` ``(D, C)`` and the MAP fit's residuals ``(T,)`` (whitened; zero for the skipped first
    periods)."""

    theta: FloatArray
    se: FloatArray
    residuals: FloatArray

    @classmethod
    def fit(
        cls, mt: MediaTreatment, spec: ModelSpec, stop: int | None = None, draws: bool = True
    ) -> LinearStage:
        """Fit on the periods before ``stop`` (default all); ``draws``: also on every posterior draw."""
        rows = slice(0, None if stop is None else stop - mt.skipped)
        y, controls = mt.outcome_rows()[rows], mt.control_rows()[rows]
        fits = [
            fit_linear_dml(y, mt.treatment_rows(k)[rows], controls, spec)
            for k in range(len(mt.params) if draws else 1)
        ]
        residuals = np.zeros(mt.n_periods)
        residuals[mt.skipped : mt.skipped + len(fits[0][2])] = fits[0][2]
        return cls(np.stack([f[0] for f in fits]), np.stack([f[1] for f in fits]), residuals)

    def values(self, c: int, weights: Weights) -> FloatArray:
        """``θ_k · Σ w_k`` for every parameter vector ``k`` ``(D,)`` (channel ``c``)."""
        return np.array([self.theta[k, c] * float(weights(k).sum()) for k in range(len(self.theta))])


class EffectModel(ABC):
    """An econml estimator's fitted effect model on a :class:`MediaTreatment`."""

    @abstractmethod
    def draws(self, c: int, weights: Weights) -> tuple[FloatArray, FloatArray]:
        """Per posterior draw of the transform ``(S,)``: the estimate of ``Σ_t θ_c(t) w(t)`` and its
        standard error, for channel ``c`` and the weights of each draw (``weights(k)``, ``k`` = 1..S;
        0 = MAP)."""

    @abstractmethod
    def contributions(self) -> FloatArray:
        """Fitted contributions per padded period ``(T + lag - 1, C)`` (MAP transform)."""

    @property
    @abstractmethod
    def residuals(self) -> FloatArray:
        """One-step (whitened) residuals of the outcome relative to the baseline ``(T,)``."""

    @property
    @abstractmethod
    def settings(self) -> dict[str, object]:
        """The estimator's settings for the metadata."""


@dataclass(frozen=True)
class Summary:
    """Median, interval and two-sided p-value (effect = 0) of a mixture of normals."""

    point: float
    low: float
    high: float
    p_value: float


def mixture_quantiles(values: FloatArray, sds: FloatArray, probabilities: FloatArray) -> FloatArray:
    """Quantiles ``(Q,)`` of the equal mixture of ``N(values_k, sds_k²)`` ``(S,)`` at ``probabilities``
    ``(Q,)``, exact to 1e-9 of the mixture's spread (bisection on its CDF; a zero SD is a point mass;
    where the CDF is flat at a probability, the middle of the flat stretch)."""
    spread = float(np.sqrt(np.mean(sds**2) + np.var(values))) or max(float(np.abs(values).max()), 1.0)
    sd = np.maximum(sds, 1e-12 * spread)[None, :]
    target = np.asarray(probabilities, dtype=np.float64)

    def search(strict: bool) -> FloatArray:
        low = np.full(len(target), float(np.min(values - 10.0 * sds)) - spread)
        high = np.full(len(target), float(np.max(values + 10.0 * sds)) + spread)
        while float(np.max(high - low)) > 1e-9 * spread:
            mid = 0.5 * (low + high)
            cdf = norm.cdf((mid[:, None] - values[None, :]) / sd).mean(axis=1)
            left = cdf < target if strict else cdf <= target
            low, high = np.where(left, mid, low), np.where(left, high, mid)
        return np.asarray(0.5 * (low + high), dtype=np.float64)

    return np.asarray(0.5 * (search(True) + search(False)), dtype=np.float64)


def summarise(values: FloatArray, sds: FloatArray, level: float) -> Summary:
    """The equal mixture of ``N(values_k, sds_k²)`` ``(S,)``: median, ``level`` interval (its exact
    quantiles) and the two-sided p-value of effect = 0 (normal with the mixture's mean and SD)."""
    values, sds = np.asarray(values, dtype=np.float64), np.asarray(sds, dtype=np.float64)
    alpha = (1.0 - level) / 2.0
    low, point, high = mixture_quantiles(values, sds, np.array([alpha, 0.5, 1.0 - alpha]))
    sd = float(np.sqrt(np.mean(sds**2) + np.var(values)))
    p_value = float(2.0 * norm.sf(abs(float(values.mean())) / sd)) if sd > 0 else 1.0
    return Summary(float(point), float(low), float(high), p_value)


@dataclass(frozen=True)
class _Context:
    data: CausalDataset
    spec: ModelSpec
    mt: MediaTreatment
    model: EffectModel

    def summary(self, c: int, weights: Weights) -> Summary:
        return summarise(*self.model.draws(c, weights), self.spec.confidence_level)


def _windows(ctx: _Context, c: int) -> tuple[WindowEffect, ...]:
    """Trailing-window effects of channel ``c`` (the effect of the window's spend, carryover included)."""
    data, mt = ctx.data, ctx.mt
    out = []
    for days in ctx.spec.current_windows:
        periods = min(periods_of(days, data.frequency), data.n_periods)
        first = data.n_periods - periods
        mask = np.zeros(len(mt.spend), dtype=bool)
        mask[first : data.n_periods] = True
        s = ctx.summary(c, partial(mt.removed, c=c, periods=mask))
        out.append(
            WindowEffect.of(
                periods * (1 if data.frequency == "D" else 7),
                str(data.dates[first].date()),
                str(data.dates[-1].date()),
                float(mt.spend[mask, c].sum()),
                s.point,
                s.low,
                s.high,
            )
        )
    return tuple(out)


def _effect(ctx: _Context, c: int, method: str) -> ChannelEffect:
    mt = ctx.mt
    lift = ctx.summary(c, partial(mt.channel, c=c))
    slope = ctx.summary(c, partial(mt.slope, c=c))
    spend = float(ctx.data.spend[:, c].sum())
    per = spend if spend > 0 else float("nan")
    return ChannelEffect(
        channel=ctx.data.channels[c],
        revenue_lift=lift.point,
        ci_lower=lift.low,
        ci_upper=lift.high,
        p_value=lift.p_value,
        incremental_roas=lift.point / per,
        marginal_roas=slope.point / per,
        spend=spend,
        iroas_ci_lower=lift.low / per,
        iroas_ci_upper=lift.high / per,
        method=method,
        mroas_ci_lower=slope.low / per,
        mroas_ci_upper=slope.high / per,
        current=_windows(ctx, c),
        curve_note=S_SHAPE_NOTE if lift.point > 0 and slope.point > lift.point * (1 + 1e-9) else "",
    )


def _curves(ctx: _Context) -> pd.DataFrame:
    """Whole-range lift at :data:`MULTIPLIERS` x spend with bands, from the same mixtures."""
    mt, channels = ctx.mt, ctx.data.channels
    spend = ctx.data.spend.sum(axis=0)
    summaries = [
        [ctx.summary(c, partial(mt.scaled, c=c, multiplier=float(m))) for m in MULTIPLIERS]
        for c in range(len(channels))
    ]
    frame = response_frame(channels, spend, np.array([[s.point for s in col] for col in summaries]).T)
    frame["revenue_lift_lower"] = [s.low for col in summaries for s in col]
    frame["revenue_lift_upper"] = [s.high for col in summaries for s in col]
    return frame


def _disagreement(effect: ChannelEffect, mmm: tuple[float, float, float], level: float) -> str:
    """The reason text when ``effect``'s iROAS interval and the MMM's (point, low, high) do not overlap."""
    point, low, high = mmm
    if not (effect.iroas_ci_upper < low or effect.iroas_ci_lower > high):
        return ""
    return (
        f"it disagrees with the default mmm estimator beyond both intervals (mmm: {point:.2f}, "
        f"{level:.0%} interval {low:.2f} to {high:.2f})"
    )


def _judged(
    ctx: _Context, fit: MMMFit, effects: dict[str, ChannelEffect], details: dict[str, float]
) -> dict[str, ChannelEffect]:
    """``effects`` with verdicts from this estimator's own fit (no prior: interval, spend variation,
    collinearity, spend feedback on its own residuals, length, its own out-of-sample accuracy, and
    whether it disagrees with the default MMM)."""
    data, level = ctx.data, ctx.spec.confidence_level
    contrib = ctx.model.contributions()[: data.n_periods]
    colin = collinearity(fit.design.matrix, contrib, data.channels)
    feedback = spend_feedback_z(ctx.model.residuals, fit.problem.X, data.spend)
    mmm_point, mmm_bounds = whole_range_iroas(fit, level)
    model = ModelEvidence(data.n_periods, data.frequency, details["oos_mape"], details["baseline_mape"])
    out = {}
    for c, (channel, e) in enumerate(effects.items()):
        mean = float(contrib[:, c].mean())
        evidence = ChannelEvidence(
            channel=channel,
            estimate=e.incremental_roas,
            lower=e.iroas_ci_lower,
            upper=e.iroas_ci_upper,
            prior_contraction=None,
            active_share=float(np.mean(data.spend[:, c] > 0)),
            variation=float(contrib[:, c].std() / mean) if mean > 0 else 0.0,
            collinearity=colin[c][0],
            collinear_with=colin[c][1],
            feedback_z=float(feedback[c]),
            disagreement=_disagreement(
                e, (float(mmm_point[c]), float(mmm_bounds[0, c]), float(mmm_bounds[1, c])), level
            ),
        )
        verdict, reason = judge(evidence, model)
        summary = effect_sentence(
            channel,
            verdict,
            reason,
            e.incremental_roas,
            e.iroas_ci_lower,
            e.iroas_ci_upper,
            data.outcome_name,
            data.outcome_is_money_in_spend_currency,
        )
        current = tuple(w.judged(verdict) for w in e.current)
        out[channel] = replace(e, verdict=verdict, verdict_reason=reason, summary=summary, current=current)
    return out


ModelFitter = Callable[[MediaTreatment, ModelSpec, int | None, bool], EffectModel]


def _accuracy(
    data: CausalDataset, spec: ModelSpec, mt: MediaTreatment, model: EffectModel, fitter: ModelFitter
) -> tuple[float, dict[str, float]]:
    """``model_accuracy`` (``1 - MAPE`` of rolling-origin forecasts: on each fold, the response model
    and this estimator refitted on the periods before it predict it from its spend and calendar as
    baseline + fitted contributions; NaN without CV) and the details, with the seasonal-naive
    baseline of the same periods."""
    t = data.n_periods
    fitted = mt.baseline + model.contributions()[:t].sum(axis=1)
    in_r2, in_mape = r2_and_mape(data.outcome, fitted)
    details = {"in_sample_r2": in_r2, "in_sample_mape": in_mape, "folds": float(spec.cv_folds)}
    if not spec.cross_validation:
        return float("nan"), details | no_cv_details()
    actual, predicted, naive = [], [], []
    for fold in training_fits(data, spec, spec.cv_folds):
        train = MediaTreatment.point(data, spec, fold.problem, fold.params[None, :])
        contributions = fitter(train, spec, fold.stop, False).contributions()[:t]
        actual.append(data.outcome[fold.rows])
        predicted.append((train.baseline + contributions.sum(axis=1))[fold.rows])
        naive.append(naive_forecast(data, fold))
    accuracy, oos = oos_details(np.concatenate(actual), np.concatenate(predicted), np.concatenate(naive))
    return accuracy, details | oos


def econml_results(
    method: str,
    data: CausalDataset,
    spec: ModelSpec,
    tests: tuple[LiftTest, ...],
    fitter: ModelFitter,
    extra: Callable[[MediaTreatment, EffectModel, ModelSpec], dict[str, Any]] | None = None,
    varying: bool = False,
) -> CausalResults:
    """Fit the response model (the first stage), then ``fitter``'s effect model on its transform
    (MAP and posterior draws), and summarise everything as :class:`CausalResults`. ``extra`` may add
    result fields (the forest's heterogeneity); ``varying``: the treatments come from the response
    model whose channel levels may change over time (:meth:`MediaTreatment.build`). BLAS runs
    single-threaded (its threads cost more than they save on these small solves)."""
    with threadpool_limits(1):
        return _results(method, data, spec, tests, fitter, extra, varying)


def _results(
    method: str,
    data: CausalDataset,
    spec: ModelSpec,
    tests: tuple[LiftTest, ...],
    fitter: ModelFitter,
    extra: Callable[[MediaTreatment, EffectModel, ModelSpec], dict[str, Any]] | None,
    varying: bool,
) -> CausalResults:
    mt, fit = MediaTreatment.build(data, spec, tests, varying)
    model = fitter(mt, spec, None, True)
    ctx = _Context(data, spec, mt, model)
    accuracy, details = _accuracy(data, spec, mt, model, fitter)
    effects = {ch: _effect(ctx, c, method) for c, ch in enumerate(data.channels)}
    effects = _judged(ctx, fit, effects, details)
    contrib = model.contributions()[: data.n_periods]
    gamma = fit.problem.split(fit.params)[0]
    _, _, decay, log_k, shape = fit.problem.split(fit.params)
    results = CausalResults(
        method=method,
        effects=effects,
        temporal=temporal_effects(fit.design, gamma[1:], data.dates),
        model_accuracy=accuracy,
        accuracy=details,
        decomposition=decomposition_frame(data, mt.baseline, contrib),
        response_curves=_curves(ctx),
        residuals=pd.DataFrame({"date": data.dates, "residual": model.residuals}),
        confidence_level=spec.confidence_level,
        metadata={
            "method": method,
            "frequency": data.frequency,
            "periods": data.n_periods,
            "start": str(data.dates[0].date()),
            "end": str(data.dates[-1].date()),
            "treatment": (
                "the response model's fitted contribution per channel (adstock + Hill"
                + (", levels varying over time" if varying else "")
                + ")"
            ),
            "interval_method": (
                f"econml inference mixed over {mt.n_draws} posterior draws of the response model's "
                "media transform"
            ),
            "first_stage_draws": mt.n_draws,
            "first_stage_decay": dict(zip(data.channels, map(float, decay), strict=True)),
            "first_stage_half_saturation": dict(
                zip(data.channels, map(float, np.exp(log_k) * fit.problem.media.medians), strict=True)
            ),
            "first_stage_hill_shape": dict(zip(data.channels, map(float, shape), strict=True)),
            "ar_coefficients": [float(a) for a in fit.problem.ar],
            "calendar": calendar_used(spec, data.frequency),
            "lift_tests_in_first_stage": len(fit.problem.lifts),
            "seed": spec.seed,
            "treatment_assignment": spec.treatment_assignment,
            **model.settings,
            **data.metadata,
        },
    )
    if extra is None:
        return results
    return replace(results, **extra(mt, model, spec))
