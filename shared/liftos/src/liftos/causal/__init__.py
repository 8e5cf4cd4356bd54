"""``liftos.causal``: incremental (causal) effect of each marketing channel on a business outcome.

Data (:mod:`.data`), specification (:mod:`.spec`), models (:mod:`.model`, :mod:`.fit`,
:mod:`.estimators`) and analysis (:mod:`.results`, :mod:`.plots`, :mod:`.export`) are separate modules.
Entry point: :class:`CausalAPI` (``liftos.Client().causal()``).
"""

from liftos.causal.api import CausalAPI
from liftos.causal.data import CausalDataset, prepare_causal_data
from liftos.causal.drift import ResidualDriftMonitor, drift_points
from liftos.causal.estimators import ESTIMATORS, Estimator, get_estimator
from liftos.causal.lift import LiftTest
from liftos.causal.results import CausalResults, ChannelEffect, TemporalEffects
from liftos.causal.spec import ModelSpec

__all__ = [
    "ESTIMATORS",
    "CausalAPI",
    "CausalDataset",
    "CausalResults",
    "ChannelEffect",
    "Estimator",
    "LiftTest",
    "ModelSpec",
    "ResidualDriftMonitor",
    "TemporalEffects",
    "drift_points",
    "get_estimator",
    "prepare_causal_data",
]
