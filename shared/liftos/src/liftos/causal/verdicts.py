"""How sure an effect is: a verdict per channel (``identified`` / ``weak`` / ``not_identified``) with
the reason in words, computed only from the fit and the data (never from any ground truth), and a
plain-language sentence per channel for reports.

Every estimator builds one :class:`ChannelEvidence` per channel and one :class:`ModelEvidence` per fit
and calls :func:`judge`. The rules, each with the meaning of its threshold:

``not_identified`` when any of
- the data shrank the prior's variance of the channel's (log) lift by less than half
  (``prior_contraction < 0.5``): the estimate mostly repeats the prior;
- the interval spans more than a factor of :data:`NOT_IDENTIFIED_RATIO` (upper / lower), or its lower
  end is 0: the data cannot tell a small effect from a large one;
- spend varies too little to learn from (active in under 5 % of periods, or the channel's fitted
  contribution has a coefficient of variation under 5 %);
- the channel's contribution is almost a linear function of the calendar and the other channels
  (R² > 0.98): its effect cannot be separated from theirs;
- at the channel's sharp spend changes (launches, pauses, bursts: the nearest thing to an experiment
  in the series) the outcome moves less than the fitted effect predicts, one-sided z below
  ``-``:data:`EVENT_Z` (5 % level): the estimate rests on spend moving together with demand the model
  cannot see, which biases any observational estimate upwards (only an experiment separates the
  two);
- spend reacts to the outcome's unexplained movements of the previous periods (a feedback z-score
  above :data:`FEEDBACK_Z_NOT_IDENTIFIED`, one-sided 0.1 % level);
- the model forecasts held-out periods worse than the seasonal-naive baseline (repeating the last
  season): a model that cannot beat that has not captured what drives the outcome, so its split of
  the outcome into channels is no evidence.

``weak`` (at best) when any of
- ``prior_contraction < 0.8``, or the interval spans more than a factor of :data:`WEAK_RATIO`;
- R² > 0.9 against the calendar and the other channels (variance inflation above 10);
- fewer periods than a year (seasonality and media cannot be told apart with confidence);
- a feedback z-score above :data:`FEEDBACK_Z_WEAK` (one-sided 1 % level);
- another estimator of the same quantity (the default ``mmm``, for the econml estimators) puts the
  effect somewhere this one's interval excludes and vice versa: at least one of the two is wrong;
- the outcome moves *more* than predicted at the sharp spend changes (z above :data:`EVENT_Z_HIGH`,
  two-sided 5 %): the estimate may be too low.

Every z-score is N(0, 1) when the model is right (see :mod:`liftos.causal.evidence`), so each
threshold is the stated level of a test, not a number fitted to any benchmark.

Otherwise ``identified``.

A trailing window's effect (the effect "now", :func:`window_verdict`) is judged by its own interval
with the same factor rules and is never better than the whole range's verdict: it has a fraction of the
data and shares every assumption of the whole-range fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ChannelEvidence",
    "ModelEvidence",
    "Verdict",
    "effect_sentence",
    "judge",
    "window_verdict",
]

Verdict = Literal["identified", "weak", "not_identified"]

NOT_IDENTIFIED_RATIO: Final = 10.0
WEAK_RATIO: Final = 3.0
FEEDBACK_Z_NOT_IDENTIFIED: Final = 3.090  # one-sided p < 0.001
FEEDBACK_Z_WEAK: Final = 2.326  # one-sided p < 0.01
EVENT_Z: Final = 1.645  # one-sided p < 0.05: the outcome moves less than predicted at sharp changes
EVENT_Z_HIGH: Final = 1.960  # two-sided p < 0.05 in the other direction
_RANK: Final[dict[str, int]] = {"identified": 0, "weak": 1, "not_identified": 2}


@dataclass(frozen=True)
class ChannelEvidence:
    """What the fit says about one channel.

    ``estimate``, ``lower``, ``upper``: iROAS and its interval (outcome units per unit of spend).
    ``prior_contraction``: ``1 - posterior variance / prior variance`` of the log lift (None without
    an effect prior). ``active_share``: share of periods with spend. ``variation``: coefficient of
    variation of the channel's fitted contribution over periods. ``collinearity``: R² of that
    contribution on the calendar and the other channels' contributions, ``collinear_with`` the term
    that explains most of it. ``feedback_z``: z-score of spend following the previous periods'
    unexplained outcome (NaN when not computed). ``event_z``, ``event_ratio``, ``events``: the
    outcome's response at the channel's sharp spend changes against the fitted effect's prediction
    (z-score, observed / predicted, how many changes; NaN / 0 when not computed,
    :class:`liftos.causal.evidence.EventResponse`). ``disagreement``: set (in words) when another
    estimator of the same effect disagrees with this one beyond both intervals.
    """

    channel: str
    estimate: float
    lower: float
    upper: float
    prior_contraction: float | None
    active_share: float
    variation: float
    collinearity: float
    collinear_with: str
    feedback_z: float = float("nan")
    event_z: float = float("nan")
    event_ratio: float = float("nan")
    events: int = 0
    disagreement: str = ""


@dataclass(frozen=True)
class ModelEvidence:
    """What the fit says about the whole model: ``periods`` and ``frequency`` (``"D"``/``"W"``),
    out-of-sample MAPE of the model and of the seasonal-naive baseline (NaN without CV)."""

    periods: int
    frequency: str
    model_mape: float
    baseline_mape: float

    @property
    def under_a_year(self) -> bool:
        """Fewer periods than one year."""
        return self.periods < (365 if self.frequency == "D" else 52)

    @property
    def worse_than_baseline(self) -> bool:
        """The model forecasts held-out periods worse than the seasonal-naive baseline."""
        return (
            math.isfinite(self.model_mape)
            and math.isfinite(self.baseline_mape)
            and self.model_mape > self.baseline_mape
        )


def _ratio(e: ChannelEvidence) -> float:
    return e.upper / e.lower if e.lower > 0 else math.inf


def _channel_reasons(e: ChannelEvidence) -> list[tuple[Verdict, str]]:
    found: list[tuple[Verdict, str]] = []
    c = e.prior_contraction
    if c is not None and math.isfinite(c) and c < 0.8:
        level: Verdict = "not_identified" if c < 0.5 else "weak"
        found.append((level, f"the data narrowed the prior by only {max(c, 0.0):.0%}"))
    ratio = _ratio(e)
    if ratio > WEAK_RATIO:
        level = "not_identified" if ratio > NOT_IDENTIFIED_RATIO else "weak"
        span = "reaches zero" if not math.isfinite(ratio) else f"spans a factor of {ratio:.0f}"
        found.append((level, f"the interval {span}"))
    if e.active_share < 0.05 or e.variation < 0.05:
        found.append(("not_identified", "spend barely varies, so there is nothing to learn its effect from"))
    if e.collinearity > 0.9:
        level = "not_identified" if e.collinearity > 0.98 else "weak"
        found.append((level, f"its spend moves with {e.collinear_with} (R² {e.collinearity:.2f})"))
    if math.isfinite(e.feedback_z) and e.feedback_z > FEEDBACK_Z_WEAK:
        level = "not_identified" if e.feedback_z > FEEDBACK_Z_NOT_IDENTIFIED else "weak"
        found.append(
            (level, "spend follows demand the model cannot see (it reacts to the previous days' surprises)")
        )
    if math.isfinite(e.event_z) and e.event_z < -EVENT_Z:
        found.append(
            (
                "not_identified",
                f"at its {e.events} sharp spend changes the outcome moved by only "
                f"{max(e.event_ratio, 0.0):.0%} of what the fitted effect predicts (z {e.event_z:.1f}), "
                "so the estimate rests on spend moving with demand the model cannot see",
            )
        )
    elif math.isfinite(e.event_z) and e.event_z > EVENT_Z_HIGH:
        found.append(
            (
                "weak",
                f"at its {e.events} sharp spend changes the outcome moved {e.event_ratio:.1f}x what "
                f"the fitted effect predicts (z {e.event_z:.1f}): the estimate may be too low",
            )
        )
    if e.disagreement:
        found.append(("weak", e.disagreement))
    return found


def _model_reasons(m: ModelEvidence) -> list[tuple[Verdict, str]]:
    found: list[tuple[Verdict, str]] = []
    if m.under_a_year:
        unit = "days" if m.frequency == "D" else "weeks"
        found.append(("weak", f"only {m.periods} {unit} of data (less than a year)"))
    if m.worse_than_baseline:
        found.append(
            (
                "not_identified",
                f"the model forecasts worse than a seasonal-naive baseline "
                f"(MAPE {m.model_mape:.1%} vs {m.baseline_mape:.1%})",
            )
        )
    return found


def judge(channel: ChannelEvidence, model: ModelEvidence) -> tuple[Verdict, str]:
    """The verdict of one channel and its reason in words."""
    reasons = _channel_reasons(channel) + _model_reasons(model)
    if not reasons:
        parts = []
        if channel.prior_contraction is not None and math.isfinite(channel.prior_contraction):
            parts.append(f"the data narrowed the prior by {channel.prior_contraction:.0%}")
        parts.append(f"the interval spans a factor of {_ratio(channel):.1f}")
        if math.isfinite(channel.event_z):
            parts.append(
                f"the outcome's response at its {channel.events} sharp spend changes is within its noise "
                f"of the fit ({channel.event_ratio:.1f}x the predicted, z {channel.event_z:.1f})"
            )
        if math.isfinite(model.model_mape) and math.isfinite(model.baseline_mape):
            parts.append(
                f"out-of-sample MAPE {model.model_mape:.1%} beats the seasonal-naive "
                f"{model.baseline_mape:.1%}"
            )
        return "identified", "; ".join(parts)
    verdict = max((v for v, _ in reasons), key=_RANK.__getitem__)
    worst = [text for v, text in reasons if v == verdict] + [text for v, text in reasons if v != verdict]
    return verdict, "; ".join(worst)


def window_verdict(overall: str, lower: float, upper: float) -> tuple[Verdict, str]:
    """The verdict of a trailing window's iROAS with interval ``lower..upper`` (outcome per unit of
    spend) given the channel's whole-range verdict ``overall``, and its reason in words."""
    if not (math.isfinite(lower) and math.isfinite(upper)):
        return "not_identified", "no spend in the window"
    found: list[tuple[Verdict, str]] = []
    ratio = upper / lower if lower > 0 else math.inf
    if ratio > WEAK_RATIO:
        level: Verdict = "not_identified" if ratio > NOT_IDENTIFIED_RATIO else "weak"
        span = "reaches zero" if not math.isfinite(ratio) else f"spans a factor of {ratio:.0f}"
        found.append((level, f"the window's interval {span}"))
    if overall == "weak":
        found.append(("weak", "the whole-range effect is weak"))
    elif overall == "not_identified":
        found.append(("not_identified", "the whole-range effect is not identified"))
    if not found:
        return "identified", f"the window's interval spans a factor of {ratio:.1f}"
    verdict = max((v for v, _ in found), key=_RANK.__getitem__)
    return verdict, "; ".join([t for v, t in found if v == verdict] + [t for v, t in found if v != verdict])


def _num(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def effect_sentence(
    channel: str,
    verdict: str,
    reason: str,
    estimate: float,
    lower: float,
    upper: float,
    outcome: str = "revenue",
    money: bool = True,
) -> str:
    """One plain sentence: what a unit of spend returns, how sure that is and why.

    E.g. "Meta returns between 0.65 and 3.02 revenue per unit spent (best estimate 1.83); weak: the
    interval spans a factor of 5." ``money``: whether the outcome is money (otherwise "orders per unit
    of spend").
    """
    name = channel.replace("_", " ").title() if channel.islower() else channel
    per = "per unit spent" if money else "per unit of spend"
    what = f"{_num(lower)} and {_num(upper)} {outcome} {per}"
    if verdict == "identified":
        return f"{name} returns between {what} (best estimate {_num(estimate)}); identified: {reason}."
    if verdict == "weak":
        return f"{name} returns between {what} (best estimate {_num(estimate)}); weak: {reason}."
    return (
        f"{name}: not identified, anything between {what} fits the data; {reason}. "
        "A lift test would say more."
    )
