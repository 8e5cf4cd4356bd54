"""``DataTransformer``: the notebook API over connector DataFrames (unify, validate, clean).

``unify_marketing_data`` turns each source's ``get_campaign_data`` frame into the unified columns
(:data:`~liftos.transformations.source_schemas.UNIFIED_COLUMNS`, then source extras). Per source:

1. derived columns are added (e.g. the email cost estimate),
2. each target column takes, row by row, the first non-null value among the candidate columns —
   the custom ``schema_mapping`` candidates first, then the source's default candidates — passing
   through the column's unit converter (micros → units, action arrays → canonical purchases),
3. dates become the account-local calendar date (``YYYY-MM-DD`` part), breakdown columns become one
   ``name=value|…`` string, and spend/revenue are converted to the reporting currency
   (``source_currency`` and ``fx_rate`` are kept). Rows whose currency has no rate keep
   ``fx_rate`` NaN and NaN amounts (``validate_data_quality`` reports them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from liftos.transformations.cleaning import CleaningReport, clean_frame
from liftos.transformations.context import DEFAULT_CONTEXT, MappingContext
from liftos.transformations.quality import QualityReport, validate_frame
from liftos.transformations.source_schemas import UNIFIED_COLUMNS, SourceSchema, source_schema

__all__ = ["DataTransformer"]

SchemaMapping = Mapping[str, Sequence[str]]
_TEXT = ("account_id", "account", "campaign", "campaign_id", "ad_group", "ad_group_id", "ad", "ad_id")
_NUMBERS = ("spend", "impressions", "clicks", "conversions", "revenue")


def _column(frame: pd.DataFrame, name: str, schema: SourceSchema, context: MappingContext) -> pd.Series:
    values = frame[name]
    converter = schema.converters.get(name)
    return converter(values, context) if converter is not None else values


def _coalesce(
    frame: pd.DataFrame, candidates: Sequence[str], schema: SourceSchema, context: MappingContext
) -> pd.Series:
    """Row-wise first non-null value among the ``candidates`` present in ``frame``."""
    out = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    for name in dict.fromkeys(candidates):
        if name in frame.columns:
            out = out.where(out.notna(), _column(frame, name, schema, context))
    return out


def _dates(values: pd.Series) -> pd.Series:
    """ISO dates / timestamps → ``datetime64`` midnight of their own (local) calendar date."""
    text = values.map(lambda v: None if v is None or v is pd.NaT else str(v)[:10], na_action="ignore")
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def _breakdown(frame: pd.DataFrame, schema: SourceSchema) -> pd.Series:
    present = [c for c in schema.breakdown_columns if c in frame.columns]
    if not present:
        return pd.Series("", index=frame.index, dtype=object)
    parts = [frame[c].map(lambda v, c=c: "" if pd.isna(v) else f"{c.split('.')[-1]}={v}") for c in present]
    return pd.Series(["|".join(p for p in row if p) for row in zip(*parts, strict=True)], index=frame.index)


def _platform(frame: pd.DataFrame, schema: SourceSchema, context: MappingContext) -> pd.Series:
    found = _coalesce(frame, schema.platform_columns, schema, context)
    return found.map(lambda v: str(v).lower(), na_action="ignore").fillna(
        schema.default_platform or schema.source
    )


def _with_currency(out: pd.DataFrame, context: MappingContext) -> pd.DataFrame:
    """Spend and revenue converted to the reporting currency; unknown currencies give NaN."""
    source = [
        context.currency_of(str(a), c if isinstance(c, str) else None)
        for a, c in zip(out["account_id"], out["currency"], strict=True)
    ]
    rates = [
        np.nan if (r := context.fx_or_none(c, d)) is None else r
        for c, d in zip(source, out["date"], strict=True)
    ]
    out = out.assign(source_currency=source, fx_rate=rates, currency=context.reporting_currency)
    for money in ("spend", "revenue"):
        out[money] = out[money] * out["fx_rate"]
    return out


def _unify_one(
    source: str, frame: pd.DataFrame, custom: SchemaMapping | None, context: MappingContext
) -> pd.DataFrame:
    schema = source_schema(source)
    frame = frame.reset_index(drop=True)
    if schema.derive is not None:
        frame = schema.derive(frame, context)
    targets: dict[str, Any] = {}
    used: set[str] = set()
    for target in ("date", "currency", *_TEXT, *_NUMBERS):
        candidates = [*(custom or {}).get(target, ()), *schema.mapping.get(target, ())]
        used.update(candidates)
        targets[target] = _coalesce(frame, candidates, schema, context)
    out = pd.DataFrame(targets, index=frame.index)
    out["date"] = _dates(out["date"])
    for name in _TEXT:
        out[name] = out[name].map(str, na_action="ignore").fillna("")
    for name in _NUMBERS:
        out[name] = pd.to_numeric(out[name], errors="coerce")
    out = out.assign(
        channel=schema.source, platform=_platform(frame, schema, context), breakdown=_breakdown(frame, schema)
    )
    out = _with_currency(out, context)
    extras = [c for c in frame.columns if c not in used and c not in out.columns and _scalar(frame[c])]
    return pd.concat([out[list(UNIFIED_COLUMNS)], frame[extras]], axis=1)


def _scalar(values: pd.Series) -> bool:
    """Whether a column holds plain values (lists and dicts, e.g. raw action arrays, are dropped)."""
    return not values.map(lambda v: isinstance(v, list | dict)).any()


class DataTransformer:
    """Unify, validate and clean marketing DataFrames.

    Args:
        context: Reporting currency, FX table (reporting units per source unit), email cost per
            recipient, canonical purchase action types and account currencies.
    """

    def __init__(self, context: MappingContext | None = None) -> None:
        self.context = context or DEFAULT_CONTEXT
        self.last_cleaning_report: CleaningReport | None = None

    def unify_marketing_data(
        self, sources: Mapping[str, pd.DataFrame], schema_mapping: SchemaMapping | None = None
    ) -> pd.DataFrame:
        """One frame with the unified columns from ``{"meta": df, "google": df, "klaviyo": df}``.

        ``schema_mapping`` (target → candidate source columns) is tried before each source's
        default mapping, so it overrides where its columns exist. Money is in the reporting currency.
        """
        frames = [
            _unify_one(name, frame, schema_mapping, self.context)
            for name, frame in sources.items()
            if frame is not None and not frame.empty
        ]
        if not frames:
            return pd.DataFrame(columns=list(UNIFIED_COLUMNS))
        out = pd.concat(frames, ignore_index=True, sort=False)
        return out.sort_values(
            ["date", "channel", "campaign_id", "ad_group_id", "ad_id"], kind="stable", ignore_index=True
        )

    def validate_data_quality(
        self,
        data: pd.DataFrame,
        required_fields: Sequence[str] = (),
        validation_rules: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> QualityReport:
        """Completeness, accuracy and issues of ``data`` (see :mod:`liftos.transformations.quality`)."""
        return validate_frame(data, required_fields, validation_rules or {})

    def clean_data(self, data: pd.DataFrame, fixes: Sequence[str] | None = None) -> pd.DataFrame:
        """``data`` with ``fixes`` applied (see :mod:`liftos.transformations.cleaning`).

        What each fix changed is in ``result.attrs["cleaning_report"]`` and in
        :attr:`last_cleaning_report` (a :class:`CleaningReport`).
        """
        cleaned, report = clean_frame(data, fixes, self.context)
        self.last_cleaning_report = report
        cleaned.attrs["cleaning_report"] = report
        return cleaned
