"""The event models: the one schema of LiftOS.

Every stage exchanges these pydantic models. Kafka topic specs (:mod:`liftos.topics`) and the
ClickHouse DDL (:mod:`liftos.warehouse.ddl`) are derived from them, never written a second time.

Rows that land in the warehouse carry a natural key (``NATURAL_KEY``) and a ``version`` (milliseconds
since the Unix epoch at which the data was fetched from its source). Tables are
``ReplacingMergeTree(version)`` ordered by the natural key, so re-reading the same day from an API
(lookback windows, restatements, redelivered messages) rewrites the row instead of adding one.

Money is in the reporting currency unless a field says otherwise; dates are the account's local dates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import date, datetime
from operator import itemgetter
from typing import Annotated, Any, ClassVar, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "SCHEMA_VERSION",
    "ClickHouseType",
    "EffectUpdate",
    "EnrichedRow",
    "Event",
    "IngestionCoverage",
    "LiftTestRecord",
    "ModelStatus",
    "NormalizedRow",
    "RawEvent",
    "Recommendation",
    "RequestSlice",
    "StoreOutcomeRow",
    "TableSpec",
    "idempotency_key",
    "version_of",
]

#: Version of the event schemas; bumped (with a new topic suffix) on incompatible change.
SCHEMA_VERSION = 1

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class ClickHouseType:
    """Annotation metadata that overrides the ClickHouse column type derived for a field."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"ClickHouseType({self.type_name!r})"


LowCard = Annotated[str, ClickHouseType("LowCardinality(String)")]
Small = Annotated[int, ClickHouseType("UInt8")]


class TableSpec(BaseModel):
    """Where and how a model's rows are stored in the warehouse.

    Attributes:
        name: Table name.
        partition_by: ClickHouse ``PARTITION BY`` expression, or ``None``.
        version_column: Column whose highest value wins among rows with the same natural key.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    partition_by: str | None = None
    version_column: str = "version"


class Event(BaseModel):
    """Base of all event models: immutable, strict about unknown fields.

    Class attributes:
        NATURAL_KEY: Fields identifying one logical record; the Kafka key and the table's sort key.
        TABLE: Warehouse table of this model, or ``None`` if it only lives on a topic.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")

    NATURAL_KEY: ClassVar[tuple[str, ...]] = ()
    TABLE: ClassVar[TableSpec | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Cache, per model, what the hot paths need: field names and the natural-key template."""
        super().__pydantic_init_subclass__(**kwargs)
        names = tuple(cls.__pydantic_fields__)
        _FIELD_NAMES[cls] = (names, set(names))
        if cls.NATURAL_KEY:  # "%s|%s|…" over the key's values: str() of each, "|"-joined, in one step
            _KEY_FORMATS[cls] = ("|".join(["%s"] * len(cls.NATURAL_KEY)), itemgetter(*cls.NATURAL_KEY))

    @classmethod
    def from_validated(cls, values: Mapping[str, Any]) -> Self:
        """An instance from values that already satisfy this model, skipping validation.

        For hot paths that built every field themselves from validated inputs (the stream stages):
        what ``model_construct`` does for a complete set of fields, without its per-field bookkeeping,
        several times cheaper. ``values`` must hold every field; extra keys are ignored.
        """
        names, fields_set = _FIELD_NAMES[cls]
        row = cls.__new__(cls)
        if type(values) is dict and values.keys() == fields_set:  # exactly the fields: one C-level copy
            data = values.copy()
        else:
            data = {name: values[name] for name in names}
        object.__setattr__(row, "__dict__", data)
        # One shared set per model: frozen instances never change which fields were set.
        object.__setattr__(row, "__pydantic_fields_set__", fields_set)
        object.__setattr__(row, "__pydantic_extra__", None)
        object.__setattr__(row, "__pydantic_private__", None)
        return row

    def natural_key(self) -> str:
        """The natural key as one string (``|``-joined), used as the Kafka message key."""
        template, values = _KEY_FORMATS[type(self)]
        return template % values(self.__dict__)  # type: ignore[no-any-return]


#: Per model: its field names in declaration order, and the same as a set (see ``from_validated``).
_FIELD_NAMES: dict[type[Event], tuple[tuple[str, ...], set[str]]] = {}
#: Per model with a natural key: its ``%``-template and the getter of its values from ``__dict__``
#: (a tuple, or the one value of a one-field key; key fields are scalars).
_KEY_FORMATS: dict[type[Event], tuple[str, Callable[[dict[str, Any]], Any]]] = {}


def version_of(moment: datetime) -> int:
    """Row version for data fetched at ``moment``: milliseconds since the Unix epoch (UTC).

    A naive ``moment`` is read as local time (as :meth:`datetime.timestamp` does).
    """
    return int(moment.timestamp() * 1000)


def idempotency_key(*parts: object) -> str:
    """A stable 32-hex-digit key for one logical record, from its identifying parts."""
    joined = "\x1f".join(str(part) for part in parts)
    return hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()


class RequestSlice(BaseModel):
    """The API request a raw record came from: its date range (inclusive) and extra parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date
    end: date
    params: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"slice end {self.end} is before its start {self.start}")
        return self


class RawEvent(Event):
    """One record exactly as a source API returned it, wrapped in an envelope.

    Attributes:
        source: Connector name that produced the record (lower-case slug).
        account_id: Account, customer or site the record belongs to.
        stream: The connector's stream (endpoint) name.
        request_slice: The request the record came from.
        fetched_at: When the record was fetched (UTC-aware).
        schema_version: Envelope schema version.
        payload: The record, untouched (numbers may be strings, as the APIs send them).
        idempotency_key: Same value for every re-read of the same logical record.
    """

    NATURAL_KEY: ClassVar[tuple[str, ...]] = ("idempotency_key",)

    source: Slug
    account_id: NonEmpty
    stream: Slug
    request_slice: RequestSlice
    fetched_at: AwareDatetime
    schema_version: int = SCHEMA_VERSION
    payload: dict[str, Any]
    idempotency_key: Annotated[str, StringConstraints(min_length=8, max_length=128)]

    @property
    def version(self) -> int:
        """Row version derived from :attr:`fetched_at` (ms since epoch)."""
        return version_of(self.fetched_at)


class NormalizedRow(Event):
    """One day of one marketing entity (ad, ad group or email campaign/flow), in one schema.

    Measures are finite: a NaN or infinite amount is a data error, never a row.

    Amounts are in ``currency`` (the reporting currency). ``breakdown`` is a canonical
    ``name=value|name=value`` string of the breakdown dimensions, empty when the row is not broken down.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    NATURAL_KEY: ClassVar[tuple[str, ...]] = (
        "date",
        "source",
        "account_id",
        "campaign_id",
        "ad_group_id",
        "ad_id",
        "breakdown",
    )

    date: date
    channel: LowCard
    platform: LowCard
    source: LowCard
    account_id: str
    account: str = ""
    campaign_id: str
    campaign: str = ""
    ad_group_id: str = ""
    ad_group: str = ""
    ad_id: str = ""
    ad: str = ""
    breakdown: str = ""
    currency: LowCard
    source_currency: LowCard
    fx_rate: float = Field(gt=0, description="source_currency units -> currency units")
    spend: float = Field(ge=0)
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    conversions: float = Field(ge=0)
    revenue: float = Field(ge=0, description="platform-reported conversion value")
    extras: dict[str, float] = Field(default_factory=dict)
    event_id: str
    version: int = Field(ge=0, description="ms since epoch when the source data was fetched")


class StoreOutcomeRow(Event):
    """The business's own daily outcome (orders and revenue), the target of the causal model (finite)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    NATURAL_KEY: ClassVar[tuple[str, ...]] = ("date", "source", "account_id")
    TABLE: ClassVar[TableSpec | None] = TableSpec(name="store_outcomes", partition_by="toYear(date)")

    date: date
    source: LowCard
    account_id: str
    orders: int = Field(ge=0)
    revenue: float = Field(ge=0)
    currency: LowCard
    event_id: str
    version: int = Field(ge=0)


class EnrichedRow(NormalizedRow):
    """A normalized row joined with the calendar features of its date (day-of-week is 0 = Monday)."""

    # Partitioned by year, not month: one insert batch of the stream spans many days (a backfill, a
    # 28-day lookback re-read) and ClickHouse writes one part per partition touched, so monthly
    # partitions made ~12 small parts per insert, and merging them cost more CPU than inserting
    # (bench/pipeline_throughput.py: 21k -> 27-29k rows/s end to end with yearly partitions). Queries
    # still prune by date through the sort key, whose first column is `date`.
    TABLE: ClassVar[TableSpec | None] = TableSpec(name="marketing_daily", partition_by="toYear(date)")

    country: LowCard
    day_of_week: Small = Field(ge=0, le=6)
    week_of_year: Small = Field(ge=1, le=53)
    month: Small = Field(ge=1, le=12)
    quarter: Small = Field(ge=1, le=4)
    year: Annotated[int, ClickHouseType("UInt16")]
    is_weekend: bool
    is_holiday: bool
    holiday_name: str = ""
    is_month_end: bool
    is_quarter_end: bool


class EffectUpdate(Event):
    """One model version's estimate of one channel's incremental effect on the outcome.

    Attributes:
        model_version: Monotonic version of the fitted model (one per retrain).
        trained_at: When the model finished fitting (UTC).
        window_start: First date of the data window the effect refers to.
        window_end: Last date (inclusive).
        channel: Marketing channel the effect belongs to.
        outcome: Outcome variable (``revenue``).
        spend: Channel spend over the window (reporting currency).
        revenue_lift: Incremental outcome caused by the channel over the window.
        ci_lower: Lower bound of the interval on ``revenue_lift``.
        ci_upper: Upper bound of the interval on ``revenue_lift``.
        confidence_level: Nominal coverage of the interval (e.g. 0.95).
        p_value: Two-sided p-value of "no effect".
        incremental_roas: ``revenue_lift / spend``.
        marginal_roas: Outcome gained per extra unit of spend at the current level.
        method: Estimator that produced the update.
        refresh_stability: Relative change of ``incremental_roas`` against the previous version
            (``None`` for the first version).

    Evidence fields (revision 2 of this payload; additive, so revision-1 consumers keep working —
    they are optional with defaults and a revision-1 producer simply leaves them unset):

    Attributes:
        verdict: ``identified``, ``weak`` or ``not_identified`` (how far the data pin the effect down;
            see ``liftos.causal.verdicts``); empty from a producer that does not judge.
        verdict_reason: Why, in words (prior contraction, spend variation, collinearity, too few
            periods, out-of-sample fit, spend feedback).
        summary: One plain-language sentence for people (estimate, interval, verdict).
        prior_contraction: ``1 - posterior / prior variance`` of the log lift (``None``: no prior).
        effect_prior: The prior the effect size had, e.g. ``roi lognormal(0.2, 0.9)``.
        mroas_ci_lower: Lower bound of the interval on ``marginal_roas``.
        mroas_ci_upper: Upper bound of the interval on ``marginal_roas``.
        curve_note: Set when ``marginal_roas`` > ``incremental_roas`` (S-shaped curve below spend).
        model_accuracy: Out-of-sample accuracy ``1 - MAPE`` of rolling-origin forecasts, in [0, 1].
        baseline_accuracy: The same for the seasonal-naive forecast of the same periods.
        data_completeness: Share (0-1) of the expected source-days present in the window the model
            was fitted on, per source or account key; empty = not measured (unknown).
        calendar: The calendar controls the model used: the public holidays' region (``US``, ``DE-BY``:
            the enricher's ``LIFTOS_COUNTRY`` / ``LIFTOS_SUBDIVISION``), retail events, seasonality.
        spend_28d: Spend in the trailing 28 days of the window (reporting currency).
        revenue_lift_28d: Incremental outcome of that spend (carryover after the window included),
            from the model whose channel effects may change over time; ``ci_lower_28d`` /
            ``ci_upper_28d`` its interval and ``incremental_roas_28d`` = lift / spend.
        spend_90d: The same for the trailing 90 days (``revenue_lift_90d``, ``ci_lower_90d``,
            ``ci_upper_90d``, ``incremental_roas_90d``).
        completeness: The data completeness the version was fitted on: the lowest share of expected
            days present over every source account (:mod:`liftos.pipeline.completeness`); None when
            not measured (versions from before the gate). ``data_completeness`` has the per-account shares.

    Calibration (revision 3, additive):

        lift_tests: Ids of the recorded lift tests (``liftos.lift_tests.v1``) on this channel that
            calibrated this version (those whose window overlaps the data); empty = none.

    Trailing-window verdicts (revision 4, additive):

        verdict_28d: How sure ``incremental_roas_28d`` is (``identified``, ``weak``,
            ``not_identified``): its own interval's spread, never better than ``verdict``
            (:func:`liftos.causal.verdicts.window_verdict`); empty when not judged.
        verdict_reason_28d: Why, in words. ``verdict_90d`` / ``verdict_reason_90d``: the same for 90 days.
    """

    NATURAL_KEY: ClassVar[tuple[str, ...]] = ("channel", "model_version")
    TABLE: ClassVar[TableSpec | None] = TableSpec(
        name="effect_updates", partition_by="toYYYYMM(window_end)", version_column="trained_at"
    )

    model_version: int = Field(ge=1)
    trained_at: AwareDatetime
    window_start: date
    window_end: date
    channel: LowCard
    outcome: LowCard = "revenue"
    spend: float = Field(ge=0)
    revenue_lift: float
    ci_lower: float
    ci_upper: float
    confidence_level: float = Field(gt=0, lt=1)
    p_value: float = Field(ge=0, le=1)
    incremental_roas: float
    marginal_roas: float
    method: LowCard
    refresh_stability: float | None = None
    schema_version: int = SCHEMA_VERSION
    verdict: LowCard = ""
    verdict_reason: str = ""
    summary: str = ""
    prior_contraction: float | None = None
    effect_prior: LowCard = ""
    mroas_ci_lower: float | None = None
    mroas_ci_upper: float | None = None
    curve_note: str = ""
    model_accuracy: float | None = Field(default=None, ge=0, le=1)
    baseline_accuracy: float | None = Field(default=None, ge=0, le=1)
    data_completeness: dict[str, float] = Field(default_factory=dict)
    calendar: str = ""
    spend_28d: float | None = None
    revenue_lift_28d: float | None = None
    ci_lower_28d: float | None = None
    ci_upper_28d: float | None = None
    incremental_roas_28d: float | None = None
    spend_90d: float | None = None
    revenue_lift_90d: float | None = None
    ci_lower_90d: float | None = None
    ci_upper_90d: float | None = None
    incremental_roas_90d: float | None = None
    completeness: float | None = Field(default=None, ge=0, le=1)
    lift_tests: list[str] = Field(default_factory=list)
    verdict_28d: LowCard = ""
    verdict_reason_28d: str = ""
    verdict_90d: LowCard = ""
    verdict_reason_90d: str = ""


class IngestionCoverage(Event):
    """One slice a source delivered completely: every record of ``account_id`` / ``stream`` from
    ``start`` to ``end`` (inclusive) was published, zero records included. The completeness gate counts
    these days as present, so a day without activity is told apart from a day never read.

    Attributes:
        source: Source name.
        account_id: Account the slice belongs to.
        stream: The source's stream.
        start: First day of the slice.
        end: Last day (inclusive).
        records: Records published for the slice.
        fetched_at: When the slice was read (UTC).
    """

    NATURAL_KEY: ClassVar[tuple[str, ...]] = ("source", "account_id", "stream", "start")
    TABLE: ClassVar[TableSpec | None] = TableSpec(
        name="ingestion_coverage", partition_by="toYear(start)", version_column="fetched_at"
    )

    source: LowCard
    account_id: str
    stream: LowCard
    start: date
    end: date
    records: int = Field(ge=0)
    fetched_at: AwareDatetime
    schema_version: int = SCHEMA_VERSION


class ModelStatus(Event):
    """The causal engine's verdict before a refit: a version was ``published``, or the refit was ``held``
    because the data was not complete enough (``reasons`` says what is missing).

    Attributes:
        checked_at: When the gate ran (UTC).
        status: ``published`` or ``held``.
        model_version: The version published (held: the latest published one, 0 when none).
        window_start: First day of the data window.
        window_end: Last day (inclusive).
        completeness: Lowest share of expected days present over every source account.
        dead_letters: Dead letters in the window.
        reasons: What is missing, ``"; "``-joined (empty when published).
        inputs_fingerprint: ``published``: SHA-256 (hex) of what the version was fitted on (the panel's
            values, the lift tests, the outcome and spend currencies), so that a restarted engine does
            not publish a new version of unchanged inputs; empty when held.
    """

    NATURAL_KEY: ClassVar[tuple[str, ...]] = ("checked_at",)
    TABLE: ClassVar[TableSpec | None] = TableSpec(
        name="model_status", partition_by="toYYYYMM(checked_at)", version_column="checked_at"
    )

    checked_at: AwareDatetime
    status: LowCard
    model_version: int = Field(ge=0)
    window_start: date
    window_end: date
    completeness: float = Field(ge=0, le=1)
    dead_letters: int = Field(ge=0)
    reasons: str = ""
    inputs_fingerprint: str = ""
    schema_version: int = SCHEMA_VERSION


class LiftTestRecord(Event):
    """One recorded lift test (an experiment's result), which calibrates every later model version.

    Attributes:
        test_id: Identifies the test; by default derived from channel, window and spend scale, so
            recording the same test again (e.g. with corrected numbers) replaces it.
        channel: Channel whose spend the test changed.
        start: First day of the test window.
        end: Last day (inclusive).
        incremental_revenue: Outcome lost by the change, counted over the window and the carryover
            after it (outcome units, e.g. the reporting currency).
        standard_error: Standard error of ``incremental_revenue`` (> 0).
        spend_scale: Share of the channel's spend kept during the window (0 = went dark).
        outcome: Outcome the lift is measured in (``revenue``).
        source: Who recorded it (``cli``, ``csv:<file name>``, …).
        note: Free text (test design, market, vendor).
        recorded_at: When it was recorded (UTC).
        version: ms since epoch of ``recorded_at`` (the newest record of a ``test_id`` wins).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    NATURAL_KEY: ClassVar[tuple[str, ...]] = ("test_id",)
    TABLE: ClassVar[TableSpec | None] = TableSpec(name="lift_tests")

    test_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    channel: LowCard
    start: date
    end: date
    incremental_revenue: float
    standard_error: float = Field(gt=0)
    spend_scale: float = Field(default=0.0, ge=0)
    outcome: LowCard = "revenue"
    source: str = "cli"
    note: str = ""
    recorded_at: AwareDatetime
    version: int = Field(ge=0)
    schema_version: int = SCHEMA_VERSION

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"lift test {self.test_id}: end {self.end} is before start {self.start}")
        if self.spend_scale == 1:
            raise ValueError(f"lift test {self.test_id}: spend_scale 1 changes nothing")
        return self

    @staticmethod
    def default_id(channel: str, start: date, end: date, spend_scale: float) -> str:
        """The id of a test recorded without one: a hash of channel, window and spend scale."""
        return idempotency_key("lift_test", channel, start, end, f"{spend_scale:.6g}")


class Recommendation(Event):
    """One line of a model version's recommendations: a channel's share of the budget plan
    (``kind="budget_plan"``) or a channel's lift-test design (``kind="experiment"``).

    Money is in the reporting currency, over the plan's horizon; outcomes in the outcome's unit.

    Attributes:
        model_version: The model version the recommendation comes from.
        generated_at: When it was computed (UTC).
        kind: ``budget_plan`` or ``experiment``.
        channel: The channel.
        rank: Experiments: 1 = most plan risk removed per unit of spend withheld; plan rows: 0.
        horizon_start: First day of the plan's horizon (the day after the data).
        horizon_end: Last day of the horizon (inclusive).
        confidence_level: Coverage of the intervals.
        summary: One plain sentence (the plan's or the test's).

    Budget-plan rows (``None`` on experiment rows):

    Attributes:
        spend: Recommended spend over the horizon.
        current_spend: The current allocation (recent spend mix scaled to the budget).
        min_spend: Least spend the constraints allow.
        max_spend: Most spend the constraints allow.
        limit_rule: Which rules set the limits (``bounds``, ``max change 30 % …``, ``fixed …``).
        expected_outcome: Expected incremental outcome of the recommended spend (carryover included);
            ``outcome_lower`` / ``outcome_upper`` its interval.
        marginal_return: Expected outcome of the last unit of recommended spend.
        total_budget: The plan's budget; ``objective`` (``revenue`` / ``profit``) and ``risk`` (the
            lower quantile maximised, ``None`` = the expectation).
        plan_outcome: The whole plan's expected incremental outcome (``plan_outcome_lower`` /
            ``plan_outcome_upper``); ``current_outcome`` (``current_outcome_lower`` /
            ``current_outcome_upper``) of the current allocation; ``plan_gain`` (``plan_gain_lower``
            / ``plan_gain_upper``) the plan minus the current allocation; ``probability_of_gain``.

    Experiment rows (``None`` on plan rows):

    Attributes:
        test_kind: ``go_dark`` or ``spend_change``; ``test_days`` long, keeping ``spend_scale`` of
            the spend; ``spend_forgone``: spend withheld.
        expected_lift: Outcome the test should measure; ``predicted_se`` its measurement SE.
        iroas: Current iROAS with ``iroas_lower`` / ``iroas_upper``; ``predicted_lower`` /
            ``predicted_upper``: the interval expected after calibrating with the test;
            ``target_relative_width`` and ``reaches_target``.
        risk_reduction: Expected drop of the plan's risk (posterior SD of its gain);
            ``value_per_spend`` = risk reduction / spend withheld (the ranking).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")
    NATURAL_KEY: ClassVar[tuple[str, ...]] = ("model_version", "kind", "channel")
    TABLE: ClassVar[TableSpec | None] = TableSpec(
        name="recommendations", partition_by="toYYYYMM(horizon_start)", version_column="generated_at"
    )

    model_version: int = Field(ge=1)
    generated_at: AwareDatetime
    kind: Annotated[
        str, ClickHouseType("LowCardinality(String)"), StringConstraints(pattern="^(budget_plan|experiment)$")
    ]
    channel: LowCard
    rank: int = Field(default=0, ge=0)
    horizon_start: date
    horizon_end: date
    confidence_level: float = Field(gt=0, lt=1)
    summary: str = ""
    spend: float | None = None
    current_spend: float | None = None
    min_spend: float | None = None
    max_spend: float | None = None
    limit_rule: str = ""
    expected_outcome: float | None = None
    outcome_lower: float | None = None
    outcome_upper: float | None = None
    marginal_return: float | None = None
    total_budget: float | None = None
    objective: LowCard = ""
    risk: float | None = None
    plan_outcome: float | None = None
    plan_outcome_lower: float | None = None
    plan_outcome_upper: float | None = None
    current_outcome: float | None = None
    current_outcome_lower: float | None = None
    current_outcome_upper: float | None = None
    plan_gain: float | None = None
    plan_gain_lower: float | None = None
    plan_gain_upper: float | None = None
    probability_of_gain: float | None = None
    test_kind: LowCard = ""
    test_days: int | None = None
    spend_scale: float | None = None
    spend_forgone: float | None = None
    expected_lift: float | None = None
    predicted_se: float | None = None
    iroas: float | None = None
    iroas_lower: float | None = None
    iroas_upper: float | None = None
    predicted_lower: float | None = None
    predicted_upper: float | None = None
    target_relative_width: float | None = None
    reaches_target: bool | None = None
    risk_reduction: float | None = None
    value_per_spend: float | None = None
    schema_version: int = SCHEMA_VERSION
