"""Deterministic, exact apportionment of leaf-day rows into breakdown / segment rows.

Each leaf-day row (Meta ad-day, Google ad-group-day) is split over the requested dimensions in a
canonical order. Every integer metric (cents, micros, counts) is split by the largest-remainder
method, so the breakdown rows of a row sum EXACTLY to the row. Weights are a fixed profile per
dimension times a per-row jitter derived from a 64-bit hash of the row key, so a split never
changes between requests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "GOOGLE_SEGMENTS",
    "META_BREAKDOWNS",
    "Dimension",
    "expand_breakdowns",
    "largest_remainder",
    "row_keys",
]

Dimension = tuple[str, tuple[tuple[str, float], ...]]

META_BREAKDOWNS: dict[str, tuple[tuple[str, float], ...]] = {
    "age": (
        ("18-24", 0.12),
        ("25-34", 0.27),
        ("35-44", 0.24),
        ("45-54", 0.18),
        ("55-64", 0.12),
        ("65+", 0.07),
    ),
    "gender": (("female", 0.55), ("male", 0.42), ("unknown", 0.03)),
    "publisher_platform": (
        ("facebook", 0.52),
        ("instagram", 0.38),
        ("audience_network", 0.06),
        ("messenger", 0.04),
    ),
    "device_platform": (("mobile_app", 0.78), ("mobile_web", 0.1), ("desktop", 0.12)),
}

GOOGLE_SEGMENTS: dict[str, tuple[tuple[str, float], ...]] = {
    "segments.device": (("MOBILE", 0.56), ("DESKTOP", 0.34), ("TABLET", 0.07), ("CONNECTED_TV", 0.03)),
    "segments.ad_network_type": (
        ("SEARCH", 0.68),
        ("SEARCH_PARTNERS", 0.08),
        ("CONTENT", 0.16),
        ("YOUTUBE", 0.08),
    ),
    "segments.click_type": (("URL_CLICKS", 0.86), ("SITELINKS", 0.09), ("CALLS", 0.05)),
}

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser over a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = values + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        out: np.ndarray = z ^ (z >> np.uint64(31))
        return out


def _salt(text: str) -> np.uint64:
    """A stable 64-bit salt for a dimension name (not Python's randomised hash)."""
    value = 1469598103934665603
    for byte in text.encode():
        value = ((value ^ byte) * 1099511628211) % (1 << 64)
    return np.uint64(value)


def row_keys(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Stable uint64 key per row from the given key columns."""
    hashed = pd.util.hash_pandas_object(frame[list(columns)], index=False)
    return hashed.to_numpy(dtype=np.uint64)


def largest_remainder(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split integer ``totals`` (n,) over ``weights`` (n, k) into integers summing exactly to totals.

    Negative totals are split by magnitude and the sign restored.
    """
    totals = np.asarray(totals, dtype=np.int64)
    sign = np.where(totals < 0, -1, 1).astype(np.int64)
    magnitude = np.abs(totals)
    share = weights / weights.sum(axis=1, keepdims=True)
    raw = magnitude[:, None].astype(np.float64) * share
    floor = np.floor(raw).astype(np.int64)
    missing = magnitude - floor.sum(axis=1)
    order = np.argsort(-(raw - floor), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(weights.shape[1])[None, :].repeat(len(totals), 0), axis=1)
    floor += (ranks < missing[:, None]).astype(np.int64)
    result: np.ndarray = floor * sign[:, None]
    return result


def _weights(keys: np.ndarray, name: str, profile: np.ndarray) -> np.ndarray:
    """Per-row weights (n, k): the profile times a deterministic jitter in [0.6, 1.4)."""
    k = len(profile)
    cats = np.arange(1, k + 1, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        mixed = _splitmix(keys[:, None] ^ _salt(name) ^ (cats * _GOLDEN))
    unit = (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return profile[None, :] * (0.6 + 0.8 * unit)


def _expand_one(
    frame: pd.DataFrame, keys: np.ndarray, dim: Dimension, metrics: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Split every row of ``frame`` over one dimension's categories."""
    name, categories = dim
    labels = np.array([label for label, _ in categories], dtype=object)
    profile = np.array([weight for _, weight in categories], dtype=np.float64)
    k = len(labels)
    weights = _weights(keys, name, profile)
    out = frame.loc[frame.index.repeat(k)].reset_index(drop=True)
    out[name] = np.tile(labels, len(frame))
    for metric in metrics:
        split = largest_remainder(frame[metric].to_numpy(dtype=np.int64), weights)
        out[metric] = split.reshape(-1)
    with np.errstate(over="ignore"):
        new_keys = _splitmix(
            np.repeat(keys, k) ^ (np.tile(np.arange(1, k + 1, dtype=np.uint64), len(frame)) * _salt(name))
        )
    return out, new_keys


def expand_breakdowns(
    frame: pd.DataFrame, key_columns: Sequence[str], dims: Sequence[Dimension], metrics: Sequence[str]
) -> pd.DataFrame:
    """Split each row of ``frame`` over ``dims`` (in the given order), exactly for each metric.

    ``metrics`` must be integer columns; rows with every metric zero are dropped from the result,
    as the platforms omit empty breakdown rows.
    """
    if not dims or frame.empty:
        return frame
    out = frame.reset_index(drop=True)
    keys = row_keys(out, key_columns)
    for dim in dims:
        out, keys = _expand_one(out, keys, dim, metrics)
    nonzero = (out[list(metrics)].to_numpy() != 0).any(axis=1)
    result: pd.DataFrame = out[nonzero].reset_index(drop=True)
    return result
