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
- spend reacts to the outcome's unexplained movements of the previous periods (a feedback z-score
  above :data:`FEEDBACK_Z_NOT_IDENTIFIED`): spend chases demand the model cannot see, which biases any
  observational estimate (only an experiment separates the two);
- the model forecasts held-out periods worse than the seasonal-naive baseline (repeating the last
  season): a model that cannot beat that has not captured what drives the outcome, so its split of
  the outcome into channels is no evidence.

``weak`` (at best) when any of
- ``prior_contraction < 0.8``, or the interval spans more than a factor of :data:`WEAK_RATIO`;
- R² > 0.9 against the calendar and the other channels (variance inflation above 10);
- fewer periods than a year (seasonality and media cannot be told apart with confidence);
- a feedback z-score above :data:`FEEDBACK_Z_WEAK`;
- another estimator of the same quantity (the default ``mmm``, for the econml estimators) puts the
  effect somewhere this one's interval excludes and vice versa: at least one of the two is wrong.

Otherwise ``identified``.
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
]

Verdict = Literal["identified", "weak", "not_identified"]

NOT_IDENTIFIED_RATIO: Final = 10.0
WEAK_RATIO: Final = 3.0
FEEDBACK_Z_NOT_IDENTIFIED: Final = 4.0
FEEDBACK_Z_WEAK: Final = 3.0
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
    unexplained outcome (NaN when not computed). ``disagreement``: set (in words) when another
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
        if math.isfinite(model.model_mape) and math.isfinite(model.baseline_mape):
            parts.append(
                f"out-of-sample MAPE {model.model_mape:.1%} beats the seasonal-naive "
                f"{model.baseline_mape:.1%}"
            )
        return "identified", "; ".join(parts)
    verdict = max((v for v, _ in reasons), key=_RANK.__getitem__)
    worst = [text for v, text in reasons if v == verdict] + [text for v, text in reasons if v != verdict]
    return verdict, "; ".join(worst)


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
