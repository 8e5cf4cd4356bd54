"""What an analysis returns: per-channel effects, temporal effects, out-of-sample accuracy, the
decomposition over time and response curves, plus plots and an Excel export (delegated to
:mod:`liftos.causal.plots` and :mod:`liftos.causal.export`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from liftos.causal.verdicts import window_verdict

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from matplotlib.figure import Figure

    from liftos.causal.budget import BudgetPlan, Objective
    from liftos.causal.experiments import ExperimentDesign

__all__ = ["CausalResults", "ChannelEffect", "TemporalEffects", "WindowEffect"]

_NAN = float("nan")


@dataclass(frozen=True)
class WindowEffect:
    """The effect of one channel's spend in a trailing window (the effect "now").

    ``days``: window length; ``start``/``end``: its first and last period (ISO dates); ``spend`` in the
    window; ``revenue_lift``: outcome lost had the window's spend been zero (carryover after the window
    included, at the level the model has for that time) with ``ci_lower..ci_upper``;
    ``incremental_roas`` = lift / spend with ``iroas_ci_lower..iroas_ci_upper``. ``verdict`` /
    ``verdict_reason``: how sure the window's number is (:func:`liftos.causal.verdicts.window_verdict`;
    set by :meth:`judged` with the channel's whole-range verdict).
    """

    days: int
    start: str
    end: str
    spend: float
    revenue_lift: float
    ci_lower: float
    ci_upper: float
    incremental_roas: float
    iroas_ci_lower: float
    iroas_ci_upper: float
    verdict: str = "not_identified"
    verdict_reason: str = "not assessed"

    def judged(self, overall: str) -> WindowEffect:
        """This window with its verdict, given the channel's whole-range verdict ``overall``."""
        verdict, reason = window_verdict(overall, self.iroas_ci_lower, self.iroas_ci_upper)
        return replace(self, verdict=verdict, verdict_reason=reason)

    @classmethod
    def of(
        cls, days: int, start: str, end: str, spend: float, lift: float, lower: float, upper: float
    ) -> WindowEffect:
        """The window's effect from its lift and interval (iROAS = lift / spend; NaN without spend)."""
        per = spend if spend > 0 else float("nan")
        return cls(days, start, end, spend, lift, lower, upper, lift / per, lower / per, upper / per)


@dataclass(frozen=True)
class ChannelEffect:
    """One channel's causal effect over the analysed range (money in the outcome's unit).

    ``revenue_lift``: outcome lost if the channel's spend were zero over the range (carryover after the
    range included), with its interval ``ci_lower..ci_upper`` at the analysis' confidence level and a
    two-sided ``p_value`` for "no effect". ``incremental_roas`` = lift / spend (average return), with
    ``iroas_ci_lower..iroas_ci_upper``; ``marginal_roas``: the derivative of the fitted response at
    current spend (extra outcome per extra unit of spend) with ``mroas_ci_lower..mroas_ci_upper``.
    ``spend``: total treatment over the range. ``method``: estimator lookup name.

    How sure: ``verdict`` (``identified``, ``weak`` or ``not_identified``, see
    :mod:`liftos.causal.verdicts`) with ``verdict_reason`` in words; ``prior_contraction``: ``1 -
    posterior / prior variance`` of the log lift (NaN without a prior); ``summary``: one plain sentence.
    ``current``: the trailing windows' effects (:class:`WindowEffect`, e.g. 28 and 90 days).
    ``curve_note``: set when mROAS exceeds iROAS (the fitted curve is S-shaped below current spend).
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
    mroas_ci_lower: float = _NAN
    mroas_ci_upper: float = _NAN
    verdict: str = "not_identified"
    verdict_reason: str = "not assessed by this estimator"
    prior_contraction: float = _NAN
    summary: str = ""
    current: tuple[WindowEffect, ...] = ()
    curve_note: str = ""

    def window(self, days: int) -> WindowEffect | None:
        """The trailing window of ``days`` days, if computed."""
        return next((w for w in self.current if w.days == days), None)

    def flat(self) -> dict[str, Any]:
        """Every field as a flat dict (each trailing window as ``iroas_<days>d`` and ``verdict_<days>d``
        columns)."""
        row = {k: v for k, v in asdict(self).items() if k != "current"}
        for w in self.current:
            row[f"spend_{w.days}d"] = w.spend
            row[f"revenue_lift_{w.days}d"] = w.revenue_lift
            row[f"iroas_{w.days}d"] = w.incremental_roas
            row[f"iroas_{w.days}d_lower"] = w.iroas_ci_lower
            row[f"iroas_{w.days}d_upper"] = w.iroas_ci_upper
            row[f"verdict_{w.days}d"] = w.verdict
        return row


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

    ``effects``: channel → :class:`ChannelEffect`. ``model_accuracy``: out-of-sample accuracy in
    [0, 1], ``1 - MAPE`` of rolling-origin forecasts of held-out periods (NaN when cross-validation is
    off); ``accuracy``: details (``oos_mape``, ``oos_r2``, ``baseline_mape`` and ``baseline_accuracy``
    of the seasonal-naive forecast of the same periods, ``beats_baseline`` (1/0), ``in_sample_r2``,
    ``folds``). ``decomposition``: per period ``date``, ``actual``, ``fitted``, ``baseline`` and one
    contribution column per channel. ``response_curves``: ``channel``, ``spend_multiplier``,
    ``spend``, ``revenue_lift`` (whole range at scaled spend) and its band ``revenue_lift_lower`` /
    ``revenue_lift_upper`` (at the confidence level). ``residuals``: one-step-ahead log residuals
    ``(T,)`` for drift detection (``date``, ``residual``). ``response``: the fitted response model
    with its posterior draws (:class:`liftos.causal.response.ResponseModel`; MMM only) for planning.
    ``heterogeneity``: each channel's effect by calendar group (``causal_forest`` only; see
    :meth:`get_heterogeneity`).
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
    response: Any = None
    decisions: dict[str, Any] = field(default_factory=dict, repr=False)

    def summaries(self) -> dict[str, str]:
        """Channel → one plain-language sentence (estimate, interval, verdict and its reason)."""
        return {channel: effect.summary for channel, effect in self.effects.items()}

    def get_channel_effects(self) -> dict[str, ChannelEffect]:
        """Channel → :class:`ChannelEffect`."""
        return dict(self.effects)

    def get_heterogeneity(self) -> pd.DataFrame:
        """Each channel's effect by season (calendar quarter), month, weekday (daily data) and holiday
        period, with intervals: one row per ``channel``, ``group`` and ``level`` with the ``periods``
        in it, the ``spend`` placed in them, the outcome lost had that spend been zero
        (``revenue_lift``, carryover included, ``ci_lower..ci_upper``) and its return
        (``incremental_roas``, ``iroas_ci_lower..iroas_ci_upper``); see :mod:`liftos.causal.heterogeneity`.

        Raises:
            ValueError: the estimator does not estimate heterogeneity (only ``causal_forest`` does).
        """
        if self.heterogeneity is None:
            raise ValueError(
                f"the {self.method!r} estimator does not estimate effect heterogeneity; "
                "use attribution_model='causal_forest'"
            )
        return self.heterogeneity.copy()

    def get_temporal_effects(self) -> TemporalEffects:
        """Weekday, seasonal and holiday effects on the baseline."""
        return self.temporal

    @property
    def treatment_effects(self) -> pd.DataFrame:
        """One row per channel with every :class:`ChannelEffect` field (windows flattened)."""
        return pd.DataFrame([e.flat() for e in self.effects.values()])

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

    def _planning_response(self) -> Any:
        if self.response is None:
            raise ValueError(
                f"budget and experiment plans need the fitted response model, which the {self.method!r} "
                "estimator does not provide; use attribution_model='mmm'"
            )
        return self.response

    @property
    def last_date(self) -> pd.Timestamp:
        """Start of the data's last period."""
        return pd.Timestamp(self.decomposition["date"].iloc[-1])

    def recent_spend(self, days: int = 28) -> float:
        """Total spend of all channels in the last ``days`` days of the data (the current run rate)."""
        from liftos.causal.fit import periods_of

        response = self._planning_response()
        return float(response.history[-periods_of(days, response.frequency) :].sum())

    def optimize_budget(
        self,
        total_budget: float,
        horizon_days: int,
        bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
        objective: Objective = "revenue",
        risk: float | None = None,
        *,
        margin: float | None = None,
        max_change: float | Mapping[str, float] | None = None,
        fixed: Collection[str] | Mapping[str, float] | None = None,
        current: Mapping[str, float] | None = None,
        hold_unidentified: bool = True,
    ) -> BudgetPlan:
        """Allocate ``total_budget`` (money over the horizon) across channels for the ``horizon_days``
        after the data, on the model's own response (carryover into and out of the horizon).

        ``bounds``: channel → (min, max) total spend over the horizon (``None`` = open end);
        ``max_change``: each channel within ± this share of its current allocation (one number or per
        channel); ``fixed``: channels held at their current allocation (or channel → amount);
        ``objective``: ``"revenue"`` (expected incremental outcome, the whole budget spent) or
        ``"profit"`` (``margin`` × outcome − spend, at most the budget); ``risk``: a lower quantile
        (e.g. 0.1) of the gain over the current allocation to maximise instead of the expectation;
        ``current``: the current allocation (default: the last 28 days' (or horizon's) spend mix
        scaled to the budget); ``hold_unidentified``: keep the channels whose verdict is
        ``not_identified`` at their current allocation (the plan says so in its constraints). Returns a
        :class:`~liftos.causal.budget.BudgetPlan`; the latest plan is
        kept for :meth:`plot_budget_plan`, :meth:`plan_experiments` and :meth:`export_results`.

        Raises:
            InfeasibleBudgetError: the bounds cannot be met; the message names the conflicting ones.
        """
        from liftos.causal.budget import optimize_budget

        plan = optimize_budget(
            self._planning_response(), self.last_date, total_budget, horizon_days, bounds, objective, risk,
            margin=margin, max_change=max_change, fixed=fixed, current=current,
            confidence_level=self.confidence_level,
            held=self._held(set(fixed or ()) | set(bounds or {})) if hold_unidentified else None,
        )  # fmt: skip
        self.decisions["budget_plan"] = plan
        return plan

    def _held(self, constrained: set[str]) -> dict[str, str]:
        """Channels whose effect is ``not_identified`` (and that the request does not constrain
        itself), with the verdict's reason."""
        return {
            ch: f"not identified ({e.verdict_reason})"
            for ch, e in self.effects.items()
            if e.verdict == "not_identified" and ch not in constrained
        }

    def _latest_plan(self) -> BudgetPlan:
        plan = self.decisions.get("budget_plan")
        return plan if plan is not None else self.optimize_budget(self.recent_spend(28), 28)

    def plan_experiments(
        self, target_relative_width: float = 0.3, plan: BudgetPlan | None = None
    ) -> list[ExperimentDesign]:
        """One lift-test design per channel, best first: the test that would bring the channel's iROAS
        interval to ``target_relative_width`` (width / iROAS), its predicted measurement SE and
        narrowing, ranked by the expected reduction of ``plan``'s risk per unit of spend withheld
        (default plan: the latest :meth:`optimize_budget`, else the last 28 days' budget over 28
        days). See :mod:`liftos.causal.experiments`."""
        from liftos.causal.experiments import design_experiments
        from liftos.causal.fit import periods_of

        response = self._planning_response()
        recent = self.decomposition["actual"].iloc[-periods_of(28, response.frequency) :]
        designs = design_experiments(
            response, self.effects, plan or self._latest_plan(), float(recent.mean()), target_relative_width
        )
        self.decisions["experiments"] = designs
        return designs

    def plot_budget_plan(self, plan: BudgetPlan | None = None) -> Figure:
        """Current against recommended spend per channel with each channel's expected outcome
        (default: the latest plan, else the last 28 days' budget over 28 days)."""
        from liftos.causal.plots import plot_budget_plan

        return plot_budget_plan(plan or self._latest_plan())

    def export_results(self, path: str | Path) -> Path:
        """Write an .xlsx workbook (sheets effects, temporal, response_curves, decomposition, metadata;
        with a response model also budget_plan and experiments: the latest plans, else defaults)."""
        from liftos.causal.export import export_results

        return export_results(self, Path(path))
