"""The frozen, validated model specification shared by all estimators.

Every option is listed in :class:`ModelSpec`'s docstring; ``__post_init__`` rejects invalid values with
a precise message so that a bad configuration fails before any data is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypedDict, get_args

__all__ = [
    "ATTRIBUTION_MODELS",
    "INTERVAL_METHODS",
    "Assignment",
    "AttributionModel",
    "EffectPriorKind",
    "IntervalMethod",
    "ModelSpec",
    "SpecOptions",
]

AttributionModel = Literal["mmm", "dml", "causal_forest"]
IntervalMethod = Literal["laplace", "importance", "delta", "bootstrap"]
EffectPriorKind = Literal["auto", "roi", "share", "none"]
Assignment = Literal["observational", "randomized"]
ATTRIBUTION_MODELS: Final[tuple[str, ...]] = get_args(AttributionModel)
INTERVAL_METHODS: Final[tuple[str, ...]] = get_args(IntervalMethod)
_ASSIGNMENTS: Final[tuple[str, ...]] = get_args(Assignment)
_PRIOR_KINDS: Final[tuple[str, ...]] = get_args(EffectPriorKind)


@dataclass(frozen=True)
class ModelSpec:
    """How to model a dataset (immutable; validated at construction).

    Attributes:
        attribution_model: estimator lookup name: ``"mmm"`` (default), ``"dml"`` or ``"causal_forest"``.
        treatment_assignment: ``"observational"`` (default) or ``"randomized"`` (spend set at random:
            the DML treatment model is then a constant).
        confidence_level: two-sided interval level in (0.5, 1); default 0.95.
        cross_validation: compute out-of-sample accuracy by rolling-origin folds (default True).
        cv_folds: number of rolling-origin folds, each holding out the next ``1/(cv_folds+4)`` of the range.
        seed: seed for every random choice (bootstrap, forests); the fit is deterministic for it.
        max_lag: carryover length in periods; ``None`` → 42 for daily, 8 for weekly data.
        fourier_order: yearly Fourier harmonics; ``None`` → 10 for daily, 3 for weekly data.
        weekday: weekday indicators (daily data only).
        trend: linear trend (on the log baseline).
        holidays_country: ISO 3166-1 country of the public-holiday indicators, ``None`` for none (the
            causal engine passes its ``LIFTOS_COUNTRY``, the enricher's calendar).
        holidays_subdivision: State/region of regional holidays (e.g. ``BY``), ``None`` for the
            country's national ones (the causal engine passes ``LIFTOS_SUBDIVISION``).
        retail_events: indicators for the days around US Thanksgiving (Black Friday, Cyber Monday).
        ar_order: AR order of the MMM's log-outcome errors (GLS); ``None`` → 7 daily, 2 weekly; 0 = white.
        interval_method: how intervals are made (each gives parameter draws pushed through every
            effect): ``"laplace"`` (default: Gaussian draws in an unconstrained parameterisation —
            log level, logit decay/K/shape — from the curvature at the optimum, the data part
            HAC-inflated), ``"importance"`` (the same draws reweighted to the exact posterior),
            ``"delta"`` (Gaussian in the constrained parameters: symmetric, may go negative; kept for
            comparison) or ``"bootstrap"`` (moving-block residual bootstrap with refits).
        n_draws: posterior draws of the Laplace / importance methods.
        n_bootstrap: bootstrap replicates (``interval_method="bootstrap"``).
        half_saturation_prior: (mean, sd) of ``log(K / median positive adstocked spend)``.
        shape_prior: (mean, sd) of the Hill shape.
        decay_bounds: (low, high) of the geometric decay per period.
        effect_prior: which prior the size of each channel's effect gets: ``"share"`` (default,
            unit-free ``share_prior``: measured better than the ROI prior even on revenue worlds, see
            docs/causal-evidence.md); ``"auto"``: ``roi_prior`` when the data say the outcome is money
            in the spend's currency (:attr:`CausalDataset.outcome_is_money_in_spend_currency`), else
            ``share_prior``; ``"roi"``: the ROI prior, refused when the units do not allow it;
            ``"none"``: no prior on the effect size (levels only kept >= 0).
        roi_prior: (mean, sd) of the log-normal prior on each channel's whole-range iROAS (Meridian's
            default ROI prior, median 1.22, 95 % between 0.21 and 7.1); ``None`` = never.
        share_prior: (mean, sd) of the log-normal prior on ``channel's share of the outcome / its share
            of spend`` over the range (unit-free: two fractions). Default median 0.1 (the media mix
            drives a tenth of the outcome, channels in proportion to spend), 95 % between 0.5 % and
            190 % of that: the same role as the ROI prior, scaled by the business instead of by a
            currency.
        time_varying: let each channel's level change over time (piecewise-linear knots, random walk);
            whole-range and current-window effects then come from that model.
        tv_knot_days: days between knots of the time-varying levels (weekly data: rounded to weeks).
        tv_step_sd: SD of the log level change from one knot to the next.
        current_windows: lengths in days of the trailing windows whose effect is reported as "now".
        calendar_prior_sd: SD of a zero-mean prior on each calendar/control log-coefficient (not the
            intercept or trend), so terms unseen in a short training window stay near zero.
        lift_test_weight: multiplier on the lift-test likelihood (1 = as reported).
    """

    attribution_model: AttributionModel = "mmm"
    treatment_assignment: Assignment = "observational"
    confidence_level: float = 0.95
    cross_validation: bool = True
    cv_folds: int = 2
    seed: int = 0
    max_lag: int | None = None
    fourier_order: int | None = None
    weekday: bool = True
    trend: bool = True
    holidays_country: str | None = "US"
    holidays_subdivision: str | None = None
    retail_events: bool = True
    ar_order: int | None = None
    interval_method: IntervalMethod = "laplace"
    n_draws: int = 200
    n_bootstrap: int = 30
    half_saturation_prior: tuple[float, float] = (0.0, 0.7)
    shape_prior: tuple[float, float] = (1.0, 0.4)
    decay_bounds: tuple[float, float] = (0.0, 0.95)
    effect_prior: EffectPriorKind = "share"
    roi_prior: tuple[float, float] | None = (0.2, 0.9)
    share_prior: tuple[float, float] = (-2.302585092994046, 1.5)  # log 0.1
    time_varying: bool = True
    tv_knot_days: int = 91
    tv_step_sd: float = 0.25
    current_windows: tuple[int, ...] = (28, 90)
    calendar_prior_sd: float = 0.3
    lift_test_weight: float = 1.0

    def __post_init__(self) -> None:
        _check_choice("attribution_model", self.attribution_model, ATTRIBUTION_MODELS)
        _check_choice("treatment_assignment", self.treatment_assignment, _ASSIGNMENTS)
        _check_choice("interval_method", self.interval_method, INTERVAL_METHODS)
        _check_choice("effect_prior", self.effect_prior, _PRIOR_KINDS)
        if self.share_prior[1] <= 0 or (self.roi_prior is not None and self.roi_prior[1] <= 0):
            raise ValueError("The effect priors' standard deviations must be positive.")
        if self.n_draws < 20 or self.tv_knot_days < 7 or self.tv_step_sd <= 0:
            raise ValueError("The `n_draws` must be >= 20, `tv_knot_days` >= 7, `tv_step_sd` > 0.")
        if not self.current_windows or min(self.current_windows) < 1:
            raise ValueError("The `current_windows` must be positive numbers of days.")
        if not 0.5 < self.confidence_level < 1.0:
            raise ValueError(f"The `confidence_level` {self.confidence_level} must be in (0.5, 1).")
        if self.cv_folds < 1 or self.n_bootstrap < 5:
            raise ValueError("The `cv_folds` must be >= 1 and `n_bootstrap` >= 5.")
        if self.max_lag is not None and self.max_lag < 1:
            raise ValueError(f"The `max_lag` {self.max_lag} must be >= 1.")
        if self.ar_order is not None and self.ar_order < 0:
            raise ValueError(f"The `ar_order` {self.ar_order} must be >= 0.")
        if self.fourier_order is not None and self.fourier_order < 0:
            raise ValueError(f"The `fourier_order` {self.fourier_order} must be >= 0.")
        low, high = self.decay_bounds
        if not 0.0 <= low < high < 1.0:
            raise ValueError(f"The `decay_bounds` {self.decay_bounds} must satisfy 0 <= low < high < 1.")
        if self.half_saturation_prior[1] <= 0 or self.shape_prior[1] <= 0 or self.shape_prior[0] <= 0:
            raise ValueError("Prior standard deviations and the shape prior mean must be positive.")
        if self.calendar_prior_sd <= 0:
            raise ValueError("The `calendar_prior_sd` must be positive.")
        if self.holidays_subdivision is not None and self.holidays_country is None:
            raise ValueError("The `holidays_subdivision` needs a `holidays_country`.")
        if self.lift_test_weight <= 0:
            raise ValueError("The `lift_test_weight` must be positive.")

    def lag_for(self, frequency: str) -> int:
        """Carryover length in periods for data of ``frequency`` (``"D"`` or ``"W"``)."""
        return self.max_lag if self.max_lag is not None else (42 if frequency == "D" else 8)

    def ar_order_for(self, frequency: str) -> int:
        """AR order of the MMM errors for data of ``frequency``."""
        return self.ar_order if self.ar_order is not None else (7 if frequency == "D" else 2)

    def fourier_for(self, frequency: str) -> int:
        """Yearly Fourier order for data of ``frequency``."""
        return self.fourier_order if self.fourier_order is not None else (10 if frequency == "D" else 3)


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"The `{name}` parameter {value!r} must be one of {sorted(allowed)}.")


class SpecOptions(TypedDict, total=False):
    """The :class:`ModelSpec` fields that ``analyze_attribution`` takes as keyword options (the rest are
    its named parameters); see :class:`ModelSpec` for each one's meaning. A test keeps the two in step."""

    cv_folds: int
    max_lag: int | None
    fourier_order: int | None
    weekday: bool
    trend: bool
    holidays_country: str | None
    holidays_subdivision: str | None
    retail_events: bool
    ar_order: int | None
    interval_method: IntervalMethod
    n_draws: int
    n_bootstrap: int
    half_saturation_prior: tuple[float, float]
    shape_prior: tuple[float, float]
    decay_bounds: tuple[float, float]
    effect_prior: EffectPriorKind
    roi_prior: tuple[float, float] | None
    share_prior: tuple[float, float]
    time_varying: bool
    tv_knot_days: int
    tv_step_sd: float
    current_windows: tuple[int, ...]
    calendar_prior_sd: float
    lift_test_weight: float
