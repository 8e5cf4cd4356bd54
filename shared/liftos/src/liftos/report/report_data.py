"""What the one-page report shows, read from the warehouse into frozen dataclasses.

Every read uses ``FINAL`` so re-read and redelivered rows count once (the data-quality section also
counts the rows before collapsing). The report describes the **latest** model version in
``effect_updates``; the platform-reported ROAS, the outcome total and the data-quality figures are
computed over that version's window (``window_start..window_end``, inclusive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from clickhouse_connect.driver.client import Client

from liftos.errors import LiftOSError

__all__ = [
    "ChannelEffectRow",
    "ChannelQuality",
    "DataQuality",
    "HistoryPoint",
    "ModelMetadata",
    "NoModelError",
    "OutcomeQuality",
    "Waterfall",
    "dead_letter_note",
    "load_data_quality",
    "load_effects",
    "load_history",
    "load_metadata",
    "load_waterfall",
]

#: Why the report cannot show dead-letter counts (they live on topics and in metrics, not in tables).
DEAD_LETTER_NOTE = (
    "Not tracked in the warehouse: dead letters go to the stages' <input topic>.dlq topics and are "
    "counted by the liftos_normalizer_dead_lettered_total and liftos_enricher_dead_lettered_total "
    "metrics (see the pipeline dashboard)."
)


class NoModelError(LiftOSError):
    """The warehouse holds no model version yet (the causal engine has not published)."""


@dataclass(frozen=True)
class ModelMetadata:
    """Identity of the model version the report describes."""

    model_version: int
    method: str
    trained_at: datetime
    window_start: date
    window_end: date
    confidence_level: float
    outcome: str
    currencies: tuple[str, ...]
    completeness: float | None = None
    latest_gate: str = ""

    @property
    def window_days(self) -> int:
        """Number of days in the model window (inclusive)."""
        return (self.window_end - self.window_start).days + 1


@dataclass(frozen=True)
class ChannelEffectRow:
    """One channel's published effect, next to what the platform reported over the same window.

    ``iroas_lower``/``iroas_upper`` are the lift interval divided by spend; ``platform_roas`` is
    ``platform_revenue / platform_spend`` from ``marketing_daily`` (NaN without spend).
    """

    channel: str
    spend: float
    revenue_lift: float
    ci_lower: float
    ci_upper: float
    p_value: float
    incremental_roas: float
    marginal_roas: float
    refresh_stability: float | None
    platform_spend: float
    platform_revenue: float
    verdict: str = ""
    verdict_reason: str = ""
    summary: str = ""
    curve_note: str = ""
    incremental_roas_90d: float | None = None
    ci_lower_90d: float | None = None
    ci_upper_90d: float | None = None
    spend_90d: float | None = None
    model_accuracy: float | None = None
    baseline_accuracy: float | None = None

    @property
    def iroas_90d_lower(self) -> float:
        """Lower end of the trailing 90-day iROAS interval (NaN when not published)."""
        return _per(self.ci_lower_90d, self.spend_90d)

    @property
    def iroas_90d_upper(self) -> float:
        """Upper end of the trailing 90-day iROAS interval (NaN when not published)."""
        return _per(self.ci_upper_90d, self.spend_90d)

    @property
    def iroas_lower(self) -> float:
        """Lower end of the iROAS interval."""
        return self.ci_lower / self.spend if self.spend else float("nan")

    @property
    def iroas_upper(self) -> float:
        """Upper end of the iROAS interval."""
        return self.ci_upper / self.spend if self.spend else float("nan")

    @property
    def platform_roas(self) -> float:
        """Platform-reported ROAS over the window."""
        return self.platform_revenue / self.platform_spend if self.platform_spend else float("nan")


def _per(value: float | None, spend: float | None) -> float:
    return value / spend if value is not None and spend else float("nan")


@dataclass(frozen=True)
class Waterfall:
    """Store revenue over the window split into the baseline and each channel's revenue lift."""

    total_revenue: float
    outcome_days: int
    lifts: tuple[tuple[str, float], ...]

    @property
    def baseline(self) -> float:
        """Revenue not attributed to any channel: total minus the channels' lifts."""
        return self.total_revenue - sum(lift for _, lift in self.lifts)


@dataclass(frozen=True)
class OutcomeQuality:
    """Rows and date coverage of a table over the model window (``store_outcomes`` as it is).

    ``rows``: physical rows; ``rows_final``: rows after ``FINAL`` collapsed rewrites, so
    ``rows - rows_final`` duplicates were collapsed. ``days_in_window``: distinct dates with data inside
    the model window; the rest of the window's days have no row.
    """

    rows: int
    rows_final: int
    days_in_window: int
    window_days: int

    @property
    def duplicates(self) -> int:
        """Rows collapsed by ``FINAL`` (re-reads, redeliveries, restatements)."""
        return self.rows - self.rows_final

    @property
    def missing_days(self) -> int:
        """Days of the model window without any row."""
        return self.window_days - self.days_in_window


@dataclass(frozen=True, kw_only=True)
class ChannelQuality(OutcomeQuality):
    """Coverage of one channel in ``marketing_daily`` (a day without rows: no active campaign, or not
    ingested), with the first and last date it has."""

    channel: str
    first_date: date
    last_date: date


@dataclass(frozen=True)
class DataQuality:
    """The data-quality summary: per-channel and outcome coverage, the dead-letter note, and rows each
    source restated (natural keys stored with more than one set of values,
    :func:`liftos.warehouse.restatements.restated_rows`; None for a store without the restatement log)."""

    channels: tuple[ChannelQuality, ...]
    outcomes: OutcomeQuality
    dead_letters: str
    restated: dict[str, int] | None = None


@dataclass(frozen=True)
class HistoryPoint:
    """One model version's estimate of one channel: whole-window iROAS with its interval, and the
    trailing-28-day iROAS with its interval (None when the version did not publish it); ``true_*``:
    the sandbox's truth for the same windows when known (None otherwise)."""

    model_version: int
    channel: str
    window_start: date
    window_end: date
    iroas: float
    iroas_lower: float
    iroas_upper: float
    iroas_28d: float | None
    iroas_28d_lower: float | None
    iroas_28d_upper: float | None
    true_iroas: float | None = None
    true_iroas_28d: float | None = None


_HISTORY_SQL = """
SELECT model_version, channel, window_start, window_end, incremental_roas, ci_lower, ci_upper, spend,
       incremental_roas_28d, ci_lower_28d, ci_upper_28d, spend_28d
FROM effect_updates FINAL
ORDER BY model_version, channel
"""


def _ratio(value: float | None, spend: float | None) -> float | None:
    return None if value is None or not spend else float(value) / float(spend)


def load_history(client: Client) -> tuple[HistoryPoint, ...]:
    """Every published version's estimate per channel, oldest first."""
    points = []
    for row in client.query(_HISTORY_SQL).result_rows:
        version, channel, start, end, iroas, low, high, spend, iroas28, low28, high28, spend28 = row
        points.append(
            HistoryPoint(
                int(version), str(channel), _as_date(start), _as_date(end), float(iroas),
                _ratio(low, spend) or 0.0, _ratio(high, spend) or 0.0,
                None if iroas28 is None else float(iroas28), _ratio(low28, spend28), _ratio(high28, spend28),
            )
        )  # fmt: skip
    return tuple(points)


def dead_letter_note() -> str:
    """What the report says about dead letters."""
    return DEAD_LETTER_NOTE


_LATEST_SQL = """
SELECT model_version, method, trained_at, window_start, window_end, confidence_level, outcome, completeness
FROM effect_updates FINAL
WHERE model_version = (SELECT max(model_version) FROM effect_updates FINAL)
ORDER BY trained_at DESC
LIMIT 1
"""

_GATE_SQL = """
SELECT status, checked_at, completeness, reasons FROM model_status FINAL ORDER BY checked_at DESC LIMIT 1
"""

_EFFECTS_SQL = """
SELECT e.channel, e.spend, e.revenue_lift, e.ci_lower, e.ci_upper, e.p_value, e.incremental_roas,
       e.marginal_roas, e.refresh_stability, ifNull(p.spend, 0), ifNull(p.revenue, 0),
       e.verdict, e.verdict_reason, e.summary, e.curve_note, e.incremental_roas_90d, e.ci_lower_90d,
       e.ci_upper_90d, e.spend_90d, e.model_accuracy, e.baseline_accuracy
FROM (SELECT * FROM effect_updates FINAL WHERE model_version = {version:Int64}) AS e
LEFT JOIN (
    SELECT channel, sum(spend) AS spend, sum(revenue) AS revenue
    FROM marketing_daily FINAL
    WHERE date BETWEEN {start:Date32} AND {end:Date32}
    GROUP BY channel
) AS p ON p.channel = e.channel
ORDER BY e.channel
"""

_OUTCOME_TOTAL_SQL = """
SELECT sum(revenue), count() FROM store_outcomes FINAL WHERE date BETWEEN {start:Date32} AND {end:Date32}
"""

_CHANNEL_ROWS_SQL = """
SELECT channel, count(), min(date), max(date), uniqExactIf(date, date BETWEEN {start:Date32} AND {end:Date32})
FROM marketing_daily {final}
GROUP BY channel
ORDER BY channel
"""

_OUTCOME_ROWS_SQL = """
SELECT count(), uniqExactIf(date, date BETWEEN {start:Date32} AND {end:Date32})
FROM store_outcomes {final}
"""


def _window(meta: ModelMetadata) -> dict[str, Any]:
    return {"start": meta.window_start, "end": meta.window_end}


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def load_metadata(client: Client) -> ModelMetadata:
    """Metadata of the latest model version.

    Raises:
        NoModelError: ``effect_updates`` is empty.
    """
    rows = client.query(_LATEST_SQL).result_rows
    if not rows:
        raise NoModelError(
            "the warehouse holds no model version yet (effect_updates is empty)",
            fix="run the causal engine first (liftos up, or liftos demo) and wait for its first fit",
        )
    version, method, trained_at, start, end, level, outcome, completeness = rows[0]
    currencies = client.query("SELECT DISTINCT currency FROM marketing_daily ORDER BY currency").result_rows
    gate = client.query(_GATE_SQL).result_rows
    return ModelMetadata(
        model_version=int(version),
        method=str(method),
        trained_at=_aware(trained_at),
        window_start=_as_date(start),
        window_end=_as_date(end),
        confidence_level=float(level),
        outcome=str(outcome),
        currencies=tuple(str(row[0]) for row in currencies),
        completeness=None if completeness is None else float(completeness),
        latest_gate=_gate_line(gate[0]) if gate else "",
    )


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


def _gate_line(row: Sequence[Any]) -> str:
    status, checked_at, score, reasons = row
    line = f"{status} at {_aware(checked_at):%Y-%m-%d %H:%M} UTC, {float(score):.1%} complete"
    return f"{line}: {reasons}" if reasons else line


def _effect_row(row: Sequence[Any]) -> ChannelEffectRow:
    channel, spend, lift, low, high, p_value, iroas, mroas, stability, p_spend, p_revenue = row[:11]
    verdict, reason, summary, note, iroas_90d, low_90d, high_90d, spend_90d, accuracy, baseline = row[11:]
    return ChannelEffectRow(
        channel=str(channel),
        spend=float(spend),
        revenue_lift=float(lift),
        ci_lower=float(low),
        ci_upper=float(high),
        p_value=float(p_value),
        incremental_roas=float(iroas),
        marginal_roas=float(mroas),
        refresh_stability=None if stability is None else float(stability),
        platform_spend=float(p_spend or 0.0),
        platform_revenue=float(p_revenue or 0.0),
        verdict=str(verdict or ""),
        verdict_reason=str(reason or ""),
        summary=str(summary or ""),
        curve_note=str(note or ""),
        incremental_roas_90d=_optional(iroas_90d),
        ci_lower_90d=_optional(low_90d),
        ci_upper_90d=_optional(high_90d),
        spend_90d=_optional(spend_90d),
        model_accuracy=_optional(accuracy),
        baseline_accuracy=_optional(baseline),
    )


def load_effects(client: Client, meta: ModelMetadata) -> tuple[ChannelEffectRow, ...]:
    """The latest version's effect per channel with the platform-reported spend and revenue."""
    parameters = {"version": meta.model_version, **_window(meta)}
    rows = client.query(_EFFECTS_SQL, parameters=parameters).result_rows
    return tuple(_effect_row(row) for row in rows)


def load_waterfall(client: Client, meta: ModelMetadata, effects: Sequence[ChannelEffectRow]) -> Waterfall:
    """Store revenue over the model window and the channels' lifts."""
    total, days = client.query(_OUTCOME_TOTAL_SQL, parameters=_window(meta)).result_rows[0]
    return Waterfall(
        total_revenue=float(total or 0.0),
        outcome_days=int(days),
        lifts=tuple((e.channel, e.revenue_lift) for e in effects),
    )


def _channel_counts(client: Client, meta: ModelMetadata, final: bool) -> dict[str, Sequence[Any]]:
    sql = _CHANNEL_ROWS_SQL.replace("{final}", "FINAL" if final else "")
    return {str(row[0]): row for row in client.query(sql, parameters=_window(meta)).result_rows}


def _outcome_quality(client: Client, meta: ModelMetadata) -> OutcomeQuality:
    raw = client.query(_OUTCOME_ROWS_SQL.replace("{final}", ""), parameters=_window(meta)).result_rows[0]
    final = client.query(_OUTCOME_ROWS_SQL.replace("{final}", "FINAL"), parameters=_window(meta)).result_rows
    return OutcomeQuality(int(raw[0]), int(final[0][0]), int(final[0][1]), meta.window_days)


def load_data_quality(client: Client, meta: ModelMetadata) -> DataQuality:
    """Row counts, duplicates collapsed and date coverage per channel and for the store outcome."""
    raw, final = _channel_counts(client, meta, False), _channel_counts(client, meta, True)
    channels = tuple(
        ChannelQuality(
            channel=name,
            rows=int(raw[name][1]),
            rows_final=int(row[1]),
            first_date=_as_date(row[2]),
            last_date=_as_date(row[3]),
            days_in_window=int(row[4]),
            window_days=meta.window_days,
        )
        for name, row in final.items()
    )
    return DataQuality(channels, _outcome_quality(client, meta), dead_letter_note(), _restated(client))


def _restated(client: Client) -> dict[str, int] | None:
    from clickhouse_connect.driver.exceptions import DatabaseError

    from liftos.warehouse.restatements import restated_rows

    try:
        return restated_rows(client)
    except DatabaseError:  # a store created before the restatement log
        return None
