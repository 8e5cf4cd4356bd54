"""Input data: turn a long (enriched, one row per entity and day with a ``channel`` column) or wide
(one spend column per channel) table into a regular daily or weekly panel, :class:`CausalDataset`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["CausalDataset", "Frequency", "prepare_causal_data"]

FloatArray = NDArray[np.float64]
Frequency = Literal["D", "W"]
_PREFERRED_OUTCOMES = ("revenue", "orders", "conversions")
_MONEY_OUTCOMES = frozenset({"revenue"})  # outcome columns that the outcome table's `currency` is the unit of


@dataclass(frozen=True, eq=False)
class CausalDataset:
    """A regular time panel ready for modelling.

    Attributes:
        dates: period starts, ``(T,)`` (consecutive days, or weeks 7 days apart).
        frequency: ``"D"`` or ``"W"``.
        spend: treatment per period, ``(T, C)`` (money in the reporting currency for spend).
        channels: treatment names ``(C,)`` (channel names for long data, column names for wide data).
        outcome: business outcome per period, ``(T,)`` (e.g. store revenue).
        outcome_name: name of the outcome column.
        controls: user control columns per period, ``(T, K)`` (numeric; categoricals one-hot encoded).
        metadata: how the panel was built (source format, entity counts, ignored columns).
        outcome_currency: ISO currency of the outcome when it is money (e.g. ``"USD"`` for revenue),
            ``None`` when it is not money or not known (orders, conversions, an unnamed ``y``).
        spend_currency: ISO currency of the spend, ``None`` when not known (impressions, scaled spend).
    """

    dates: pd.DatetimeIndex
    frequency: Frequency
    spend: FloatArray
    channels: tuple[str, ...]
    outcome: FloatArray
    outcome_name: str
    controls: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    outcome_currency: str | None = None
    spend_currency: str | None = None

    def __post_init__(self) -> None:
        t = len(self.dates)
        if (
            self.spend.shape != (t, len(self.channels))
            or self.outcome.shape != (t,)
            or len(self.controls) != t
        ):
            raise ValueError("dates, spend, outcome and controls must have matching lengths")
        if t < 8:
            raise ValueError(f"need at least 8 periods, got {t}")
        if not np.all(np.isfinite(self.outcome)) or not np.all(np.isfinite(self.spend)):
            raise ValueError("outcome and spend must be finite")
        if np.any(self.spend < 0):
            raise ValueError("spend must be non-negative")

    @property
    def outcome_is_money_in_spend_currency(self) -> bool:
        """Whether an iROAS prior is meaningful: outcome and spend are money in one known currency."""
        return self.outcome_currency is not None and self.outcome_currency == self.spend_currency

    @property
    def n_periods(self) -> int:
        """Number of periods ``T``."""
        return len(self.dates)

    def to_frame(self) -> pd.DataFrame:
        """The panel as a wide frame: ``date``, one column per channel, the outcome, the controls."""
        frame = pd.DataFrame(self.spend, columns=list(self.channels))
        frame.insert(0, "date", self.dates)
        frame[self.outcome_name] = self.outcome
        return pd.concat([frame, self.controls.reset_index(drop=True)], axis=1)

    def slice(self, stop: int) -> CausalDataset:
        """The first ``stop`` periods (used for refreshes and rolling-origin validation)."""
        return CausalDataset(
            self.dates[:stop],
            self.frequency,
            self.spend[:stop],
            self.channels,
            self.outcome[:stop],
            self.outcome_name,
            self.controls.iloc[:stop].reset_index(drop=True),
            dict(self.metadata),
            self.outcome_currency,
            self.spend_currency,
        )


def _pick_outcome(outcome_variables: Sequence[str], columns: Sequence[str]) -> str:
    present = [o for o in outcome_variables if o in columns]
    if not present:
        raise ValueError(f"none of the outcome variables {list(outcome_variables)} is a column")
    for name in _PREFERRED_OUTCOMES:
        if name in present:
            return name
    return present[0]


def _infer_frequency(dates: pd.DatetimeIndex) -> Frequency:
    if len(dates) < 2:
        return "D"
    step = float(np.median(np.diff(dates.to_numpy()).astype("timedelta64[D]").astype(np.float64)))
    return "W" if step >= 6.0 else "D"


def _encode_controls(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric controls as float; booleans as 0/1; text/categorical one-hot (first level dropped)."""
    numeric, text = [], []
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            numeric.append(col)
        else:
            text.append(col)
    out = frame[numeric].astype(np.float64)
    if text:
        dummies = pd.get_dummies(frame[text].astype(str), drop_first=True, dtype=np.float64)
        out = pd.concat([out, dummies], axis=1)
    return out.fillna(0.0)


def _regular_index(dates: pd.Series, frequency: Frequency) -> pd.DatetimeIndex:
    start, end = dates.min(), dates.max()
    return pd.date_range(start, end, freq="D" if frequency == "D" else "7D")


def _to_period(dates: pd.Series, start: pd.Timestamp, frequency: Frequency) -> pd.Series:
    if frequency == "D":
        return pd.Series(dates.dt.normalize())
    weeks = (dates.dt.normalize() - start).dt.days // 7
    return pd.Series(start + pd.to_timedelta(weeks * 7, unit="D"))


def _per_date_outcome(data: pd.DataFrame, time: str, outcome: str) -> pd.Series:
    grouped = data.groupby(time)[outcome]
    if (grouped.nunique() > 1).any():
        raise ValueError(
            f"outcome {outcome!r} varies within a date in long data (platform-reported values?); "
            "pass the business outcome per date as `outcome_data`"
        )
    return pd.Series(grouped.first().astype(np.float64))


def _daily_outcome(source: pd.DataFrame, time: str, outcome: str, constant_per_date: bool) -> pd.Series:
    """Outcome per original date: the (constant) value of long rows, else the sum of the rows."""
    if constant_per_date:
        return _per_date_outcome(source, time, outcome)
    return pd.Series(source.groupby(time)[outcome].sum().astype(np.float64))


def _controls(frame: pd.DataFrame, time: str, controls: list[str], index: pd.DatetimeIndex) -> pd.DataFrame:
    if not controls:
        return pd.DataFrame(index=range(len(index)))
    encoded = _encode_controls(frame[controls].reset_index(drop=True))
    encoded[time] = frame[time].to_numpy()
    ctrl = encoded.groupby(time).mean()
    return ctrl.reindex(index).ffill().bfill().fillna(0.0).reset_index(drop=True)


def prepare_causal_data(
    data: pd.DataFrame,
    treatment_variables: Sequence[str],
    outcome_variables: Sequence[str],
    control_variables: Sequence[str] | None = None,
    time_variable: str = "date",
    entity_variable: str | None = None,
    *,
    channel_variable: str = "channel",
    outcome_data: pd.DataFrame | None = None,
    frequency: Frequency | None = None,
    outcome_currency: str | None = None,
    spend_currency: str | None = None,
) -> CausalDataset:
    """Build a :class:`CausalDataset` from a long or a wide table.

    Long format (``channel_variable`` is a column): the first treatment variable (``"spend"`` when
    listed) is summed per period and channel, giving one treatment per channel; the outcome is the
    business outcome per date, taken from ``outcome_data`` (columns ``time_variable`` + outcome) or
    from a column of ``data`` that is constant within a date. Wide format: one treatment column per
    channel, keyed by its name; rows of the same date are summed. ``outcome_variables``: the first of
    revenue / orders / conversions present, else the first present. ``control_variables``: averaged per
    period. ``entity_variable`` (e.g. ``"campaign"``) only counts entities per channel (metadata).
    ``frequency``: ``"D"`` or ``"W"`` (weekly sums, weeks starting at the first date); inferred when None.
    Missing periods get zero spend; a missing outcome raises ``ValueError``.

    Units (they decide which effect prior applies, never the magnitudes): ``outcome_currency`` /
    ``spend_currency`` declare that the outcome / spend are money in that ISO currency. When not given
    they are read from the data where its schema says so: a long table's single-valued ``currency``
    column is the spend's currency (LiftOS's normalized rows), and an ``outcome_data`` table's
    single-valued ``currency`` column is the currency of its ``revenue`` column (LiftOS's store
    outcomes; ``orders`` there is a count). Otherwise the unit is unknown (``None``).
    """
    if time_variable not in data.columns:
        raise ValueError(f"time variable {time_variable!r} is not a column")
    frame = data.copy()
    frame[time_variable] = pd.to_datetime(frame[time_variable]).dt.normalize()
    controls = [c for c in (control_variables or []) if c in frame.columns]
    is_long = channel_variable in frame.columns
    meta: dict[str, Any] = {
        "format": "long" if is_long else "wide",
        "ignored_controls": [c for c in (control_variables or []) if c not in controls],
    }
    source = outcome_data.copy() if outcome_data is not None else frame
    source[time_variable] = pd.to_datetime(source[time_variable]).dt.normalize()
    outcome_name = _pick_outcome(outcome_variables, list(source.columns))
    per_date = _daily_outcome(source, time_variable, outcome_name, is_long and outcome_data is None)
    freq = frequency or _infer_frequency(pd.DatetimeIndex(per_date.index))
    start = min(frame[time_variable].min(), per_date.index.min())
    frame[time_variable] = _to_period(frame[time_variable], start, freq)
    outcome = per_date.groupby(_to_period(pd.Series(per_date.index), start, freq).to_numpy()).sum()
    if is_long:
        treatment = "spend" if "spend" in treatment_variables else treatment_variables[0]
        meta["ignored_treatments"] = [t for t in treatment_variables if t != treatment]
        spend = frame.pivot_table(
            index=time_variable, columns=channel_variable, values=treatment, aggfunc="sum", fill_value=0.0
        )
        if entity_variable and entity_variable in frame.columns:
            meta["entities"] = (
                frame.groupby(channel_variable)[entity_variable].nunique().astype(int).to_dict()
            )
    else:
        missing = [t for t in treatment_variables if t not in frame.columns]
        if missing:
            raise ValueError(f"treatment columns {missing} are missing")
        spend = frame.groupby(time_variable)[list(treatment_variables)].sum()
    index = _regular_index(pd.Series(spend.index.append(outcome.index)), freq)
    spend = spend.astype(np.float64).reindex(index, fill_value=0.0)
    outcome = outcome.reindex(index)
    if outcome.isna().any():
        raise ValueError(f"outcome {outcome_name!r} is missing for {int(outcome.isna().sum())} periods")
    if spend_currency is None and is_long:
        spend_currency = _single_currency(frame)
    if outcome_currency is None and outcome_data is not None and outcome_name in _MONEY_OUTCOMES:
        outcome_currency = _single_currency(outcome_data)
    meta["units"] = {"outcome": outcome_currency or "unknown", "spend": spend_currency or "unknown"}
    return CausalDataset(
        dates=pd.DatetimeIndex(index),
        frequency=freq,
        spend=spend.to_numpy(dtype=np.float64),
        channels=tuple(str(c) for c in spend.columns),
        outcome=outcome.to_numpy(dtype=np.float64),
        outcome_name=outcome_name,
        controls=_controls(frame, time_variable, controls, index),
        metadata=meta,
        outcome_currency=outcome_currency,
        spend_currency=spend_currency,
    )


def _single_currency(frame: pd.DataFrame) -> str | None:
    """The one value of ``frame``'s ``currency`` column, or None (absent, empty or mixed)."""
    if "currency" not in frame.columns:
        return None
    values = frame["currency"].dropna().astype(str).unique()
    return str(values[0]) if len(values) == 1 else None
