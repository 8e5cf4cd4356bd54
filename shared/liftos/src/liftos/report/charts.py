"""The report's charts: matplotlib figures (object-oriented API on the Agg canvas, no pyplot state)
rendered to PNG and embedded as ``data:`` URIs, so the page needs no file, network or script."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from liftos.events import Recommendation
from liftos.report.curves import ResponseCurves
from liftos.report.report_data import ChannelEffectRow, HistoryPoint, Waterfall

__all__ = [
    "curves_chart",
    "effects_chart",
    "history_chart",
    "plan_chart",
    "png_data_uri",
    "roas_chart",
    "waterfall_chart",
]

_PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974")
_BASELINE, _TOTAL, _NEGATIVE = "#8C8C8C", "#2F4B7C", "#C44E52"


def png_data_uri(fig: Figure, dpi: int = 110) -> str:
    """``data:image/png;base64,...`` of ``fig`` (no software metadata, so no URL inside the PNG)."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _colors(n: int) -> list[str]:
    return [_PALETTE[i % len(_PALETTE)] for i in range(n)]


def _money(value: float, _position: object = None) -> str:
    """Compact money: ``1.2M``, ``250k``, ``980``."""
    for divisor, suffix, digits in ((1e9, "B", 1), (1e6, "M", 1), (1e3, "k", 0)):
        if abs(value) >= divisor:
            text = f"{value / divisor:,.{digits}f}"
            return (text.removesuffix(".0") if digits else text) + suffix
    return f"{value:,.0f}"


def _money_axis(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=6))
    target.set_major_formatter(FuncFormatter(_money))


def _iroas_axes(ax: Axes, effects: Sequence[ChannelEffectRow], level: float) -> None:
    x = np.arange(len(effects))
    iroas = np.array([e.incremental_roas for e in effects])
    low = iroas - np.array([e.iroas_lower for e in effects])
    high = np.array([e.iroas_upper for e in effects]) - iroas
    ax.bar(x, iroas, color=_colors(len(effects)), alpha=0.85, label="iROAS")
    ax.errorbar(
        x, iroas, yerr=[low, high], fmt="none", ecolor="black", capsize=5, label=f"{level:.0%} interval"
    )
    ax.scatter(x, [e.marginal_roas for e in effects], color="black", marker="D", zorder=3, label="mROAS")
    ax.set_xticks(x, [e.channel for e in effects])
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_ylabel("revenue per unit of spend")
    ax.set_title("Incremental ROAS")
    ax.legend(fontsize=8)


def _lift_axes(ax: Axes, effects: Sequence[ChannelEffectRow], level: float) -> None:
    y = np.arange(len(effects))
    lift = np.array([e.revenue_lift for e in effects])
    err = [lift - np.array([e.ci_lower for e in effects]), np.array([e.ci_upper for e in effects]) - lift]
    ax.barh(y, lift, color=_colors(len(effects)), alpha=0.85)
    ax.errorbar(lift, y, xerr=err, fmt="none", ecolor="black", capsize=5)
    ax.set_yticks(y, [e.channel for e in effects])
    ax.invert_yaxis()
    ax.axvline(0.0, color="grey", linewidth=0.8)
    _money_axis(ax, "x")
    ax.set_xlabel("revenue lift over the window")
    ax.set_title(f"Revenue lift ({level:.0%} interval)")


def effects_chart(effects: Sequence[ChannelEffectRow], level: float) -> Figure:
    """iROAS with intervals and mROAS markers (left), revenue lift with intervals (right)."""
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    _iroas_axes(left, effects, level)
    _lift_axes(right, effects, level)
    return fig


def waterfall_chart(waterfall: Waterfall) -> Figure:
    """Baseline, then each channel's revenue lift, ending at the store's total revenue."""
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax = fig.add_subplot()
    labels = ["baseline", *(name for name, _ in waterfall.lifts)]
    values = [waterfall.baseline, *(lift for _, lift in waterfall.lifts)]
    bottoms = np.concatenate([[0.0], np.cumsum(values)[:-1]])
    colors = [_BASELINE] + [
        c if v >= 0 else _NEGATIVE for c, v in zip(_colors(len(values) - 1), values[1:], strict=True)
    ]
    ax.bar(labels, values, bottom=bottoms, color=colors)
    ax.bar(["total revenue"], [waterfall.total_revenue], color=_TOTAL)
    for i, (value, bottom) in enumerate(zip(values, bottoms, strict=True)):
        ax.annotate(_money(value), (i, bottom + value), ha="center", va="bottom", fontsize=8)
    ax.annotate(
        _money(waterfall.total_revenue), (len(values), waterfall.total_revenue), ha="center", va="bottom"
    )
    _money_axis(ax)
    ax.set_ylabel("store revenue over the window")
    ax.set_title("Attribution waterfall")
    return fig


def curves_chart(curves: ResponseCurves) -> Figure:
    """Whole-window revenue lift against spend per channel, published points marked."""
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for curve, color in zip(curves.curves, _colors(len(curves.curves)), strict=True):
        style = "-" if curves.source == "refit" else "--"
        ax.plot(curve.spend, curve.revenue_lift, style, color=color, label=curve.channel)
        ax.scatter([curve.current_spend], [curve.current_lift], color=color, marker="x", s=60, zorder=3)
    _money_axis(ax)
    _money_axis(ax, "x")
    ax.set_xlabel("spend over the window")
    ax.set_ylabel("revenue lift")
    title = "Response curves (refit)" if curves.source == "refit" else "Response curves (illustrative)"
    ax.set_title(title)
    if curves.curves:
        ax.legend(fontsize=8)
    return fig


def roas_chart(effects: Sequence[ChannelEffectRow]) -> Figure:
    """Platform-reported ROAS next to incremental ROAS, per channel."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax = fig.add_subplot()
    x, width = np.arange(len(effects)), 0.38
    reported = [e.platform_roas for e in effects]
    incremental = [e.incremental_roas for e in effects]
    ax.bar(x - width / 2, reported, width, color=_BASELINE, label="platform-reported ROAS")
    ax.bar(x + width / 2, incremental, width, color=_PALETTE[0], label="incremental ROAS")
    ax.set_xticks(x, [e.channel for e in effects])
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_ylabel("revenue per unit of spend")
    ax.set_title("Reported vs incremental ROAS")
    ax.legend(fontsize=8)
    return fig


def plan_chart(rows: Sequence[Recommendation]) -> Figure:
    """The budget plan's rows (``kind="budget_plan"``): current against planned spend per channel."""
    from liftos.causal.plots import plot_allocation

    first = rows[0]
    days = (first.horizon_end - first.horizon_start).days + 1
    title = f"Budget plan {first.horizon_start} – {first.horizon_end}"
    return plot_allocation(
        [r.channel for r in rows], [r.current_spend or 0.0 for r in rows], [r.spend or 0.0 for r in rows],
        [(r.min_spend or 0.0, r.max_spend or 0.0) for r in rows], [r.expected_outcome or 0.0 for r in rows],
        title, days,
    )  # fmt: skip


def _days(points: Sequence[HistoryPoint]) -> NDArray[np.datetime64]:
    return np.array([p.window_end for p in points], dtype="datetime64[D]")


def _values(points: Sequence[HistoryPoint], attr: str) -> NDArray[np.float64]:
    return np.array([np.nan if getattr(p, attr) is None else getattr(p, attr) for p in points], dtype=float)


_HISTORY_LINES = (
    ("iroas", "iroas_lower", "iroas_upper", "true_iroas", _PALETTE[0], "whole window"),
    ("iroas_28d", "iroas_28d_lower", "iroas_28d_upper", "true_iroas_28d", _PALETTE[1], "last 28 days"),
)


def _history_axes(ax: Axes, points: Sequence[HistoryPoint], level: float) -> None:
    """One channel's estimates per version: whole-window and trailing-28-day iROAS with their bands,
    and the truth of the same windows (dashed) when known."""
    x = _days(points)
    for value, low, high, true, color, label in _HISTORY_LINES:
        estimate = _values(points, value)
        if np.isnan(estimate).all():
            continue
        ax.plot(x, estimate, marker="o", markersize=3, color=color, label=f"iROAS, {label}")
        ax.fill_between(x, _values(points, low), _values(points, high), color=color, alpha=0.15)
        truth = _values(points, true)
        if not np.isnan(truth).all():
            ax.plot(x, truth, linestyle="--", color=color, label=f"true, {label}")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_title(f"{points[0].channel}: iROAS per model version ({level:.0%} bands)", fontsize=10)
    ax.set_ylabel("revenue per unit of spend")


def history_chart(points: Sequence[HistoryPoint], level: float) -> Figure:
    """Estimate and band of every model version per channel (x: the version's last data day)."""
    channels = sorted({p.channel for p in points})
    fig = Figure(figsize=(11, 2.8 * max(len(channels), 1)), layout="constrained")
    for index, channel in enumerate(channels, start=1):
        ax = fig.add_subplot(len(channels), 1, index)
        _history_axes(ax, [p for p in points if p.channel == channel], level)
        if index == 1:
            ax.legend(fontsize=8, ncols=4)
    fig.autofmt_xdate()
    return fig
