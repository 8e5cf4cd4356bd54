"""Media transforms: normalised geometric adstock (carryover) and Hill saturation.

Arrays are ordered in time (oldest first); spend is money per period (day or week).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter  # type: ignore[import-untyped]

__all__ = ["adstock", "adstock_weights", "hill", "hill_derivatives"]

FloatArray = NDArray[np.float64]


def adstock_weights(decay: float, max_lag: int) -> FloatArray:
    """Lag weights ``w_l ∝ decay**l`` for ``l = 0..max_lag-1``, summing to 1; shape ``(max_lag,)``."""
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"decay must be in [0, 1), got {decay}")
    if max_lag < 1:
        raise ValueError("max_lag must be >= 1")
    weights = decay ** np.arange(max_lag, dtype=np.float64)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def adstock(spend: FloatArray, decay: float, max_lag: int) -> FloatArray:
    """Normalised geometric adstock of ``spend`` along axis 0.

    ``out[t] = sum_{l < max_lag} w_l * spend[t - l]`` with :func:`adstock_weights`; the total of the
    output equals the total of the input when ``spend`` is zero-padded by ``max_lag - 1`` periods.
    ``spend``: ``(T,)`` or ``(T, C)``; returns the same shape.
    """
    x = np.asarray(spend, dtype=np.float64)
    weights = adstock_weights(decay, max_lag)
    return np.asarray(lfilter(weights, [1.0], x, axis=0), dtype=np.float64)


def hill(x: FloatArray, half_saturation: float, shape: float) -> FloatArray:
    """Hill saturation ``x**s / (x**s + K**s)`` in ``[0, 1)``; same shape as ``x`` (negatives → 0)."""
    if half_saturation <= 0.0 or shape <= 0.0:
        raise ValueError("half_saturation and shape must be positive")
    ratio = np.maximum(np.asarray(x, dtype=np.float64), 0.0) / half_saturation
    powered = ratio**shape
    return np.asarray(powered / (1.0 + powered), dtype=np.float64)


def hill_derivatives(x: FloatArray, half_saturation: float, shape: float) -> tuple[FloatArray, FloatArray]:
    """Partial derivatives of :func:`hill` w.r.t. ``log K`` and ``shape``; each the shape of ``x``.

    With ``h = r**s / (1 + r**s)``, ``r = x / K``: ``dh/dlogK = -s h (1-h)`` and
    ``dh/ds = h (1-h) log r`` (0 where ``x == 0``).
    """
    h = hill(x, half_saturation, shape)
    core = h * (1.0 - h)
    ratio = np.maximum(np.asarray(x, dtype=np.float64), 0.0) / half_saturation
    with np.errstate(divide="ignore"):
        log_ratio = np.where(ratio > 0.0, np.log(np.where(ratio > 0.0, ratio, 1.0)), 0.0)
    return np.asarray(-shape * core, dtype=np.float64), np.asarray(core * log_ratio, dtype=np.float64)
