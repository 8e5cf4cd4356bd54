"""The fitted response to a spend plan over a future horizon, per posterior draw: what the budget
optimiser maximises and what the experiment planner predicts.

A plan spends ``totals[c]`` on channel ``c`` over the ``H`` periods after the data, evenly per period.
Each draw's channel response is the model's own adstock → Hill curve
(:class:`liftos.causal.response.ResponseModel`): the adstocked spend in the horizon and its carryover
tail (``H + lag - 1`` periods) is the history's carryover into the horizon plus ``totals[c] / H`` times
the adstock of one unit per period, and the incremental outcome of the plan is the channel's
contribution with the plan minus without it (spend after the horizon is zero in both, so the tail of
the plan's own carryover out of the horizon is counted). Everything is vectorised over draws ``S`` and
channels ``C``; evaluations cost microseconds, so an optimiser can call them freely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter  # type: ignore[import-untyped]

from liftos.causal.response import ResponseModel
from liftos.causal.transforms import adstock_weights

__all__ = ["HorizonResponse"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class HorizonResponse:
    """Per draw ``s`` and channel ``c`` over the ``N = H + lag - 1`` periods from the horizon's start:
    ``carry`` ``(S, C, N)`` the history's adstocked spend, ``ramp`` ``(S, C, N)`` the adstock of one
    unit of spend per horizon period, ``half_saturation`` and ``shape`` ``(S, C)`` of the Hill curve,
    ``levels`` ``(S, C)`` the contribution at full saturation (outcome units per period) and ``weights``
    ``(S,)`` of the draws; ``periods`` = ``H``."""

    carry: FloatArray
    ramp: FloatArray
    half_saturation: FloatArray
    shape: FloatArray
    levels: FloatArray
    weights: FloatArray
    periods: int

    @classmethod
    def of(cls, response: ResponseModel, periods: int, params: FloatArray | None = None) -> HorizonResponse:
        """The horizon of ``periods`` periods after ``response``'s data, for its posterior draws (or
        for the parameter vectors ``params`` ``(S, P)``, equally weighted)."""
        if periods < 1:
            raise ValueError(f"the horizon must be at least one period, got {periods}")
        draws = response.draws if params is None else np.atleast_2d(params)
        weights = response.weights if params is None else np.full(len(draws), 1.0 / len(draws))
        problem, lag = response.problem, response.lag
        n_channels, n = len(response.channels), periods + lag - 1
        tail = response.history[-(lag - 1) :] if lag > 1 else response.history[:0]
        shape_sc = (len(draws), n_channels)
        carry, ramp = np.zeros((*shape_sc, n)), np.zeros((*shape_sc, n))
        k, shapes, levels = np.zeros(shape_sc), np.zeros(shape_sc), np.zeros(shape_sc)
        unit = np.concatenate([np.ones(periods), np.zeros(lag - 1)])
        for s, p in enumerate(draws):
            _, b, decay, log_k, shape = problem.split(p)
            levels[s] = b * problem.scale * problem.multiplier(p)[-1]
            k[s] = np.exp(log_k) * problem.media.medians
            shapes[s] = shape
            for c in range(n_channels):
                w = adstock_weights(float(decay[c]), lag)
                past = np.concatenate([tail[:, c], np.zeros(n)])
                carry[s, c] = lfilter(w, [1.0], past)[len(tail) :]
                ramp[s, c] = lfilter(w, [1.0], unit)
        return cls(carry, ramp, k, shapes, levels, np.asarray(weights, dtype=np.float64), periods)

    @property
    def n_channels(self) -> int:
        """Number of channels ``C``."""
        return int(self.levels.shape[1])

    def _hill(self, x: FloatArray) -> FloatArray:
        ratio = np.maximum(x, 0.0) / self.half_saturation[..., None]
        powered = ratio ** self.shape[..., None]
        return np.asarray(powered / (1.0 + powered), dtype=np.float64)

    def outcome(self, totals: FloatArray) -> FloatArray:
        """Incremental outcome ``(S, C)`` of spending ``totals`` ``(C,)`` (money over the horizon,
        evenly per period) against no spend in the horizon, carryover out of it included."""
        rate = np.asarray(totals, dtype=np.float64) / self.periods
        with_plan = self._hill(self.carry + rate[None, :, None] * self.ramp).sum(axis=2)
        without = self._hill(self.carry).sum(axis=2)
        return np.asarray(self.levels * (with_plan - without), dtype=np.float64)

    def outcome_and_gradient(self, totals: FloatArray) -> tuple[FloatArray, FloatArray]:
        """:meth:`outcome` and its derivative w.r.t. each channel's total ``(S, C)`` (the marginal
        return of the last unit of the plan's spend, outcome per unit of money)."""
        rate = np.asarray(totals, dtype=np.float64) / self.periods
        x = self.carry + rate[None, :, None] * self.ramp
        h = self._hill(x)
        without = self._hill(self.carry).sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(x > 0, self.shape[..., None] * h * (1.0 - h) / np.where(x > 0, x, 1.0), 0.0)
        gradient = self.levels * (slope * self.ramp).sum(axis=2) / self.periods
        return np.asarray(self.levels * (h.sum(axis=2) - without), dtype=np.float64), gradient
