"""Experiment plans: per channel, the lift test that would narrow its iROAS interval to a target width,
and which test is worth most to the budget plan.

A design is a go-dark (``spend_scale=0``) or spend-change (``spend_scale=0.5``: half the spend) window of
``days`` days at the channel's current spend, starting after the data; it measures the outcome lost
over the window and the carryover tail after it (``lag - 1`` periods), like
:class:`liftos.causal.lift.LiftTest`. For each candidate window:

- the **expected lift** per posterior draw ``L_s`` comes from the model's own response
  (:class:`~liftos.causal.horizon.HorizonResponse`);
- its **measurement SE** from the data's noise: ``σ · √(Σ_t ŷ_t²)`` over the measured periods, ``σ``
  the SD of the model's one-step-ahead (AR-whitened) log residuals and ``ŷ`` the recent outcome level
  per period — what is left after a control (holdout or forecast) removes the shared demand swings;
- the **expected narrowing** from a Gaussian update computed on the posterior draws: observing
  ``m = L + ε``, ``ε ~ N(0, SE²)``, the variance of the channel's log whole-range lift ``q`` becomes
  ``Var(q) − Cov(q, L)² / (Var(L) + SE²)`` (whatever ``m`` turns out to be); the iROAS interval's log
  half-widths shrink by the ratio of the SDs, around the current estimate;
- the **value for the plan**: the same update on the budget plan's gain over the current allocation
  (or on its outcome, when the plan keeps the current allocation) gives the expected reduction of
  the plan's risk (posterior SD), divided by the spend the test withholds.

Per channel the cheapest candidate (least spend withheld) that reaches ``target_relative_width``
(interval width / iROAS) is chosen, else the one with the narrowest predicted interval; channels are
ranked by plan-risk reduction per unit of spend withheld, the **powered** designs first: a test whose
expected lift is below its minimum detectable effect (``2.8 × SE``: 80 % power at a two-sided 5 %
level) cannot tell the channel's effect from zero, however cheap it is. These are predictions from a Gaussian
approximation: ``bench/decisions.py`` checks them by running the tests in the sandbox.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos.causal.budget import BudgetPlan, interval
from liftos.causal.fit import periods_of
from liftos.causal.horizon import HorizonResponse
from liftos.causal.response import ResponseModel
from liftos.causal.results import ChannelEffect

__all__ = ["ExperimentDesign", "design_experiments", "predicted_se", "whole_range_log_lift"]

FloatArray = NDArray[np.float64]
DAILY_WINDOWS = (7, 14, 21, 28, 42, 56)  # days a test may last
SCALES = (0.0, 0.5)  # go dark, half the spend
MDE_IN_SE = 2.8  # minimum detectable effect in SEs: 80 % power at a two-sided 5 % level


@dataclass(frozen=True)
class ExperimentDesign:
    """One channel's recommended lift test (money in the spend's unit, outcome in the outcome's).

    ``kind`` ``go_dark`` / ``spend_change`` with ``spend_scale`` (share of spend kept in the window),
    ``days`` long from ``start`` to ``end`` (the periods after the data); ``measured_days``: window and
    carryover tail. ``spend_forgone``: spend withheld; ``expected_lift`` (``lift_lower`` ..
    ``lift_upper``): outcome the test should measure; ``predicted_se``: its measurement SE.
    ``iroas`` with the current interval ``iroas_lower`` .. ``iroas_upper`` and the predicted interval
    after calibration ``predicted_lower`` .. ``predicted_upper``; relative widths are width / iROAS;
    ``reaches_target``: predicted relative width ≤ ``target_relative_width``. ``plan_risk``: posterior
    SD of the budget plan's gain (or outcome) and ``risk_reduction`` its expected drop after the test;
    ``value_per_spend`` = risk reduction / spend withheld (the ranking, powered designs first);
    ``powered``: the expected lift reaches the minimum detectable effect (2.8 SE); ``rank`` 1 = best.
    """

    channel: str
    rank: int
    kind: Literal["go_dark", "spend_change"]
    days: int
    spend_scale: float
    start: str
    end: str
    measured_days: int
    spend_forgone: float
    expected_lift: float
    lift_lower: float
    lift_upper: float
    predicted_se: float
    iroas: float
    iroas_lower: float
    iroas_upper: float
    predicted_lower: float
    predicted_upper: float
    target_relative_width: float
    reaches_target: bool
    plan_risk: float
    risk_reduction: float
    value_per_spend: float
    note: str = ""
    powered: bool = True

    @property
    def current_width(self) -> float:
        """Width of the current iROAS interval."""
        return self.iroas_upper - self.iroas_lower

    @property
    def predicted_width(self) -> float:
        """Predicted width of the iROAS interval after calibrating with the test's result."""
        return self.predicted_upper - self.predicted_lower

    @property
    def current_relative_width(self) -> float:
        """Current interval width / iROAS (NaN when the iROAS is 0)."""
        return self.current_width / self.iroas if self.iroas > 0 else float("nan")

    @property
    def predicted_relative_width(self) -> float:
        """Predicted interval width / iROAS after calibration."""
        return self.predicted_width / self.iroas if self.iroas > 0 else float("nan")

    @property
    def narrowing(self) -> float:
        """Expected share by which the interval narrows (``1 - predicted / current width``)."""
        return 1.0 - self.predicted_width / self.current_width if self.current_width > 0 else 0.0

    def summary(self) -> str:
        """One plain sentence describing the test and what it is expected to do."""
        if self.spend_forgone <= 0:
            return f"{self.channel}: {self.note}"
        what = "go dark" if self.kind == "go_dark" else f"spend {self.spend_scale:.0%} of its budget"
        reach = "reaching" if self.reaches_target else "short of"
        return (
            f"{self.channel}: {what} for {self.days} days from {self.start} (withholds "
            f"{self.spend_forgone:,.0f}); expected lift {self.expected_lift:,.0f} ± {self.predicted_se:,.0f} "
            f"(SE); iROAS interval {self.iroas_lower:.2f}–{self.iroas_upper:.2f} expected to narrow to "
            f"{self.predicted_lower:.2f}–{self.predicted_upper:.2f} (relative width "
            f"{self.predicted_relative_width:.2f}, {reach} the target {self.target_relative_width:.2f})."
        )


def _wvar(w: FloatArray, a: FloatArray) -> float:
    return float(w @ (a - w @ a) ** 2)


def _wcov(w: FloatArray, a: FloatArray, b: FloatArray) -> float:
    return float(w @ ((a - w @ a) * (b - w @ b)))


def updated_sd(w: FloatArray, quantity: FloatArray, lift: FloatArray, se: float) -> float:
    """Posterior SD of ``quantity`` ``(S,)`` after observing ``lift + N(0, se²)`` (Gaussian update)."""
    var = _wvar(w, quantity)
    drop = _wcov(w, quantity, lift) ** 2 / (_wvar(w, lift) + se**2)
    return math.sqrt(max(var - drop, 0.0))


def whole_range_log_lift(response: ResponseModel) -> FloatArray:
    """Log whole-range lift of each channel per posterior draw ``(S, C)`` (iROAS up to the spend)."""
    problem = response.problem
    out = np.zeros((len(response.draws), len(response.channels)))
    for s, p in enumerate(response.draws):
        b = problem.split(p)[1]
        total = problem.level_sums(p)[0]
        out[s] = np.log(np.maximum(b * problem.scale * total, 1e-300))
    return out


def predicted_se(response: ResponseModel, outcome_level: float, measured_periods: int) -> float:
    """Measurement SE of a test covering ``measured_periods`` periods of outcome ``outcome_level``
    per period: ``σ · outcome_level · √measured_periods`` (``σ``: innovation SD of the log residuals)."""
    return float(response.problem.sigma * outcome_level * math.sqrt(measured_periods))


@dataclass(frozen=True)
class _Candidate:
    periods: int
    scale: float
    forgone: float
    lift: FloatArray
    se: float
    ratio: float


def _candidates(
    response: ResponseModel, c: int, rate: float, level: float, log_lift: FloatArray
) -> list[_Candidate]:
    windows = sorted({periods_of(d, response.frequency) for d in DAILY_WINDOWS})
    w, out = response.weights, []
    for periods in windows:
        horizon = HorizonResponse.of(response, periods)
        full = np.zeros(len(response.channels))
        full[c] = rate * periods
        base = horizon.outcome(full)[:, c]
        for scale in SCALES:
            lift = base - horizon.outcome(full * scale)[:, c]
            se = predicted_se(response, level, periods + response.lag - 1)
            sd = math.sqrt(_wvar(w, log_lift))
            ratio = updated_sd(w, log_lift, lift, se) / sd if sd > 0 else 1.0
            out.append(_Candidate(periods, scale, (1 - scale) * rate * periods, lift, se, ratio))
    return out


def _scaled(iroas: float, bound: float, ratio: float) -> float:
    """``bound`` moved towards ``iroas`` so its log distance shrinks by ``ratio``."""
    if iroas <= 0 or bound <= 0:
        return iroas + (bound - iroas) * ratio
    return float(iroas * (bound / iroas) ** ratio)


def design_experiments(
    response: ResponseModel,
    effects: dict[str, ChannelEffect],
    plan: BudgetPlan,
    outcome_level: float,
    target_relative_width: float = 0.3,
) -> list[ExperimentDesign]:
    """One design per channel of ``response``, best first (see the module docstring).

    ``effects``: the published effects (current iROAS interval); ``plan``: the budget plan whose risk
    the tests should reduce; ``outcome_level``: recent outcome per period (the measurement noise scale).
    """
    if not target_relative_width > 0:
        raise ValueError(f"target_relative_width must be > 0, got {target_relative_width}")
    w = response.weights
    log_lift = whole_range_log_lift(response)
    gain = plan.outcome_draws - plan.current_draws
    risk_target = (
        gain if _wvar(w, gain) > 1e-12 * (1.0 + _wvar(w, plan.outcome_draws)) else plan.outcome_draws
    )
    risk = math.sqrt(_wvar(w, risk_target))
    periods = periods_of(28, response.frequency)
    rates = response.history[-periods:].mean(axis=0)
    designs = []
    for c, channel in enumerate(response.channels):
        effect = effects[channel]
        designs.append(
            _design(response, c, effect, float(rates[c]), outcome_level, log_lift[:, c], plan, risk,
                    risk_target, target_relative_width)
        )  # fmt: skip
    order = sorted(designs, key=lambda d: (d.spend_forgone <= 0, not d.powered, -d.value_per_spend))
    return [replace(d, rank=i + 1) for i, d in enumerate(order)]


def _design(
    response: ResponseModel,
    c: int,
    effect: ChannelEffect,
    rate: float,
    level: float,
    log_lift: FloatArray,
    plan: BudgetPlan,
    risk: float,
    risk_target: FloatArray,
    target: float,
) -> ExperimentDesign:
    w, iroas = response.weights, effect.incremental_roas
    low, high = effect.iroas_ci_lower, effect.iroas_ci_upper
    width = 1 if response.frequency == "D" else 7
    if not rate > 0:
        return ExperimentDesign(
            effect.channel, 0, "go_dark", 0, 0.0, plan.start, plan.start, 0, 0.0, 0.0, 0.0, 0.0, 0.0,
            iroas, low, high, low, high, target, False, risk, 0.0, 0.0,
            note="no spend in the last 28 days: a lift test needs spend to withhold",
        )  # fmt: skip
    candidates = _candidates(response, c, rate, level, log_lift)
    relative = {
        id(k): (_scaled(iroas, high, k.ratio) - _scaled(iroas, low, k.ratio)) / iroas for k in candidates
    }
    reaching = [k for k in candidates if relative[id(k)] <= target]
    best = (
        min(reaching, key=lambda k: k.forgone) if reaching else min(candidates, key=lambda k: relative[id(k)])
    )
    after = updated_sd(w, risk_target, best.lift, best.se)
    lift_low, lift_high = interval(best.lift, w, plan.confidence_level)
    start = plan.start
    end = str((pd.Timestamp(start) + pd.Timedelta(days=best.periods * width - 1)).date())
    note = (
        "" if reaching else "no window up to 8 weeks reaches the target; this one narrows the interval most"
    )
    if (high - low) / iroas <= target:
        note = "already within the target width; the test would confirm the estimate"
    expected = float(w @ best.lift)
    powered = expected >= MDE_IN_SE * best.se
    if not powered:
        note = (
            f"underpowered: the expected lift {expected:,.0f} is below the minimum detectable effect "
            f"{MDE_IN_SE * best.se:,.0f} (2.8 SE); the test could not tell the effect from zero"
        )
    return ExperimentDesign(
        channel=effect.channel,
        rank=0,
        kind="go_dark" if best.scale == 0 else "spend_change",
        days=best.periods * width,
        spend_scale=best.scale,
        start=start,
        end=end,
        measured_days=(best.periods + response.lag - 1) * width,
        spend_forgone=best.forgone,
        expected_lift=expected,
        lift_lower=float(lift_low),
        lift_upper=float(lift_high),
        predicted_se=best.se,
        iroas=iroas,
        iroas_lower=low,
        iroas_upper=high,
        predicted_lower=_scaled(iroas, low, best.ratio),
        predicted_upper=_scaled(iroas, high, best.ratio),
        target_relative_width=target,
        reaches_target=bool(reaching),
        plan_risk=risk,
        risk_reduction=risk - after,
        value_per_spend=(risk - after) / best.forgone if best.forgone > 0 else 0.0,
        note=note,
        powered=powered,
    )
