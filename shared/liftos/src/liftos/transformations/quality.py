"""Data-quality checks of a unified marketing frame.

Rules per column (``validation_rules={"spend": {"min": 0, "data_type": "numeric"}, ...}``):

- ``min`` / ``max``: numeric bounds (inclusive); ``range``: ``(low, high)`` inclusive, numbers or ISO
  dates (for date columns);
- ``data_type``: ``numeric`` | ``integer`` | ``string`` | ``date``;
- ``format``: ``YYYY-MM-DD`` (a date or a string of exactly that shape);
- ``allowed``: a collection of permitted values.

Always checked when the columns exist: natural-key uniqueness (``unique_key``: date, channel,
account_id, campaign_id, ad_group_id, ad_id, breakdown) and the cross-field rules of
:func:`default_cross_field_rules`: clicks ≤ impressions on every row, plus the rules each source
declares for its own rows (e.g. conversions ≤ clicks where a platform counts click-through
conversions only).

Scores: ``completeness_score`` = share of non-missing cells over the required fields;
``accuracy_score`` = share of rows that break no rule (missing required values excluded).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from liftos.transformations.source_registry import source_definitions

__all__ = [
    "NATURAL_KEY",
    "UNIVERSAL_RULES",
    "CrossFieldRule",
    "QualityIssue",
    "QualityReport",
    "default_cross_field_rules",
    "validate_frame",
]

#: The unified frame's natural key (one row per entity, day and breakdown).
NATURAL_KEY = ("date", "channel", "account_id", "campaign_id", "ad_group_id", "ad_id", "breakdown")
_MAX_KEYS = 20
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class CrossFieldRule:
    """``left <= right`` on rows of ``channels`` (None: every row)."""

    left: str
    right: str
    channels: Collection[str] | None = None

    @property
    def name(self) -> str:
        """The rule's name in issues, e.g. ``clicks<=impressions``."""
        return f"{self.left}<={self.right}"


#: Rules of every channel: clicks come from impressions.
UNIVERSAL_RULES = (CrossFieldRule("clicks", "impressions"),)


def default_cross_field_rules() -> tuple[CrossFieldRule, ...]:
    """:data:`UNIVERSAL_RULES` plus each known source's own rules (its ``quality_rules``)."""
    definitions = {d.name: d for d in source_definitions().values()}
    return UNIVERSAL_RULES + tuple(rule for d in definitions.values() for rule in d.quality_rules)


@dataclass(frozen=True)
class QualityIssue:
    """One broken rule: its name, the column, how many rows, and the keys of the first rows."""

    rule: str
    column: str
    count: int
    row_keys: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class QualityReport:
    """Result of :func:`validate_frame` (scores in [0, 1])."""

    completeness_score: float
    accuracy_score: float
    issues: list[QualityIssue]
    rows: int

    @property
    def ok(self) -> bool:
        """No issue found."""
        return not self.issues


def _keys(data: pd.DataFrame, mask: pd.Series) -> list[tuple[Any, ...]]:
    columns = [c for c in NATURAL_KEY if c in data.columns]
    picked = data.loc[mask[mask].index[:_MAX_KEYS]]
    if not columns:
        return [(i,) for i in picked.index]
    return [tuple(str(v) for v in row) for row in picked[columns].itertuples(index=False)]


def _as_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(
        values.map(lambda v: str(v)[:10], na_action="ignore"), format="%Y-%m-%d", errors="coerce"
    )


def _bound(values: pd.Series, bound: Any) -> tuple[pd.Series, Any]:
    """Comparable values and bound: dates when the bound is a date-like string or date."""
    if isinstance(bound, str) or hasattr(bound, "isoformat"):
        return _as_dates(values), pd.Timestamp(bound)
    return pd.to_numeric(values, errors="coerce"), bound


def _type_bad(values: pd.Series, kind: str) -> pd.Series:
    present = values.notna()
    if kind in ("numeric", "integer"):
        numbers = pd.to_numeric(values, errors="coerce")
        bad = present & (numbers.isna() | ~np.isfinite(numbers.astype(float)))
        if kind == "integer":
            bad |= present & numbers.notna() & (numbers % 1 != 0)
        return bad
    if kind == "string":
        return present & ~values.map(lambda v: isinstance(v, str))
    if kind == "date":
        return present & _as_dates(values).isna()
    raise ValueError(f"unknown data_type {kind!r}")


def _rule_masks(values: pd.Series, rules: Mapping[str, Any]) -> dict[str, pd.Series]:
    """Rule name → rows (of present values) that break it."""
    present, out = values.notna(), {}
    for rule, arg in rules.items():
        if rule in ("min", "max"):
            comparable, bound = _bound(values, arg)
            out[rule] = present & ((comparable < bound) if rule == "min" else (comparable > bound))
        elif rule == "range":
            comparable, low = _bound(values, arg[0])
            high = _bound(values, arg[1])[1]
            out[rule] = present & ~comparable.between(low, high)
        elif rule == "data_type":
            out[rule] = _type_bad(values, str(arg))
        elif rule == "format":
            if arg != "YYYY-MM-DD":
                raise ValueError(f"unsupported format {arg!r} (YYYY-MM-DD)")
            out[rule] = present & ~values.map(_is_iso_day)
        elif rule == "allowed":
            out[rule] = present & ~values.isin(list(arg))
        else:
            raise ValueError(f"unknown validation rule {rule!r}")
    return out


def _is_iso_day(value: Any) -> bool:
    if isinstance(value, pd.Timestamp):
        return value == value.normalize()
    if hasattr(value, "isoformat") and not hasattr(value, "hour"):
        return True
    return (
        isinstance(value, str)
        and bool(_ISO.fullmatch(value))
        and not pd.isna(_as_dates(pd.Series([value]))[0])
    )


def _cross_field(data: pd.DataFrame, rules: Sequence[CrossFieldRule]) -> dict[tuple[str, str], pd.Series]:
    out = {}
    for rule in rules:
        if rule.left not in data.columns or rule.right not in data.columns:
            continue
        scope = (
            data["channel"].isin(list(rule.channels)) if rule.channels and "channel" in data.columns else True
        )
        left, right = (
            pd.to_numeric(data[rule.left], errors="coerce"),
            pd.to_numeric(data[rule.right], errors="coerce"),
        )
        out[(rule.name, rule.left)] = scope & (left > right)
    return out


def _duplicates(data: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    columns = [c for c in NATURAL_KEY if c in data.columns]
    if len(columns) < 2:
        return {}
    return {("unique_key", ",".join(columns)): data.duplicated(columns, keep=False)}


def validate_frame(
    data: pd.DataFrame,
    required_fields: Sequence[str],
    validation_rules: Mapping[str, Mapping[str, Any]],
    cross_field_rules: Sequence[CrossFieldRule] | None = None,
) -> QualityReport:
    """Check ``data`` (see the module docstring); never raises on bad data, only on bad rules.

    ``cross_field_rules`` defaults to :func:`default_cross_field_rules`.
    """
    if cross_field_rules is None:
        cross_field_rules = default_cross_field_rules()
    found: dict[tuple[str, str], pd.Series] = {}
    missing = [f for f in required_fields if f not in data.columns]
    cells = len(data) * len(required_fields)
    empty = sum(len(data) if f in missing else int(data[f].isna().sum()) for f in required_fields)
    for name in required_fields:
        if name not in missing:
            found[("required", name)] = data[name].isna()
    for column, rules in validation_rules.items():
        if column in data.columns:
            found.update({(rule, column): mask for rule, mask in _rule_masks(data[column], rules).items()})
    found |= _cross_field(data, cross_field_rules) | _duplicates(data)
    issues = [QualityIssue("missing_column", name, len(data)) for name in missing]
    broken = pd.Series(False, index=data.index)
    for (rule, column), mask in found.items():
        if mask.any():
            issues.append(QualityIssue(rule, column, int(mask.sum()), _keys(data, mask)))
            if rule != "required":
                broken |= mask
    completeness = 1.0 - empty / cells if cells else 1.0
    accuracy = 1.0 - float(broken.mean()) if len(data) else 1.0
    return QualityReport(completeness, accuracy, issues, len(data))
