"""The fitted media response with its posterior, for planning (budget plans, experiment designs).

:class:`ResponseModel` answers "what incremental outcome would this spend path produce?" with the
model's own adstock → Hill response per channel, carryover from the observed history into the
horizon and out of it, at each channel's current level (the time-varying level at the end of the
data), for the MAP and for every posterior draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from liftos.causal.model import Problem

__all__ = ["ResponseModel"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ResponseModel:
    """``problem`` and MAP ``params`` of a fit, its posterior ``draws`` ``(S, P)`` with ``weights``
    ``(S,)``, the ``channels`` ``(C,)``, the data ``frequency`` (``"D"``/``"W"``) and the observed
    ``history`` of spend ``(T, C)`` (money per period)."""

    problem: Problem
    params: FloatArray
    draws: FloatArray
    weights: FloatArray
    channels: tuple[str, ...]
    frequency: str
    history: FloatArray

    @property
    def lag(self) -> int:
        """Carryover length in periods."""
        return self.problem.media.lag

    def contribution(self, plan: FloatArray, params: FloatArray | None = None) -> FloatArray:
        """Media contribution per period and channel ``(H + lag - 1, C)`` of spending ``plan``
        ``(H, C)`` in the ``H`` periods after the data, carryover of the history included (outcome
        units; the rows after ``H`` are the carryover tail)."""
        p = self.params if params is None else params
        _, b, decay, log_k, shape = self.problem.split(p)
        level = b * self.problem.scale * self.problem.multiplier(p)[-1]
        t, h = self.history.shape[0], plan.shape[0]
        spend = np.vstack([self.history, plan, np.zeros((self.lag - 1, plan.shape[1]))])
        out = np.zeros((h + self.lag - 1, plan.shape[1]))
        for c in range(plan.shape[1]):
            x = self.problem.media.response(c, decay[c], log_k[c], shape[c], spend[:, c])[0]
            out[:, c] = level[c] * x[t:]
        return out

    def incremental(self, plan: FloatArray, reference: FloatArray | None = None) -> FloatArray:
        """Incremental outcome per channel of ``plan`` over ``reference`` (default: no spend) in the
        horizon and its carryover tail, for every draw: ``(S, C)`` (weight with ``weights``)."""
        ref = np.zeros_like(plan) if reference is None else reference
        return np.stack(
            [
                self.contribution(plan, d).sum(axis=0) - self.contribution(ref, d).sum(axis=0)
                for d in self.draws
            ]
        )
