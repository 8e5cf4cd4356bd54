"""The estimators, in one explicit table by ``lookup_name`` (``"mmm"``, ``"dml"``, ``"causal_forest"``).

The econml estimators import econml and scikit-learn only when they fit (the ``liftos[econml]`` extra),
so this table and ``liftos.causal`` import without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from liftos.causal.estimators.base import Estimator
from liftos.causal.estimators.causal_forest import CausalForestEstimator
from liftos.causal.estimators.dml import DMLEstimator
from liftos.causal.estimators.mmm import MMMEstimator

__all__ = [
    "ESTIMATORS",
    "CausalForestEstimator",
    "DMLEstimator",
    "Estimator",
    "MMMEstimator",
    "get_estimator",
]

#: Estimator classes by lookup name.
ESTIMATORS: Final[Mapping[str, type[Estimator]]] = MappingProxyType(
    {e.lookup_name: e for e in (MMMEstimator, DMLEstimator, CausalForestEstimator)}
)


def get_estimator(name: str) -> Estimator:
    """A new estimator of lookup name ``name``; ``ValueError`` for unknown names."""
    if name not in ESTIMATORS:
        raise ValueError(f"unknown attribution model {name!r}; expected one of {sorted(ESTIMATORS)}")
    return ESTIMATORS[name]()
