"""Independent, named random streams derived from one seed, so each part of the world is reproducible
on its own (changing the scenario or the entity count does not reshuffle the demand draws)."""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["stream"]


def stream(seed: int, name: str) -> np.random.Generator:
    """A numpy ``Generator`` for the stream ``name`` of ``seed`` (``seed`` must be >= 0)."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.default_rng([seed, zlib.crc32(name.encode())])
