"""Response curves for the report: refitted from the warehouse panel, or derived for display only.

``effect_updates`` stores one point per channel (spend, lift and the marginal ROAS at that spend), not
a curve. The report therefore gets its curves in one of two ways, and says which:

- **refit** (default): the latest version's estimator is fitted again (``CausalAPI().analyze_attribution``)
  on the warehouse panel (:func:`liftos.warehouse.modelling_panel.daily_panel`) over the model window, and its
  ``response_curves`` (whole-window lift at 0-2x the window's spend) are drawn. The refit reads the same
  data with the same method, so it matches the published version unless data arrived since; the
  published point is drawn on top so any difference is visible.
- **derived** (``--no-refit``, or when the refit fails): an illustrative power curve per channel,
  ``lift(x) = L * (x / S) ** b`` with ``b = mROAS * S / L`` clipped to ``[0.05, 1]``, which passes through
  the published lift ``L`` at spend ``S`` with the published marginal ROAS as its slope there. It is not
  a fitted curve and is labelled as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd
import structlog
from clickhouse_connect.driver.client import Client

from liftos.report.report_data import ChannelEffectRow, ModelMetadata

if TYPE_CHECKING:
    from liftos.causal.results import CausalResults

__all__ = [
    "CurvePoints",
    "HeterogeneityRow",
    "ResponseCurves",
    "derived_curves",
    "fitted_curves",
    "refit_curves",
    "response_curves",
]

_log = structlog.get_logger("liftos.report.curves")
_MULTIPLIERS = np.linspace(0.0, 2.0, 21)

REFIT_NOTE = (
    "Refit of the {method} estimator on the warehouse's daily panel over the model window: whole-window "
    "revenue lift at 0-2x the window's spend. Crosses mark the published version's lift at current spend."
)
DERIVED_NOTE = (
    "Illustrative, not fitted: a power curve per channel through the published revenue lift at current "
    "spend, with the published marginal ROAS as its slope there (crosses). {reason}"
)


@dataclass(frozen=True)
class CurvePoints:
    """One channel's curve (``spend`` → ``revenue_lift``) and its published point."""

    channel: str
    spend: tuple[float, ...]
    revenue_lift: tuple[float, ...]
    current_spend: float
    current_lift: float


@dataclass(frozen=True)
class HeterogeneityRow:
    """One channel's return on the spend placed in one calendar group level (``causal_forest``):
    ``group`` (season, month, weekday, holiday), ``level``, ``spend``, iROAS and its interval."""

    channel: str
    group: str
    level: str
    spend: float
    incremental_roas: float
    iroas_lower: float
    iroas_upper: float


@dataclass(frozen=True)
class ResponseCurves:
    """The curves shown in the report and where they come from (``refit`` or ``derived``), and the
    refit's effect heterogeneity when its estimator has one (``causal_forest``; empty otherwise)."""

    source: Literal["refit", "derived"]
    description: str
    curves: tuple[CurvePoints, ...]
    heterogeneity: tuple[HeterogeneityRow, ...] = ()


def _window_panel(client: Client, meta: ModelMetadata) -> pd.DataFrame:
    from liftos.warehouse.modelling_panel import daily_panel

    panel = daily_panel(client)
    start, end = pd.Timestamp(meta.window_start), pd.Timestamp(meta.window_end)
    return panel[(panel["date"] >= start) & (panel["date"] <= end)].reset_index(drop=True)


def refit_curves(client: Client, meta: ModelMetadata, effects: Sequence[ChannelEffectRow]) -> ResponseCurves:
    """Curves from refitting the latest version's method on the warehouse panel (model window)."""
    from liftos.causal import CausalAPI
    from liftos.causal.spec import AttributionModel

    panel = _window_panel(client, meta)
    channels = [e.channel for e in effects if e.channel in panel.columns]
    results = CausalAPI().analyze_attribution(
        data=panel[["date", "revenue", *channels]],
        treatment_variables=channels,
        outcome_variables=["revenue"],
        control_variables=[],
        time_variable="date",
        attribution_model=cast(AttributionModel, meta.method),
        confidence_level=meta.confidence_level,
    )
    return fitted_curves(results, meta, effects)


def fitted_curves(
    results: CausalResults, meta: ModelMetadata, effects: Sequence[ChannelEffectRow]
) -> ResponseCurves:
    """The response curves of results already fitted on the panel, with the published points."""
    published = {e.channel: e for e in effects}
    curves = tuple(
        CurvePoints(
            channel=str(channel),
            spend=tuple(float(v) for v in group["spend"]),
            revenue_lift=tuple(float(v) for v in group["revenue_lift"]),
            current_spend=published[str(channel)].spend,
            current_lift=published[str(channel)].revenue_lift,
        )
        for channel, group in results.response_curves.groupby("channel", sort=True)
        if str(channel) in published
    )
    rows = () if results.heterogeneity is None else _heterogeneity_rows(results.heterogeneity)
    return ResponseCurves("refit", REFIT_NOTE.format(method=meta.method), curves, rows)


def _heterogeneity_rows(table: pd.DataFrame) -> tuple[HeterogeneityRow, ...]:
    labels = table[["channel", "group", "level"]].astype(str).to_numpy()
    values = table[["spend", "incremental_roas", "iroas_ci_lower", "iroas_ci_upper"]].to_numpy(dtype=float)
    return tuple(
        HeterogeneityRow(str(a), str(b), str(c), float(v[0]), float(v[1]), float(v[2]), float(v[3]))
        for (a, b, c), v in zip(labels, values, strict=True)
    )


def _power_curve(effect: ChannelEffectRow) -> CurvePoints | None:
    """The illustrative curve of one channel, or ``None`` without positive spend and lift."""
    spend, lift = effect.spend, effect.revenue_lift
    if spend <= 0 or lift <= 0:
        return None
    exponent = float(np.clip(effect.marginal_roas * spend / lift, 0.05, 1.0))
    xs = _MULTIPLIERS * spend
    ys = lift * _MULTIPLIERS**exponent
    return CurvePoints(effect.channel, tuple(xs.tolist()), tuple(ys.tolist()), spend, lift)


def derived_curves(effects: Sequence[ChannelEffectRow], reason: str = "") -> ResponseCurves:
    """Illustrative curves from the published lift and mROAS (channels without positive lift left out)."""
    curves = tuple(c for c in (_power_curve(e) for e in effects) if c is not None)
    skipped = [e.channel for e in effects if _power_curve(e) is None]
    if skipped:
        reason = f"{reason} No curve for {', '.join(skipped)} (no positive lift).".strip()
    return ResponseCurves("derived", DERIVED_NOTE.format(reason=reason).strip(), curves)


def response_curves(
    client: Client, meta: ModelMetadata, effects: Sequence[ChannelEffectRow], *, refit: bool
) -> ResponseCurves:
    """Refitted curves when ``refit`` (falling back to derived ones if the refit fails), else derived."""
    if not refit:
        return derived_curves(effects, "Refit disabled (--no-refit).")
    try:
        return refit_curves(client, meta, effects)
    except (ValueError, np.linalg.LinAlgError, KeyError) as error:
        _log.warning("response_curve_refit_failed", error=str(error))
        return derived_curves(effects, f"The refit failed: {error}.")
