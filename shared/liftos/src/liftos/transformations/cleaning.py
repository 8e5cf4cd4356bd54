"""Automatic fixes of a unified marketing frame, each one reported.

- ``remove_duplicates``: drops rows repeating a natural key (date, channel, account_id, campaign_id,
  ad_group_id, ad_id, breakdown — the columns present); the last occurrence wins (highest
  ``version`` first when that column exists), as the warehouse's ReplacingMergeTree would keep it.
- ``fill_missing_dates``: for every entity (the natural key without the date), adds the days missing
  between its first and last date, with zero spend, impressions, clicks, conversions and revenue
  (a day without a row is a day without delivery) and the entity's labels copied.
- ``standardize_currency``: upper-cases currency codes and converts rows whose ``currency`` is not the
  reporting currency (spend, revenue × fx rate of the context); ``source_currency`` / ``fx_rate``
  are set. Rows whose currency has no rate are left unchanged and counted as ``unconvertible``.
- ``normalize_campaign_names``: Unicode NFKC, trimmed, inner whitespace collapsed; then every
  campaign id takes the name of its most recent row (names drift; ids do not).

The report (:class:`CleaningReport`) says, per fix, how many rows it removed, added or changed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from liftos.transformations.context import MappingContext

__all__ = ["DEFAULT_FIXES", "CleaningReport", "FixResult", "clean_frame"]

DEFAULT_FIXES = (
    "remove_duplicates",
    "fill_missing_dates",
    "standardize_currency",
    "normalize_campaign_names",
)
_KEY = ("date", "channel", "account_id", "campaign_id", "ad_group_id", "ad_id", "breakdown")
_METRICS = ("spend", "impressions", "clicks", "conversions", "revenue")


@dataclass(frozen=True)
class FixResult:
    """What one fix did: rows removed, added and changed, and a sentence for humans."""

    fix: str
    removed: int = 0
    added: int = 0
    changed: int = 0
    detail: str = ""


@dataclass
class CleaningReport:
    """Every applied fix in order, with the row counts before and after."""

    rows_before: int = 0
    rows_after: int = 0
    fixes: list[FixResult] = field(default_factory=list)

    def __getitem__(self, fix: str) -> FixResult:
        """The result of ``fix``."""
        return next(r for r in self.fixes if r.fix == fix)


def _key(data: pd.DataFrame) -> list[str]:
    return [c for c in _KEY if c in data.columns]


def _remove_duplicates(data: pd.DataFrame, context: MappingContext) -> tuple[pd.DataFrame, FixResult]:
    del context
    ordered = data.sort_values("version", kind="stable") if "version" in data.columns else data
    out = ordered.drop_duplicates(_key(data) or None, keep="last").sort_index()
    removed = len(data) - len(out)
    return out, FixResult(
        "remove_duplicates", removed=removed, detail=f"{removed} duplicate natural keys dropped"
    )


def _fill_missing_dates(data: pd.DataFrame, context: MappingContext) -> tuple[pd.DataFrame, FixResult]:
    del context
    if "date" not in data.columns or data.empty:
        return data, FixResult("fill_missing_dates", detail="no date column")
    data = data.assign(date=pd.to_datetime(data["date"]))
    entity = [c for c in _key(data) if c != "date"]
    pieces = []
    for _, group in data.groupby(entity, sort=False, dropna=False) if entity else [((), data)]:
        days = pd.date_range(group["date"].min(), group["date"].max(), freq="D")
        missing = days.difference(pd.DatetimeIndex(group["date"]))
        if len(missing):
            template = group.iloc[[-1] * len(missing)].copy()
            template["date"] = missing
            template[[m for m in _METRICS if m in template.columns]] = 0
            pieces.append(template)
    added = sum(len(p) for p in pieces)
    out = pd.concat([data, *pieces], ignore_index=True) if pieces else data
    out = out.sort_values(["date", *entity], kind="stable", ignore_index=True)
    return out, FixResult("fill_missing_dates", added=added, detail=f"{added} zero-activity days added")


def _standardize_currency(data: pd.DataFrame, context: MappingContext) -> tuple[pd.DataFrame, FixResult]:
    if "currency" not in data.columns:
        return data, FixResult("standardize_currency", detail="no currency column")
    out = data.copy()
    codes = out["currency"].map(lambda c: str(c).strip().upper(), na_action="ignore")
    days = out["date"] if "date" in out.columns else pd.Series(None, index=out.index)
    rates = pd.Series(
        [context.fx_or_none(c, d) for c, d in zip(codes, days, strict=True)], index=out.index, dtype=float
    )
    foreign = codes.notna() & (codes != context.reporting_currency)
    convert = foreign & rates.notna()
    for money in (m for m in ("spend", "revenue") if m in out.columns):
        out.loc[convert, money] = out.loc[convert, money] * rates[convert]
    previous = out["fx_rate"] if "fx_rate" in out.columns else pd.Series(1.0, index=out.index)
    out["fx_rate"] = previous.where(~convert, previous.fillna(1.0) * rates)
    out["source_currency"] = (
        out["source_currency"].where(~convert, codes) if "source_currency" in out else codes
    )
    out["currency"] = codes.where(~convert, context.reporting_currency)
    changed = int(convert.sum() + ((codes != data["currency"]) & ~convert & codes.notna()).sum())
    stuck = int((foreign & rates.isna()).sum())
    detail = f"{int(convert.sum())} rows converted to {context.reporting_currency}; {stuck} unconvertible"
    return out, FixResult("standardize_currency", changed=changed, detail=detail)


def _clean_name(value: object) -> object:
    if not isinstance(value, str):
        return value
    return " ".join(unicodedata.normalize("NFKC", value).split())


def _normalize_campaign_names(data: pd.DataFrame, context: MappingContext) -> tuple[pd.DataFrame, FixResult]:
    del context
    if "campaign" not in data.columns:
        return data, FixResult("normalize_campaign_names", detail="no campaign column")
    out = data.copy()
    out["campaign"] = out["campaign"].map(_clean_name)
    scope = [c for c in ("channel", "account_id", "campaign_id") if c in out.columns]
    if "campaign_id" in scope:
        order = out.sort_values("date", kind="stable") if "date" in out.columns else out
        latest = order.groupby(scope, dropna=False)["campaign"].transform("last")
        out["campaign"] = latest.reindex(out.index)
    changed = int((out["campaign"].fillna("") != data["campaign"].fillna("")).sum())
    return out, FixResult(
        "normalize_campaign_names", changed=changed, detail=f"{changed} campaign names changed"
    )


_FIXES = {
    "remove_duplicates": _remove_duplicates,
    "fill_missing_dates": _fill_missing_dates,
    "standardize_currency": _standardize_currency,
    "normalize_campaign_names": _normalize_campaign_names,
}


def clean_frame(
    data: pd.DataFrame, fixes: Sequence[str] | None, context: MappingContext
) -> tuple[pd.DataFrame, CleaningReport]:
    """``data`` with ``fixes`` applied in the given order (default: all four), and the report.

    Raises:
        ValueError: an unknown fix name.
    """
    unknown = [f for f in fixes or () if f not in _FIXES]
    if unknown:
        raise ValueError(f"unknown fixes {unknown}; known: {sorted(_FIXES)}")
    report, out = CleaningReport(rows_before=len(data)), data
    for fix in fixes or DEFAULT_FIXES:
        out, result = _FIXES[fix](out, context)
        report.fixes.append(result)
    report.rows_after = len(out)
    return out.reset_index(drop=True), report
