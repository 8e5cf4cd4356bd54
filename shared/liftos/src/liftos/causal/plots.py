"""Matplotlib figures of :class:`~liftos.causal.results.CausalResults` (object-oriented API, no pyplot
state, so they work under the Agg backend and in services)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from liftos.causal.results import CausalResults

if TYPE_CHECKING:
    from liftos.causal.budget import BudgetPlan

__all__ = [
    "plot_allocation",
    "plot_attribution_waterfall",
    "plot_budget_plan",
    "plot_response_curves",
    "plot_treatment_effects",
]


def plot_treatment_effects(results: CausalResults) -> Figure:
    """iROAS per channel (bars) with the interval (error bars) and mROAS (markers)."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    effects = list(results.effects.values())
    x = np.arange(len(effects))
    iroas = np.array([e.incremental_roas for e in effects])
    low = iroas - np.array([e.iroas_ci_lower for e in effects])
    high = np.array([e.iroas_ci_upper for e in effects]) - iroas
    ax.bar(x, iroas, color="#4C72B0", label="iROAS")
    ax.errorbar(
        x,
        iroas,
        yerr=[low, high],
        fmt="none",
        ecolor="black",
        capsize=4,
        label=f"{results.confidence_level:.0%} interval",
    )
    ax.scatter(x, [e.marginal_roas for e in effects], color="#DD8452", zorder=3, label="mROAS (+1 %)")
    ax.set_xticks(x, [e.channel for e in effects])
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_ylabel("incremental outcome per unit of spend")
    ax.set_title(f"Channel effects ({results.method})")
    ax.legend()
    return fig


def plot_attribution_waterfall(results: CausalResults) -> Figure:
    """Baseline, then each channel's contribution, ending at the fitted total (sums over the range)."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    frame = results.decomposition
    labels = ["baseline", *results.effects]
    values = [float(frame["baseline"].sum())] + [float(frame[c].sum()) for c in results.effects]
    bottoms = np.concatenate([[0.0], np.cumsum(values)[:-1]])
    colors = ["#8C8C8C"] + ["#55A868" if v >= 0 else "#C44E52" for v in values[1:]]
    ax.bar(labels, values, bottom=bottoms, color=colors)
    ax.bar(["total"], [sum(values)], color="#4C72B0")
    ax.set_ylabel("outcome over the range")
    ax.set_title("Attribution waterfall")
    return fig


def plot_response_curves(results: CausalResults) -> Figure:
    """Whole-range revenue lift against total spend, one line per channel (x = current spend)."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    curves = results.response_curves
    for channel, group in curves.groupby("channel", sort=False):
        line = ax.plot(group["spend"], group["revenue_lift"], label=str(channel))[0]
        current = group.loc[np.isclose(group["spend_multiplier"], 1.0)]
        ax.scatter(current["spend"], current["revenue_lift"], color=line.get_color(), marker="x", zorder=3)
    ax.set_xlabel("total spend over the range")
    ax.set_ylabel("incremental outcome")
    ax.set_title("Response curves (x = current spend)")
    ax.legend()
    return fig


def plot_allocation(
    channels: Sequence[str],
    current: Sequence[float],
    plan: Sequence[float],
    limits: Sequence[tuple[float, float]],
    outcome: Sequence[float],
    title: str,
    horizon_days: int,
) -> Figure:
    """Current (grey) against planned (blue) spend per channel, the allowed range as whiskers and each
    channel's expected incremental outcome of the plan as labels."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    x = np.arange(len(channels))
    ax.bar(x - 0.2, current, width=0.4, color="#8C8C8C", label="current")
    ax.bar(x + 0.2, plan, width=0.4, color="#4C72B0", label="plan")
    ax.vlines(
        x + 0.2,
        [lo for lo, _ in limits],
        [hi for _, hi in limits],
        color="black",
        linewidth=1,
        label="limits",
    )
    for i, value in enumerate(outcome):
        ax.annotate(f"{value:,.0f}", (x[i] + 0.2, plan[i]), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, list(channels))
    ax.set_ylabel(f"spend over {horizon_days} days")
    ax.set_title(title, fontsize=9)
    ax.legend()
    return fig


def plot_budget_plan(plan: BudgetPlan) -> Figure:
    """:func:`plot_allocation` of ``plan`` (its outcome interval and gain in the title)."""
    low, high = plan.outcome_interval
    rows = plan.channels
    title = (
        f"Budget plan {plan.start} – {plan.end}: outcome {plan.expected_outcome:,.0f} "
        f"({low:,.0f}–{high:,.0f}), {plan.gain:+,.0f} vs current"
    )
    return plot_allocation(
        [r.channel for r in rows], [r.current for r in rows], [r.spend for r in rows],
        [(r.low, r.high) for r in rows], [r.outcome for r in rows], title, plan.horizon_days,
    )  # fmt: skip
