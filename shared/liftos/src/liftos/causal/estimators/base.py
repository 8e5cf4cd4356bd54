"""The estimator base class and the helpers estimators share. Each estimator declares a
``lookup_name``; the table :data:`liftos.causal.estimators.ESTIMATORS` lists them explicitly and
``ModelSpec.attribution_model`` selects one. To add one, subclass :class:`Estimator` and add it there::

    class MyEstimator(Estimator):
        lookup_name = "mine"

        def fit(self, data, spec, lift_tests):
            ...  # return CausalResults
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from importlib.util import find_spec
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm  # type: ignore[import-untyped]

from liftos.causal.data import CausalDataset
from liftos.causal.lift import LiftTest
from liftos.causal.results import CausalResults, ChannelEffect
from liftos.causal.spec import ModelSpec
from liftos.errors import ConfigError

__all__ = [
    "Estimator",
    "channel_effect",
    "no_cv_details",
    "oos_details",
    "r2_and_mape",
    "require_econml",
]

FloatArray = NDArray[np.float64]


class Estimator(ABC):
    """An attribution method: ``fit(data, spec, lift_tests) -> CausalResults``."""

    lookup_name: ClassVar[str] = ""

    @abstractmethod
    def fit(self, data: CausalDataset, spec: ModelSpec, lift_tests: tuple[LiftTest, ...]) -> CausalResults:
        """Estimate every channel's effect on ``data``."""


def require_econml(method: str) -> None:
    """Check that the optional econml estimators' packages are installed.

    Raises:
        ConfigError: econml or scikit-learn is missing, naming the extra that installs them.
    """
    missing = [name for name in ("econml", "sklearn") if find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"attribution_model={method!r} needs {' and '.join(missing)}: pip install 'liftos[econml]'"
        )


def channel_effect(
    channel: str, lift: float, se: float, spend: float, mroas: float, level: float, method: str
) -> ChannelEffect:
    """A :class:`ChannelEffect` from a lift, its standard error and spend (normal interval)."""
    z = float(norm.ppf(0.5 + level / 2.0))
    low, high = lift - z * se, lift + z * se
    p_value = float(2.0 * norm.sf(abs(lift) / se)) if se > 0 else (0.0 if lift != 0 else 1.0)
    per = spend if spend > 0 else float("nan")
    return ChannelEffect(
        channel=channel,
        revenue_lift=float(lift),
        ci_lower=float(low),
        ci_upper=float(high),
        p_value=p_value,
        incremental_roas=float(lift / per),
        marginal_roas=float(mroas),
        spend=float(spend),
        iroas_ci_lower=float(low / per),
        iroas_ci_upper=float(high / per),
        method=method,
    )


def r2_and_mape(actual: FloatArray, predicted: FloatArray) -> tuple[float, float]:
    """R² and mean absolute percentage error of ``predicted`` against ``actual`` (both ``(n,)``)."""
    sse = float(np.sum((actual - predicted) ** 2))
    sst = float(np.sum((actual - actual.mean()) ** 2))
    mape = float(np.mean(np.abs(actual - predicted) / np.maximum(np.abs(actual), 1e-12)))
    return (1.0 - sse / sst if sst > 0 else float("nan")), mape


def oos_details(
    actual: FloatArray, predicted: FloatArray, naive: FloatArray
) -> tuple[float, dict[str, float]]:
    """``model_accuracy`` (``1 - MAPE`` of held-out ``predicted`` against ``actual``, clipped to
    [0, 1]) and the details ``oos_r2``, ``oos_mape``, ``baseline_mape``, ``baseline_accuracy`` (the
    seasonal-naive forecast ``naive`` of the same periods) and ``beats_baseline`` (1/0)."""
    r2, mape = r2_and_mape(actual, predicted)
    naive_mape = r2_and_mape(actual, naive)[1]
    return float(np.clip(1.0 - mape, 0.0, 1.0)), {
        "oos_r2": r2,
        "oos_mape": mape,
        "baseline_mape": naive_mape,
        "baseline_accuracy": float(np.clip(1.0 - naive_mape, 0.0, 1.0)),
        "beats_baseline": float(mape <= naive_mape),
    }


def no_cv_details() -> dict[str, float]:
    """The out-of-sample details when cross-validation is off (all NaN)."""
    keys = ("oos_r2", "oos_mape", "baseline_mape", "baseline_accuracy", "beats_baseline")
    return dict.fromkeys(keys, float("nan"))
