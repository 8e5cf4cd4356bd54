"""Diagnostics of a fitted response model that feed the verdicts (:mod:`liftos.causal.verdicts`):
prior contraction, spend variation, collinearity and spend feedback. All computed from the fit and
the data only."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from liftos.causal.data import CausalDataset
from liftos.causal.fit import ChannelDraw, MMMFit, one_step_residuals
from liftos.causal.verdicts import ChannelEvidence

__all__ = ["channel_evidence", "collinearity", "feedback_z", "prior_contraction", "spend_feedback_z"]

FloatArray = NDArray[np.float64]
_FEEDBACK_LAGS = 7


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
    periods (any estimator's one-step-ahead errors). Under no feedback the surprises are white noise,
    so the correlation times ``√n`` is about N(0, 1)."""
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
        out[ch] = corr * math.sqrt(len(a)) * math.sqrt(lags)
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
            )
        )
    return evidence
