"""Drift detection on one-step-ahead residuals (river), to trigger an early refit.

Feed :attr:`CausalResults.residuals` of the last fit, then each new period's one-step-ahead residual;
``update`` returns True when the residual distribution has shifted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ResidualDriftMonitor", "drift_points"]

Detector = Literal["adwin", "page_hinkley"]


@dataclass
class ResidualDriftMonitor:
    """Wraps river's ``ADWIN`` (``delta``) or ``PageHinkley`` (``threshold``) on a residual stream.

    ``n_seen``: residuals consumed; ``drifts``: indices (0-based, in stream order) where drift fired.
    """

    detector: Detector = "adwin"
    delta: float = 0.002
    threshold: float = 0.5
    n_seen: int = 0
    drifts: list[int] = field(default_factory=list)
    _impl: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        from river import drift

        if self.detector == "adwin":
            self._impl = drift.ADWIN(delta=self.delta)  # type: ignore[no-untyped-call]
        elif self.detector == "page_hinkley":
            self._impl = drift.PageHinkley(threshold=self.threshold)
        else:
            raise ValueError(f"unknown detector {self.detector!r}; expected 'adwin' or 'page_hinkley'")

    def update(self, residual: float) -> bool:
        """Consume one residual; True when drift is detected at it."""
        self._impl.update(float(residual))
        self.n_seen += 1
        if bool(self._impl.drift_detected):
            self.drifts.append(self.n_seen - 1)
            return True
        return False


def drift_points(residuals: Iterable[float], detector: Detector = "adwin", delta: float = 0.002) -> list[int]:
    """Indices where drift fires over a whole residual sequence."""
    monitor = ResidualDriftMonitor(detector=detector, delta=delta)
    for value in residuals:
        monitor.update(value)
    return monitor.drifts
