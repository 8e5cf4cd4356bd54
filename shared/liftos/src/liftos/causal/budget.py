"""Budget plans: allocate a total budget over a future horizon across channels, on the model's own
response (:class:`liftos.causal.horizon.HorizonResponse`), under per-channel bounds.

Constraints (all in money over the horizon): per-channel ``bounds`` (min, max), ``max_change`` (each
channel within ± that share of its current allocation), ``fixed`` channels (held at their current
allocation or at a given amount) and ``held`` channels (kept at their current allocation for a stated
reason: by default the channels whose effect the model's own verdict calls ``not_identified`` — the
data do not pin their effect down, so moving money on them would act on the prior or on confounding).
They are resolved into one ``[low, high]`` per channel
(:func:`resolve_limits`); a request that no allocation satisfies raises :class:`InfeasibleBudgetError`
naming the bounds in conflict.

Objectives: ``"revenue"`` maximises the expected incremental outcome and spends the whole budget;
``"profit"`` maximises ``margin × incremental outcome − spend`` and spends *at most* the budget (a
channel whose marginal return times the margin is below 1 gets no more than its lower bound). The
expectation is over the posterior draws. ``risk=q`` maximises instead the ``q``-quantile of the
plan's gain over the current allocation (normal approximation ``mean − z_q · sd`` of the gain across
draws during the search; reported quantiles are the draws' own), so a change is recommended only
where the posterior is confident it helps.

The search is scipy's SLSQP (analytic gradients) from several starts (the current allocation, an even
split, the middle of the bounds), each projected into the constraints; the best result, never worse
than its starts, is projected once more so that bounds hold exactly and the spend sums to the budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import brentq, minimize  # type: ignore[import-untyped]
from scipy.stats import norm  # type: ignore[import-untyped]

from liftos.causal.fit import periods_of
from liftos.causal.horizon import HorizonResponse
from liftos.causal.posterior import weighted_quantiles
from liftos.causal.response import ResponseModel
from liftos.errors import LiftOSError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "BudgetPlan",
    "ChannelLimits",
    "ChannelPlan",
    "InfeasibleBudgetError",
    "Objective",
    "PlanObjective",
    "allocate",
    "current_allocation",
    "optimize_budget",
    "project_budget",
    "resolve_limits",
]

FloatArray = NDArray[np.float64]
Objective = Literal["revenue", "profit"]
Bounds = Mapping[str, tuple[float | None, float | None]]
ValueAndGradient = Callable[[FloatArray], tuple[float, FloatArray]]


class InfeasibleBudgetError(LiftOSError, ValueError):
    """No allocation satisfies the budget and the channel bounds; the message names the conflict."""


@dataclass(frozen=True)
class ChannelLimits:
    """Each channel's resolved ``low`` / ``high`` spend over the horizon ``(C,)`` and, per channel,
    which rule set each end (``"bounds"``, ``"max change 30 %"``, ``"fixed"``, ``"no spend below 0"``,
    ``"the whole budget"``)."""

    channels: tuple[str, ...]
    low: FloatArray
    high: FloatArray
    low_rule: tuple[str, ...]
    high_rule: tuple[str, ...]

    def describe(self, c: int, end: Literal["low", "high"]) -> str:
        """``"meta ≤ 39,000 (max change 30 %)"`` for channel ``c``'s ``end``."""
        value, rule, sign = (
            (self.low[c], self.low_rule[c], "≥") if end == "low" else (self.high[c], self.high_rule[c], "≤")
        )
        return f"{self.channels[c]} {sign} {value:,.2f} ({rule})"


def _money(value: float) -> str:
    return f"{value:,.2f}"


def resolve_limits(
    channels: tuple[str, ...],
    current: FloatArray,
    total: float,
    bounds: Bounds | None = None,
    max_change: float | Mapping[str, float] | None = None,
    fixed: Collection[str] | Mapping[str, float] | None = None,
    exact_total: bool = True,
    held: Mapping[str, str] | None = None,
) -> ChannelLimits:
    """One ``[low, high]`` per channel from the rules, checked against the budget ``total``.

    ``current`` ``(C,)``: the current allocation (money over the horizon). ``exact_total``: the plan
    must spend ``total`` exactly (else at most ``total``). ``held``: channel → why it stays at its
    current allocation.

    Raises:
        InfeasibleBudgetError: a channel's bounds cross, or the budget is outside what the channels'
            bounds can sum to; the message names the bounds in conflict.
    """
    known = set(channels)
    named = (
        set(bounds or {}) | set(fixed or ()) | (set(max_change) if isinstance(max_change, Mapping) else set())
    )
    unknown = sorted(named - known)
    if unknown:
        raise InfeasibleBudgetError(
            f"unknown channel(s) {', '.join(map(repr, unknown))} in the plan's bounds; "
            f"the model's channels are {', '.join(channels)}"
        )
    if not (math.isfinite(total) and total >= 0):
        raise InfeasibleBudgetError(f"the total budget must be a finite amount >= 0, got {total}")
    n = len(channels)
    low, high = np.zeros(n), np.full(n, float(total))
    low_rule, high_rule = ["no spend below 0"] * n, ["the whole budget"] * n

    def tighten(c: int, lo: float | None, hi: float | None, rule: str) -> None:
        if lo is not None and lo > low[c]:
            low[c], low_rule[c] = lo, rule
        if hi is not None and hi < high[c]:
            high[c], high_rule[c] = hi, rule

    for c, channel in enumerate(channels):
        lo, hi = (bounds or {}).get(channel, (None, None))
        for value, name in ((lo, "minimum"), (hi, "maximum")):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise InfeasibleBudgetError(f"{channel}: the {name} spend must be a finite amount >= 0")
        tighten(c, lo, hi, "bounds")
        change = max_change.get(channel) if isinstance(max_change, Mapping) else max_change
        if change is not None:
            if not change >= 0:
                raise InfeasibleBudgetError(f"{channel}: max_change must be >= 0, got {change}")
            rule = f"max change {change:.0%} of current {_money(current[c])}"
            tighten(c, current[c] * (1 - change), current[c] * (1 + change), rule)
        if fixed is not None and channel in fixed:
            value = float(fixed[channel]) if isinstance(fixed, Mapping) else float(current[c])
            tighten(c, value, value, f"fixed at {_money(value)}")
        if held is not None and channel in held:
            tighten(c, float(current[c]), float(current[c]), f"held at current: {held[channel]}")
    limits = ChannelLimits(channels, low, high, tuple(low_rule), tuple(high_rule))
    _check_feasible(limits, total, exact_total)
    return limits


def _check_feasible(limits: ChannelLimits, total: float, exact_total: bool) -> None:
    for c in range(len(limits.channels)):
        if limits.low[c] > limits.high[c]:
            raise InfeasibleBudgetError(
                f"infeasible bounds for {limits.channels[c]}: minimum {_money(limits.low[c])} "
                f"({limits.low_rule[c]}) is above maximum {_money(limits.high[c])} ({limits.high_rule[c]})"
            )
    slack = 1e-12 * max(total, 1.0)  # float rounding of shares that sum to the budget
    floor = math.fsum(limits.low)
    if floor > total + slack:
        parts = " + ".join(
            limits.describe(c, "low") for c in range(len(limits.channels)) if limits.low[c] > 0
        )
        raise InfeasibleBudgetError(
            f"infeasible: the channels' minimum spend {_money(floor)} ({parts}) is above the budget "
            f"{_money(total)}; lower a minimum or raise the budget"
        )
    ceiling = math.fsum(limits.high)
    if exact_total and ceiling < total - slack:
        parts = " + ".join(limits.describe(c, "high") for c in range(len(limits.channels)))
        raise InfeasibleBudgetError(
            f"infeasible: the budget {_money(total)} is above the most the channels may spend, "
            f"{_money(ceiling)} ({parts}); raise a maximum or lower the budget"
        )


def project_budget(x: FloatArray, low: FloatArray, high: FloatArray, total: float, exact: bool) -> FloatArray:
    """The allocation nearest ``x`` (Euclidean) within ``[low, high]`` that spends ``total`` (``exact``)
    or at most ``total``; bounds hold exactly and the sum equals ``total`` up to float rounding."""
    y = np.clip(np.asarray(x, dtype=np.float64), low, high)
    if not exact and math.fsum(y) <= total:
        return y
    if math.fsum(low) >= total:
        return low.copy()
    if exact and math.fsum(high) <= total:
        return high.copy()

    def excess(shift: float) -> float:
        return math.fsum(np.clip(y + shift, low, high)) - total

    lo_shift, hi_shift = float(np.min(low - y)) - 1.0, float(np.max(high - y)) + 1.0
    shift = brentq(excess, lo_shift, hi_shift, xtol=1e-12 * max(1.0, total), maxiter=200)
    z = np.clip(y + shift, low, high)
    for _ in range(3):  # put the rounding residue on the channel with the most room
        residue = total - math.fsum(z)
        if residue == 0:
            break
        room = (high - z) if residue > 0 else (z - low)
        c = int(np.argmax(room))
        z[c] = float(np.clip(z[c] + residue, low[c], high[c]))
    return np.asarray(z, dtype=np.float64)


def allocate(
    value_and_gradient: ValueAndGradient,
    limits: ChannelLimits,
    total: float,
    starts: list[FloatArray],
    exact_total: bool = True,
) -> FloatArray:
    """The allocation ``(C,)`` maximising ``value_and_gradient`` (value, gradient w.r.t. the
    allocation) within ``limits``, spending ``total`` (``exact_total``) or at most ``total``.

    SLSQP from each of ``starts`` (projected into the constraints first); the best feasible point,
    starts included, is returned after a final exact projection.
    """
    low, high = limits.low, limits.high
    if total == 0 or np.all(high - low <= 0):
        return project_budget(low, low, high, total, exact_total)
    unit = max(total, 1e-12)

    def negative(u: FloatArray) -> tuple[float, FloatArray]:
        value, grad = value_and_gradient(u * unit)
        return -value / unit, -np.asarray(grad, dtype=np.float64)

    budget = {"type": "eq" if exact_total else "ineq", "fun": lambda u: 1.0 - float(np.sum(u))}
    budget["jac"] = lambda u: -np.ones_like(u)
    candidates = []
    for start in starts:
        x0 = project_budget(start, low, high, total, exact_total)
        candidates.append(x0)
        u0 = x0 / unit
        result = minimize(
            negative,
            u0,
            jac=True,
            method="SLSQP",
            bounds=list(zip(low / unit, high / unit, strict=True)),
            constraints=[budget],
            options={"maxiter": 300, "ftol": 1e-12},
        )
        candidates.append(project_budget(np.asarray(result.x) * unit, low, high, total, exact_total))
    values = [value_and_gradient(x)[0] for x in candidates]
    return candidates[int(np.argmax(values))]


@dataclass(frozen=True)
class PlanObjective:
    """What a plan maximises, from per-draw outcomes: ``outcome(x) -> (value (S,), gradient (S, C))``
    of the plan's incremental outcome (summed over channels) with ``weights`` ``(S,)``.

    ``kind``: ``"revenue"`` (the outcome) or ``"profit"`` (``margin`` × outcome − spend); ``risk``:
    ``None`` for the expectation, else the lower quantile ``q`` of the gain over ``reference``.
    """

    outcome: Callable[[FloatArray], tuple[FloatArray, FloatArray]]
    weights: FloatArray
    kind: Objective = "revenue"
    margin: float = 1.0
    risk: float | None = None
    reference: FloatArray | None = None
    _reference_value: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ref = np.zeros(0) if self.reference is None else self.per_draw(self.reference)[0]
        object.__setattr__(self, "_reference_value", ref)

    def per_draw(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The objective's value per draw ``(S,)`` and its gradient ``(S, C)``."""
        value, grad = self.outcome(x)
        if self.kind == "profit":
            return self.margin * value - float(np.sum(x)), self.margin * grad - 1.0
        return value, grad

    def __call__(self, x: FloatArray) -> tuple[float, FloatArray]:
        value, grad = self.per_draw(x)
        w = self.weights
        mean, mean_grad = float(w @ value), w @ grad
        if self.risk is None or self.reference is None:
            return mean, mean_grad
        gain = value - self._reference_value
        gain_mean = float(w @ gain)
        spread = gain - gain_mean
        floor = 1e-9 * (abs(float(w @ self._reference_value)) + 1.0)
        sd = math.sqrt(float(w @ spread**2) + floor**2)
        z = float(norm.ppf(1.0 - self.risk))
        sd_grad = (w * spread) @ (grad - mean_grad) / sd
        return float(w @ self._reference_value) + gain_mean - z * sd, mean_grad - z * sd_grad


@dataclass(frozen=True)
class ChannelPlan:
    """One channel of a plan (money over the horizon): recommended ``spend``, ``current`` spend, the
    resolved ``low`` / ``high`` limits with the rules behind them, the expected incremental
    ``outcome`` of the recommended spend with its interval, and ``marginal_return``: the expected
    extra outcome of the last unit of recommended spend."""

    channel: str
    spend: float
    current: float
    low: float
    high: float
    low_rule: str
    high_rule: str
    outcome: float
    outcome_lower: float
    outcome_upper: float
    current_outcome: float
    marginal_return: float

    @property
    def change(self) -> float:
        """Relative change against the current allocation (NaN when the current is 0)."""
        return self.spend / self.current - 1.0 if self.current > 0 else float("nan")


@dataclass(frozen=True, eq=False)
class BudgetPlan:
    """A budget plan over a future horizon (money in the spend's unit, outcome in the outcome's).

    ``allocation``: channel → total spend over the horizon; ``current_allocation``: the same for the
    current allocation (the recent spend mix scaled to the budget, unless given). ``expected_outcome``
    with ``outcome_interval``: the plan's incremental outcome (against no spend in the horizon, the
    carryover out of it included) at ``confidence_level``; ``current_outcome`` /
    ``current_interval`` for the current allocation; ``gain`` / ``gain_interval``: plan minus current
    per posterior draw; ``probability_of_gain``: share of the posterior with a positive gain.
    ``constraints``: the rules used (budget rule, bounds, max change, fixed channels, objective, risk).
    ``channels``: one :class:`ChannelPlan` per channel. ``outcome_draws`` / ``current_draws``
    ``(S,)`` with ``weights``: the posterior draws behind the intervals (for experiment planning).
    """

    total_budget: float
    horizon_days: int
    horizon_periods: int
    start: str
    end: str
    objective: Objective
    margin: float | None
    risk: float | None
    confidence_level: float
    allocation: dict[str, float]
    current_allocation: dict[str, float]
    expected_outcome: float
    outcome_interval: tuple[float, float]
    current_outcome: float
    current_interval: tuple[float, float]
    gain: float
    gain_interval: tuple[float, float]
    probability_of_gain: float
    constraints: dict[str, object]
    channels: tuple[ChannelPlan, ...]
    outcome_draws: FloatArray = field(repr=False)
    current_draws: FloatArray = field(repr=False)
    weights: FloatArray = field(repr=False)

    @property
    def spend(self) -> float:
        """What the plan spends in total (the budget, or less under the profit objective)."""
        return math.fsum(self.allocation.values())

    @property
    def expected_profit(self) -> float | None:
        """``margin × expected outcome − spend`` (None without a margin)."""
        return None if self.margin is None else self.margin * self.expected_outcome - self.spend

    def totals(self) -> dict[str, float | str | None]:
        """The plan's totals by name: budget, objective, risk, and the plan's, the current
        allocation's and the gain's expected value with interval bounds, the probability of a gain."""
        return {
            "total_budget": self.total_budget,
            "objective": self.objective,
            "risk": self.risk,
            "plan_outcome": self.expected_outcome,
            "plan_outcome_lower": self.outcome_interval[0],
            "plan_outcome_upper": self.outcome_interval[1],
            "current_outcome": self.current_outcome,
            "current_outcome_lower": self.current_interval[0],
            "current_outcome_upper": self.current_interval[1],
            "plan_gain": self.gain,
            "plan_gain_lower": self.gain_interval[0],
            "plan_gain_upper": self.gain_interval[1],
            "probability_of_gain": self.probability_of_gain,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per channel (:class:`ChannelPlan` fields plus ``change``)."""
        rows = [{**vars(c), "change": c.change} for c in self.channels]
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """One plain sentence: what the plan spends and what it is expected to return against now."""
        low, high = self.outcome_interval
        g_low, g_high = self.gain_interval
        level = f"{self.confidence_level:.0%}"
        risk = f" (risk-aware: the {self.risk:.0%} quantile of the gain maximised)" if self.risk else ""
        held = sorted(self.constraints.get("held") or {})  # type: ignore[call-overload]
        if all(abs(c.spend - c.current) <= 1e-9 * max(self.total_budget, 1.0) for c in self.channels):
            why = f"; held as not identified: {', '.join(held)}" if held else ""
            return (
                f"Keep the current allocation of {self.spend:,.0f} over the {self.horizon_days} days from "
                f"{self.start}{risk}{why}: "
                f"expected {self.expected_outcome:,.0f} incremental outcome ({level} interval "
                f"{low:,.0f}–{high:,.0f}); no change is expected to help enough to recommend it."
            )
        return (
            f"Spending {self.spend:,.0f} over {self.horizon_days} days from {self.start}{risk} is expected "
            f"to bring {self.expected_outcome:,.0f} incremental outcome ({level} interval "
            f"{low:,.0f}–{high:,.0f}), "
            f"{self.gain:+,.0f} against the current allocation ({g_low:+,.0f} to {g_high:+,.0f}; "
            f"{self.probability_of_gain:.0%} probability of a gain)."
        )

    def plot(self) -> Figure:
        """Current against recommended spend per channel, with each channel's expected outcome."""
        from liftos.causal.plots import plot_budget_plan

        return plot_budget_plan(self)


def interval(values: FloatArray, weights: FloatArray, level: float) -> tuple[float, float]:
    """The central ``level`` interval of ``values`` ``(S,)`` under ``weights``."""
    alpha = (1.0 - level) / 2.0
    q = weighted_quantiles(values, weights, (alpha, 1.0 - alpha))
    return float(q[0]), float(q[1])


def current_allocation(response: ResponseModel, periods: int, total: float) -> FloatArray:
    """The recent spend mix scaled to ``total``: each channel's share of the spend in the last
    ``max(periods, 4 weeks)`` periods of the data times ``total`` ``(C,)``.

    Raises:
        InfeasibleBudgetError: no channel spent anything in that window (pass ``current=``).
    """
    window = max(periods, periods_of(28, response.frequency))
    recent = response.history[-window:].sum(axis=0)
    if not recent.sum() > 0:
        raise InfeasibleBudgetError(
            f"no spend in the last {window} periods to take the current allocation from; pass current="
        )
    return np.asarray(total * recent / recent.sum(), dtype=np.float64)


def _horizon_dates(last: pd.Timestamp, periods: int, frequency: str) -> tuple[str, str, int]:
    width = 1 if frequency == "D" else 7
    start = last + pd.Timedelta(days=width)
    end = start + pd.Timedelta(days=periods * width - 1)
    return str(start.date()), str(end.date()), periods * width


def _check_request(objective: str, margin: float | None, risk: float | None, horizon_days: int) -> None:
    if objective not in ("revenue", "profit"):
        raise ValueError(f"objective must be 'revenue' or 'profit', got {objective!r}")
    if objective == "profit" and not (margin is not None and margin > 0):
        raise ValueError("objective='profit' needs margin= (outcome profit per unit of outcome, > 0)")
    if risk is not None and not 0 < risk < 0.5:
        raise ValueError(f"risk is a lower quantile in (0, 0.5), e.g. 0.1; got {risk}")
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")


def optimize_budget(
    response: ResponseModel,
    last_date: pd.Timestamp,
    total_budget: float,
    horizon_days: int,
    bounds: Bounds | None = None,
    objective: Objective = "revenue",
    risk: float | None = None,
    *,
    margin: float | None = None,
    max_change: float | Mapping[str, float] | None = None,
    fixed: Collection[str] | Mapping[str, float] | None = None,
    current: Mapping[str, float] | None = None,
    confidence_level: float = 0.95,
    held: Mapping[str, str] | None = None,
) -> BudgetPlan:
    """The budget plan for the ``horizon_days`` after ``last_date`` (the data's last period) on
    ``response``'s posterior; see the module docstring and :meth:`CausalResults.optimize_budget`."""
    _check_request(objective, margin, risk, horizon_days)
    channels = response.channels
    periods = periods_of(horizon_days, response.frequency)
    total = float(total_budget)
    if current is None:
        now = current_allocation(response, periods, total)
    else:
        missing = [c for c in channels if c not in current]
        if missing:
            raise InfeasibleBudgetError(f"current= lacks channel(s) {', '.join(missing)}")
        now = np.array([float(current[c]) for c in channels])
    exact = objective == "revenue"
    limits = resolve_limits(channels, now, total, bounds, max_change, fixed, exact_total=exact, held=held)
    horizon = HorizonResponse.of(response, periods)

    def outcome(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        value, grad = horizon.outcome_and_gradient(x)
        return value.sum(axis=1), grad

    goal = PlanObjective(
        outcome, horizon.weights, objective, margin or 1.0, risk, now if risk is not None else None
    )
    n = len(channels)
    starts = [now, np.full(n, total / n), limits.low + 0.5 * (limits.high - limits.low)]
    best = allocate(goal, limits, total, starts, exact_total=exact)
    start, end, days = _horizon_dates(last_date, periods, response.frequency)
    return _plan(
        horizon, best, now, limits, total, (start, end, days, periods), objective, margin, risk,
        confidence_level, bounds, max_change, fixed,
    )  # fmt: skip


def _plan(
    horizon: HorizonResponse,
    best: FloatArray,
    now: FloatArray,
    limits: ChannelLimits,
    total: float,
    when: tuple[str, str, int, int],
    objective: Objective,
    margin: float | None,
    risk: float | None,
    level: float,
    bounds: Bounds | None,
    max_change: float | Mapping[str, float] | None,
    fixed: Collection[str] | Mapping[str, float] | None,
) -> BudgetPlan:
    w = horizon.weights
    per_channel, grad = horizon.outcome_and_gradient(best)
    current_per_channel = horizon.outcome(now)
    plan_draws, current_draws = per_channel.sum(axis=1), current_per_channel.sum(axis=1)
    rows = []
    for c, channel in enumerate(limits.channels):
        low, high = interval(per_channel[:, c], w, level)
        rows.append(
            ChannelPlan(
                channel=channel,
                spend=float(best[c]),
                current=float(now[c]),
                low=float(limits.low[c]),
                high=float(limits.high[c]),
                low_rule=limits.low_rule[c],
                high_rule=limits.high_rule[c],
                outcome=float(w @ per_channel[:, c]),
                outcome_lower=low,
                outcome_upper=high,
                current_outcome=float(w @ current_per_channel[:, c]),
                marginal_return=float(w @ grad[:, c]),
            )
        )
    gain = plan_draws - current_draws
    constraints: dict[str, object] = {
        "budget": f"{'exactly' if objective == 'revenue' else 'at most'} {total:,.2f}",
        "bounds": {k: list(v) for k, v in (bounds or {}).items()},
        "max_change": dict(max_change) if isinstance(max_change, Mapping) else max_change,
        "fixed": dict(fixed) if isinstance(fixed, Mapping) else sorted(fixed or ()),
        "held": {
            ch: rule
            for ch, rule in zip(limits.channels, limits.low_rule, strict=True)
            if rule.startswith("held")
        },
        "limits": {ch: [float(limits.low[c]), float(limits.high[c])] for c, ch in enumerate(limits.channels)},
        "objective": objective,
        "margin": margin,
        "risk": risk,
        "spend_profile": "even per period over the horizon",
    }
    start, end, days, periods = when
    return BudgetPlan(
        total_budget=total,
        horizon_days=days,
        horizon_periods=periods,
        start=start,
        end=end,
        objective=objective,
        margin=margin,
        risk=risk,
        confidence_level=level,
        allocation={ch: float(best[c]) for c, ch in enumerate(limits.channels)},
        current_allocation={ch: float(now[c]) for c, ch in enumerate(limits.channels)},
        expected_outcome=float(w @ plan_draws),
        outcome_interval=interval(plan_draws, w, level),
        current_outcome=float(w @ current_draws),
        current_interval=interval(current_draws, w, level),
        gain=float(w @ gain),
        gain_interval=interval(gain, w, level),
        probability_of_gain=float(w @ (gain > 0)),
        constraints=constraints,
        channels=tuple(rows),
        outcome_draws=plan_draws,
        current_draws=current_draws,
        weights=w,
    )
