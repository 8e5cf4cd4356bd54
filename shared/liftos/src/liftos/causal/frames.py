"""Tables shared by the estimators' results: the decomposition over time and response curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.causal.data import CausalDataset

__all__ = ["MULTIPLIERS", "decomposition_frame", "response_frame"]

FloatArray = NDArray[np.float64]
MULTIPLIERS: FloatArray = np.linspace(0.0, 2.0, 21)  # spend multipliers of the response curves


def decomposition_frame(data: CausalDataset, baseline: FloatArray, contrib: FloatArray) -> pd.DataFrame:
    """``date``, ``actual``, ``fitted``, ``baseline`` and one column per channel: ``(T, 4 + C)``.

    ``baseline`` ``(T,)`` and ``contrib`` ``(T, C)`` are in outcome units per period.
    """
    frame = pd.DataFrame(
        {
            "date": data.dates,
            "actual": data.outcome,
            "fitted": baseline + contrib.sum(axis=1),
            "baseline": baseline,
        }
    )
    for i, channel in enumerate(data.channels):
        frame[channel] = contrib[:, i]
    return frame


def response_frame(channels: tuple[str, ...], spend: FloatArray, lifts: FloatArray) -> pd.DataFrame:
    """Long response-curve table from whole-range lifts ``(M, C)`` at :data:`MULTIPLIERS` x spend ``(C,)``."""
    rows = [
        {
            "channel": ch,
            "spend_multiplier": float(m),
            "spend": float(m * spend[c]),
            "revenue_lift": float(lifts[i, c]),
        }
        for c, ch in enumerate(channels)
        for i, m in enumerate(MULTIPLIERS)
    ]
    return pd.DataFrame(rows)
