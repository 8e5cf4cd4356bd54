"""Estimators, registered by ``lookup_name`` (``"mmm"``, ``"dml"``, ``"causal_forest"``)."""

from liftos.causal.estimators.base import ESTIMATORS, Estimator, get_estimator
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
