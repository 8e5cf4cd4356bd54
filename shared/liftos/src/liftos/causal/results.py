"""What an analysis returns: per-channel effects, temporal effects, out-of-sample accuracy, the
decomposition over time and response curves, plus plots and an Excel export (delegated to
:mod:`liftos.causal.plots` and :mod:`liftos.causal.export`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CausalResults", "ChannelEffect", "TemporalEffects"]


@dataclass(frozen=True)
class ChannelEffect:
    """One channel's causal effect over the analysed range (money in the outcome's unit).

    ``revenue_lift``: outcome lost if the channel's spend were zero over the range (carryover after the
    range included), with its interval ``ci_lower..ci_upper`` at the analysis' confidence level and a
    two-sided ``p_value`` for "no effect". ``incremental_roas`` = lift / spend (average return), with
    ``iroas_ci_lower..iroas_ci_upper``; ``marginal_roas``: extra outcome per extra unit of spend for +1 %
    spend. ``spend``: total treatment over the range. ``method``: estimator lookup name.
    """

    channel: str
    revenue_lift: float
    ci_lower: float
    ci_upper: float
    p_value: float
    incremental_roas: float
    marginal_roas: float
    spend: float
    iroas_ci_lower: float
    iroas_ci_upper: float
    method: str = "mmm"


@dataclass(frozen=True)
class TemporalEffects:
    """Calendar effects on the baseline outcome, as fractions (0.05 = +5 %).

    ``day_effects``: weekday → effect relative to the average weekday (daily data; empty for weekly).
    ``seasonal_effects``: month name → seasonal effect relative to the yearly average.
    ``holiday_lift``: average effect of a public holiday (or holiday week) on the baseline.
    ``event_effects``: each holiday / retail-event indicator → its effect.
    """

    day_effects: dict[str, float]
    seasonal_effects: dict[str, float]
    holiday_lift: float
    event_effects: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class CausalResults:
    """Results of :meth:`liftos.causal.CausalAPI.analyze_attribution`.

    ``effects``: channel → :class:`ChannelEffect`. ``model_accuracy``: out-of-sample R² of the outcome
    (rolling-origin folds; NaN when cross-validation is off); ``accuracy``: details (``oos_r2``,
    ``oos_mape``, ``in_sample_r2``, ``folds``). ``decomposition``: per period ``date``, ``actual``,
    ``fitted``, ``baseline`` and one contribution column per channel. ``response_curves``: ``channel``,
    ``spend_multiplier``, ``spend``, ``revenue_lift`` (whole range at scaled spend). ``residuals``:
    one-step-ahead log residuals ``(T,)`` for drift detection (``date``, ``residual``).
    """

    method: str
    effects: dict[str, ChannelEffect]
    temporal: TemporalEffects
    model_accuracy: float
    accuracy: dict[str, float]
    decomposition: pd.DataFrame
    response_curves: pd.DataFrame
    residuals: pd.DataFrame
    confidence_level: float
    metadata: dict[str, Any] = field(default_factory=dict)
    heterogeneity: pd.DataFrame | None = None

    def get_channel_effects(self) -> dict[str, ChannelEffect]:
        """Channel → :class:`ChannelEffect`."""
        return dict(self.effects)

    def get_temporal_effects(self) -> TemporalEffects:
        """Weekday, seasonal and holiday effects on the baseline."""
        return self.temporal

    @property
    def treatment_effects(self) -> pd.DataFrame:
        """One row per channel with every :class:`ChannelEffect` field."""
        return pd.DataFrame([asdict(e) for e in self.effects.values()])

    def plot_treatment_effects(self) -> Figure:
        """Bar chart of iROAS per channel with intervals and mROAS markers."""
        from liftos.causal.plots import plot_treatment_effects

        return plot_treatment_effects(self)

    def plot_attribution_waterfall(self) -> Figure:
        """Waterfall from the baseline to the total outcome through each channel's contribution."""
        from liftos.causal.plots import plot_attribution_waterfall

        return plot_attribution_waterfall(self)

    def plot_response_curves(self) -> Figure:
        """Revenue lift against total spend per channel (current spend marked)."""
        from liftos.causal.plots import plot_response_curves

        return plot_response_curves(self)

    def export_results(self, path: str | Path) -> Path:
        """Write an .xlsx workbook (sheets effects, temporal, response_curves, decomposition, metadata)."""
        from liftos.causal.export import export_results

        return export_results(self, Path(path))
