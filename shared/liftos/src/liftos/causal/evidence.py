"""Diagnostics of a fitted response model that feed the verdicts (:mod:`liftos.causal.verdicts`):
prior contraction, spend variation, collinearity, spend feedback and the outcome's response at a
channel's sharp spend changes. All computed from the fit and the data only."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter  # type: ignore[import-untyped]

from liftos.causal.data import CausalDataset
from liftos.causal.fit import ChannelDraw, MMMFit, one_step_residuals
from liftos.causal.posterior import linearised_fit
from liftos.causal.verdicts import ChannelEvidence

__all__ = [
    "EventResponse",
    "channel_evidence",
    "collinearity",
    "event_response",
    "feedback_z",
    "prior_contraction",
    "spend_feedback_z",
]

FloatArray = NDArray[np.float64]
_FEEDBACK_LAGS = 7
_EVENT_ROBUST_Z = 3.5  # a spend change is "sharp" beyond 3.5 robust SDs (Iglewicz-Hoaglin outlier rule)
_MAD_TO_SD = 1.4826
_EVENT_WINDOW_DAYS = 7  # compare the week after a sharp change with the week before (weekly: 2 weeks)
_MIN_EVENTS = 3
_MIN_PLACEBOS = 30
_MAX_ABSORBED = 0.95
_MIN_SIGNAL = 1.0  # skip when the whole predicted response is under one SD of noise (no power)


def prior_contraction(fit: MMMFit, draws: list[ChannelDraw]) -> FloatArray:
    """``1 - var_post(log lift) / sd_prior²`` per channel ``(C,)`` (NaN without an effect prior)."""
    prior = fit.problem.effect_prior
    if prior is None:
        return np.full(fit.problem.n_channels, np.nan)
    logs = np.log(np.maximum(np.stack([d.lift for d in draws]), 1e-300))
    variance = fit.posterior.variance(logs)
    return np.asarray(1.0 - variance / prior.sd**2, dtype=np.float64)


def collinearity(design: FloatArray, contrib: FloatArray, names: tuple[str, ...]) -> list[tuple[float, str]]:
    """Per channel: R² of its contribution ``(T,)`` on the calendar ``design`` ``(T, K)`` and the other
    channels' contributions, and what explains most of it (``"the calendar"`` or a channel name)."""
    out = []
    t, c = contrib.shape
    for ch in range(c):
        y = contrib[:, ch] - contrib[:, ch].mean()
        sst = float(y @ y)
        if sst <= 0:
            out.append((1.0, "nothing (it is constant)"))
            continue
        others = [j for j in range(c) if j != ch]
        full = np.column_stack([np.ones(t), design, contrib[:, others]])
        r2 = 1.0 - _sse(full, y) / sst
        calendar_only = 1.0 - _sse(np.column_stack([np.ones(t), design]), y) / sst
        best = "the calendar"
        best_r2 = calendar_only
        for j in others:
            single = 1.0 - _sse(np.column_stack([np.ones(t), contrib[:, j]]), y) / sst
            if single > best_r2:
                best, best_r2 = names[j], single
        out.append((float(np.clip(r2, 0.0, 1.0)), best))
    return out


def _sse(matrix: FloatArray, y: FloatArray) -> float:
    coef = np.linalg.lstsq(matrix, y, rcond=None)[0]
    r = y - matrix @ coef
    return float(r @ r)


def feedback_z(fit: MMMFit, spend: FloatArray) -> FloatArray:
    """Per channel ``(C,)``: :func:`spend_feedback_z` of the fit's one-step-ahead outcome surprises."""
    return spend_feedback_z(one_step_residuals(fit.problem, fit.params), fit.problem.X, spend)


def spend_feedback_z(surprises: FloatArray, X: FloatArray, spend: FloatArray) -> FloatArray:
    """Per channel ``(C,)``: z-score of the channel's spend ``(T, C)`` (log, calendar ``X`` ``(T, K)``
    removed) following the mean outcome surprise ``(T,)`` of the previous :data:`_FEEDBACK_LAGS`
    periods (any estimator's one-step-ahead errors; positive: spend rises after unexplained good days).

    Under no feedback the surprises ``e`` are white noise, so their ``L``-period mean has
    autocorrelation ``1 - k/L`` for ``k < L`` and 0 beyond, and the correlation ``r`` of an
    autocorrelated series ``s`` with it has variance ``(1 + 2 Σ_{k<L} ρ_s(k)(1 - k/L)) / n``
    (Bartlett's formula for two independent series): ``z = r √n / √(that)`` is about N(0, 1).
    (Spend is persistent, so treating ``r √n`` as N(0, 1) would overstate the evidence several-fold.)
    """
    e = surprises
    lags = _FEEDBACK_LAGS
    past = np.convolve(e, np.ones(lags) / lags)[: len(e)]  # mean of e[t-lags+1 .. t]
    out = np.full(spend.shape[1], np.nan)
    for ch in range(spend.shape[1]):
        s = np.log1p(spend[:, ch] / max(float(spend[:, ch].mean()), 1e-12))
        if s.std() == 0:
            continue
        r = s - X @ np.linalg.lstsq(X, s, rcond=None)[0]
        a, b = r[lags:], past[lags - 1 : -1]  # spend at t against surprises up to t-1
        if a.std() == 0 or b.std() == 0:
            continue
        corr = float(np.corrcoef(a, b)[0, 1])
        centred = a - a.mean()
        acf = [float(centred[k:] @ centred[:-k]) / float(centred @ centred) for k in range(1, lags)]
        inflation = 1.0 + 2.0 * sum((1.0 - k / lags) * rho for k, rho in enumerate(acf, start=1))
        out[ch] = corr * math.sqrt(len(a) / max(inflation, 1.0 / len(a)))
    return out


@dataclass(frozen=True)
class EventResponse:
    """The outcome's response at one channel's sharp spend changes against the model's prediction.

    ``events``: how many sharp changes were used. ``ratio``: observed / predicted response (1 = the
    model's effect explains them; 0 = the outcome did not move), the least-squares slope of the
    observed on the predicted before/after contrasts. ``z``: z-score of the shortfall (negative:
    the model predicts more response than the outcome shows); NaN when there are too few changes.
    """

    events: int
    ratio: float
    z: float


def sharp_changes(spend: FloatArray, window: int) -> list[int]:
    """Periods ``t`` where the channel's spend ``(T,)`` jumps (``log1p(spend / mean)`` changes from
    ``t-1`` to ``t`` by more than :data:`_EVENT_ROBUST_Z` robust SDs of its period-to-period
    changes), each with ``window`` periods on either side and at least ``2·window`` periods from the
    next chosen one (largest first)."""
    level = np.log1p(spend / max(float(spend.mean()), 1e-12))
    change = np.diff(level)
    if change.size == 0:
        return []
    mad = float(np.median(np.abs(change - np.median(change)))) * _MAD_TO_SD
    threshold = _EVENT_ROBUST_Z * max(mad, 1e-9)
    chosen: list[int] = []
    for i in np.argsort(-np.abs(change)):
        if abs(change[i]) <= threshold:
            break
        t = int(i) + 1
        if window <= t <= len(spend) - window and all(abs(t - c) >= 2 * window for c in chosen):
            chosen.append(t)
    return sorted(chosen)


def _contrast(series: FloatArray, t: int, window: int) -> float:
    return float(series[t : t + window].mean() - series[t - window : t].mean())


def event_response(fit: MMMFit, data: CausalDataset) -> list[EventResponse]:
    """Per channel: does the outcome move at the channel's sharp spend changes as much as the fit says?

    Launches, pauses and bursts change spend faster than demand moves, so they are the closest thing
    to an experiment an observational series holds; an effect that rests on spend drifting with
    demand the model cannot see predicts responses at these changes that the outcome does not show.
    For each sharp change (:func:`sharp_changes`): the contrast (mean of the ``w`` periods after minus
    the ``w`` before; ``w`` = a week, two weeks for weekly data) of the log residual and of the
    channel's fitted share of the outcome (the predicted response). The statistic ``Σ pred·resid``
    is scaled by the SD of residual contrasts at placebo dates (all dates at least ``2w`` from every
    change: robust to the error model) and by ``√(1 - a)``, ``a`` the share of the contrast's
    variance the fit absorbs through its hat matrix (the fit bends towards influential changes, which
    would otherwise make the test conservative). Under a correct model it is about N(0, 1).
    Not assessed (NaN) with fewer than three changes, fewer than 30 placebo dates, or when the whole
    predicted response is smaller than one SD of the statistic's noise (a test without power).
    """
    problem, p = fit.problem, fit.params
    base, contrib = problem.mean(p)
    mu = base + contrib.sum(axis=1)
    resid = problem.log_y - np.log(mu)
    n = len(resid)
    window = max(2, round(_EVENT_WINDOW_DAYS / 7)) if data.frequency == "W" else _EVENT_WINDOW_DAYS
    _, jac, h_inv = linearised_fit(problem, p)
    row_scale = problem.row_scale()
    ar_filter = np.concatenate([[1.0], -problem.ar])
    out = []
    for c in range(problem.n_channels):
        events = sharp_changes(data.spend[:, c], window)
        near = np.zeros(n, dtype=bool)
        for t in events:
            near[max(0, t - 2 * window) : t + 2 * window] = True
        placebo = [_contrast(resid, t, window) for t in range(window, n - window + 1) if not near[t]]
        if len(events) < _MIN_EVENTS or len(placebo) < _MIN_PLACEBOS:
            out.append(EventResponse(len(events), math.nan, math.nan))
            continue
        share = contrib[:, c] / mu
        predicted = np.array([_contrast(share, t, window) for t in events])
        observed = np.array([_contrast(resid, t, window) for t in events])
        weights = np.zeros(n)  # the statistic is weights · resid
        for t, value in zip(events, predicted, strict=True):
            weights[t : t + window] += value / window
            weights[t - window : t] -= value / window
        # resid = W⁻¹(r / row_scale) for the data rows r, so weights·resid = (W⁻ᵀ weights / row_scale)·r
        in_rows = np.asarray(lfilter([1.0], ar_filter, weights[::-1])[::-1], dtype=np.float64) / row_scale
        total = float(in_rows @ in_rows)
        projected = jac.T @ in_rows
        absorbed = min(max(float(projected @ h_inv @ projected) / total, 0.0), _MAX_ABSORBED)
        size = float(predicted @ predicted)
        noise = float(np.std(placebo)) * math.sqrt(1.0 - absorbed)
        if size <= 0 or noise <= 0 or math.sqrt(size) / noise < _MIN_SIGNAL:
            out.append(EventResponse(len(events), math.nan, math.nan))  # the test could not see it
            continue
        z = float(predicted @ observed) / (noise * math.sqrt(size))
        out.append(EventResponse(len(events), 1.0 + float(predicted @ observed) / size, z))
    return out


def channel_evidence(
    fit: MMMFit,
    data: CausalDataset,
    point: ChannelDraw,
    bounds: FloatArray,
    contraction: FloatArray,
) -> list[ChannelEvidence]:
    """One :class:`ChannelEvidence` per channel; ``bounds`` ``(2, C)`` is the iROAS interval."""
    _, contrib = fit.fitted()
    colin = collinearity(fit.design.matrix, contrib, data.channels)
    feedback = feedback_z(fit, data.spend)
    events = event_response(fit, data)
    evidence = []
    for c, channel in enumerate(data.channels):
        series = contrib[:, c]
        mean = float(series.mean())
        evidence.append(
            ChannelEvidence(
                channel=channel,
                estimate=float(point.iroas[c]),
                lower=float(bounds[0, c]),
                upper=float(bounds[1, c]),
                prior_contraction=None if not np.isfinite(contraction[c]) else float(contraction[c]),
                active_share=float(np.mean(data.spend[:, c] > 0)),
                variation=float(series.std() / mean) if mean > 0 else 0.0,
                collinearity=colin[c][0],
                collinear_with=colin[c][1],
                feedback_z=float(feedback[c]),
                event_z=events[c].z,
                event_ratio=events[c].ratio,
                events=events[c].events,
            )
        )
    return evidence
