"""Features shared by the econml estimators: adstocked treatments, calendar controls and a log-linear
outcome model for temporal effects and rolling-origin accuracy."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.causal.data import CausalDataset
from liftos.causal.design import Design, calendar_design
from liftos.causal.estimators.base import no_cv_details, oos_details, r2_and_mape
from liftos.causal.evidence import collinearity
from liftos.causal.fit import naive_season, seasonal_naive
from liftos.causal.frames import MULTIPLIERS, decomposition_frame, response_frame
from liftos.causal.results import CausalResults, ChannelEffect, TemporalEffects
from liftos.causal.spec import ModelSpec
from liftos.causal.temporal import temporal_effects
from liftos.causal.transforms import adstock
from liftos.causal.verdicts import ChannelEvidence, ModelEvidence, effect_sentence, judge

__all__ = ["DML_DECAY", "Panel", "build_panel", "linear_results"]

FloatArray = NDArray[np.float64]
DML_DECAY = 0.5  # fixed carryover of the econml treatments (a cross-check, not a fitted response)


class Panel:
    """``y`` ``(T,)``, adstocked treatments ``T_ad`` ``(T, C)``, their whole-range totals with the
    carryover tail ``totals`` ``(C,)``, calendar ``design`` and heterogeneity features ``X`` ``(T, 3)``
    (month, weekday, years since start)."""

    def __init__(self, data: CausalDataset, spec: ModelSpec) -> None:
        lag = spec.lag_for(data.frequency)
        padded = np.vstack([data.spend, np.zeros((lag - 1, len(data.channels)))])
        stocked = adstock(padded, DML_DECAY, lag)
        self.data = data
        self.y = data.outcome
        self.T_ad = stocked[: data.n_periods]
        self.totals = stocked.sum(axis=0)
        self.design: Design = calendar_design(data.dates, data.frequency, spec, data.controls)
        years = (data.dates - data.dates[0]).days.to_numpy(dtype=np.float64) / 365.25
        self.X = np.column_stack([data.dates.month, data.dates.day_of_week, years]).astype(np.float64)

    def temporal(self) -> TemporalEffects:
        """Calendar effects from OLS of ``log y`` on the design and the adstocked treatments."""
        gamma = self._log_ols(slice(None))
        return temporal_effects(self.design, gamma[1 : 1 + self.design.matrix.shape[1]], self.data.dates)

    def _matrix(self) -> FloatArray:
        return np.column_stack(
            [np.ones(len(self.y)), self.design.matrix, self.T_ad / self.T_ad.std(axis=0).clip(1e-9)]
        )

    def _log_ols(self, rows: slice) -> FloatArray:
        log_y = np.log(np.maximum(self.y, 1e-9))
        return np.asarray(np.linalg.lstsq(self._matrix()[rows], log_y[rows], rcond=None)[0], dtype=np.float64)

    def accuracy(self, spec: ModelSpec) -> tuple[float, dict[str, float]]:
        """``1 - MAPE`` of rolling-origin forecasts of the log-linear outcome model (NaN without CV)
        and details, with the seasonal-naive baseline of the same periods."""
        full = self._matrix()
        in_r2, in_mape = r2_and_mape(self.y, np.exp(full @ self._log_ols(slice(None))))
        details = {"in_sample_r2": in_r2, "in_sample_mape": in_mape, "folds": float(spec.cv_folds)}
        if not spec.cross_validation:
            return float("nan"), details | no_cv_details()
        t = len(self.y)
        horizon = max(1, t // (spec.cv_folds + 4))
        actual, predicted, naive = [], [], []
        for f in range(spec.cv_folds):
            stop = t - (spec.cv_folds - f) * horizon
            coef = self._log_ols(slice(0, stop))
            actual.append(self.y[stop : stop + horizon])
            predicted.append(np.exp(full[stop : stop + horizon] @ coef))
            naive.append(
                seasonal_naive(self.y[:stop], len(actual[-1]), naive_season(self.data.frequency, stop))
            )
        accuracy, oos = oos_details(np.concatenate(actual), np.concatenate(predicted), np.concatenate(naive))
        return accuracy, details | oos

    def residuals(self) -> pd.DataFrame:
        """Log residuals of the outcome model per period (``date``, ``residual``)."""
        log_y = np.log(np.maximum(self.y, 1e-9))
        return pd.DataFrame(
            {"date": self.data.dates, "residual": log_y - self._matrix() @ self._log_ols(slice(None))}
        )


def build_panel(data: CausalDataset, spec: ModelSpec) -> Panel:
    """The :class:`Panel` of ``data``."""
    return Panel(data, spec)


def _judged(
    panel: Panel, effects: dict[str, ChannelEffect], contrib: FloatArray, details: dict[str, float]
) -> dict[str, ChannelEffect]:
    """``effects`` with verdicts from this estimator's own fit (no prior: interval, variation,
    collinearity, length and out-of-sample accuracy)."""
    data = panel.data
    model = ModelEvidence(data.n_periods, data.frequency, details["oos_mape"], details["baseline_mape"])
    colin = collinearity(panel.design.matrix, contrib, data.channels)
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
        out[channel] = replace(e, verdict=verdict, verdict_reason=reason, summary=summary)
    return out


def linear_results(
    method: str,
    panel: Panel,
    spec: ModelSpec,
    effects: dict[str, ChannelEffect],
    slope: FloatArray,
    ignored: int,
) -> CausalResults:
    """Results of a linear-in-adstock estimator: contributions are ``slope x adstocked spend``."""
    data = panel.data
    contrib = panel.T_ad * slope
    accuracy, details = panel.accuracy(spec)
    effects = _judged(panel, effects, contrib, details)
    curves = np.outer(MULTIPLIERS, slope * panel.totals)
    return CausalResults(
        method=method,
        effects=effects,
        temporal=panel.temporal(),
        model_accuracy=accuracy,
        accuracy=details,
        decomposition=decomposition_frame(data, data.outcome - contrib.sum(axis=1), contrib),
        response_curves=response_frame(data.channels, data.spend.sum(axis=0), curves),
        residuals=panel.residuals(),
        confidence_level=spec.confidence_level,
        metadata={
            "method": method,
            "frequency": data.frequency,
            "periods": data.n_periods,
            "decay": DML_DECAY,
            "lift_tests_ignored": ignored,
            "seed": spec.seed,
            **data.metadata,
        },
    )
