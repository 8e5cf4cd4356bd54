"""Daily marketing features derived from the campaign data itself (no outside "industry data").

``campaign_data`` is the normalized marketing schema (:class:`liftos.events.NormalizedRow` as a
DataFrame): ``date``, ``channel`` (optional), ``campaign_id`` or ``campaign``, ``spend``,
``impressions``, ``clicks``, ``conversions``. Prices are compared per channel with the channel's own
recent past, then combined across channels, so a shift of budget towards a dearer channel does not read
as dearer media. Baselines are the median over the previous :data:`TRAILING_DAYS` days (today
excluded), needing at least :data:`MIN_BASELINE_DAYS` days with a price; before that a feature is NaN.

Features (columns), all per date:

- ``campaign_flight_days``: mean over the campaigns spending that day of the days since each one's
  first day with spend (0 on its first day); NaN when none spends. Also ``campaigns_in_flight``: how
  many campaigns spend that day. A campaign is (``channel``, ``campaign_id`` or ``campaign``).
- ``media_cost_index``: per channel, CPM (spend per 1,000 impressions) divided by its trailing median;
  combined as the spend-weighted mean. 1 = usual price, 1.2 = 20 % dearer.
- ``competitive_pressure_index``: per channel, the geometric mean of the CPM and CPC (spend per click)
  ratios to their trailing medians — auction prices rising together signal more competing bidders —
  combined as the spend-weighted mean. ``competitive_pressure``: ``"high"`` when the index is at least
  :data:`PRESSURE_BAND` (10 % above usual), ``"low"`` when at most ``1 / PRESSURE_BAND``, ``"medium"``
  between, ``"unknown"`` without a baseline. CPC also moves with click-through, so it is a proxy.
- ``audience_availability``: per channel, click-through rate (clicks per impression) divided by its
  trailing median — how responsive the reachable audience is today compared with usual — combined as
  the impression-weighted mean. (Impressions per unit spend would only be the inverse of the cost index.)
- ``conversion_likelihood``: conversions per click of all channels over the previous
  :data:`TRAILING_DAYS` days divided by conversions per click over all earlier days. Only data before
  the date is used, so it is free of leakage from the day's own (or later) outcomes.

Calendar dates outside the data's range get NaN (``<NA>`` / ``"unknown"``); inside it, a day without
rows counts as a day without spend. Results join on ``date``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import pandas as pd

__all__ = [
    "MARKETING_FEATURES",
    "MIN_BASELINE_DAYS",
    "PRESSURE_BAND",
    "TRAILING_DAYS",
    "add_marketing_features",
    "marketing_features",
]

MARKETING_FEATURES: Final = (
    "campaign_flight_days",
    "media_cost_index",
    "competitive_pressure",
    "audience_availability",
    "conversion_likelihood",
)
#: Length (days) of the trailing baseline window.
TRAILING_DAYS: Final = 28
#: Fewest days with a value the trailing baseline needs.
MIN_BASELINE_DAYS: Final = 7
#: Price ratio from which competitive pressure is "high" (its inverse: "low").
PRESSURE_BAND: Final = 1.10

_METRICS: Final = ("spend", "impressions", "clicks", "conversions")
_NEEDS: Final[dict[str, frozenset[str]]] = {
    "campaign_flight_days": frozenset({"spend"}),
    "media_cost_index": frozenset({"spend", "impressions"}),
    "competitive_pressure": frozenset({"spend", "impressions", "clicks"}),
    "audience_availability": frozenset({"impressions", "clicks"}),
    "conversion_likelihood": frozenset({"clicks", "conversions"}),
}


def add_marketing_features(
    calendar: pd.DataFrame, campaign_data: pd.DataFrame, features: Sequence[str] | None = None
) -> pd.DataFrame:
    """``calendar`` left-joined on ``date`` with :func:`marketing_features` of ``campaign_data``.

    Columns of the same names already in ``calendar`` are replaced. A ``days_since_campaign_start``
    column is re-based on the first date with spend in ``campaign_data``.

    Raises:
        ValueError: ``calendar`` has no ``date``, or see :func:`marketing_features`.
    """
    if "date" not in calendar.columns:
        raise ValueError("calendar has no 'date' column")
    daily = marketing_features(campaign_data, features)
    result = calendar.drop(columns=[name for name in daily.columns if name in calendar.columns])
    dates = pd.to_datetime(result["date"])
    if "days_since_campaign_start" in result.columns:
        first_spend = _first_spend_date(campaign_data)
        result["days_since_campaign_start"] = (dates - first_spend).dt.days
    daily.index = daily.index.astype(dates.dtype)
    merged = result.merge(daily, left_on=dates, right_index=True, how="left")
    merged.attrs = dict(calendar.attrs)
    if "competitive_pressure" in merged.columns:
        merged["competitive_pressure"] = merged["competitive_pressure"].fillna("unknown")
    return merged.drop(columns="key_0", errors="ignore")


def marketing_features(campaign_data: pd.DataFrame, features: Sequence[str] | None = None) -> pd.DataFrame:
    """The requested features (default all of :data:`MARKETING_FEATURES`) per date (the index).

    Raises:
        ValueError: an unknown feature, or a column the features need is missing.
    """
    wanted = list(MARKETING_FEATURES if features is None else dict.fromkeys(features))
    unknown = [name for name in wanted if name not in MARKETING_FEATURES]
    if unknown:
        raise ValueError(f"unknown marketing features {unknown}; available: {list(MARKETING_FEATURES)}")
    data = _prepare(campaign_data, wanted)
    panel = _channel_panel(data)
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "campaign_flight_days": lambda: _flight_days(data, panel),
        "media_cost_index": lambda: _media_cost(panel),
        "competitive_pressure": lambda: _competitive_pressure(panel),
        "audience_availability": lambda: _audience_availability(panel),
        "conversion_likelihood": lambda: _conversion_likelihood(panel),
    }
    return pd.concat([builders[name]() for name in wanted], axis=1)


def _prepare(campaign_data: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """``date`` (midnight datetime64), ``channel``, ``campaign`` key and numeric metrics (NaN → 0)."""
    needed = {"date"}.union(*(_NEEDS[name] for name in features))
    missing = sorted(needed - set(campaign_data.columns))
    if "campaign_flight_days" in features and not {"campaign_id", "campaign"} & set(campaign_data.columns):
        missing.append("campaign_id or campaign")
    if missing:
        raise ValueError(f"campaign_data lacks columns {missing}")
    data = pd.DataFrame({"date": pd.to_datetime(campaign_data["date"]).dt.normalize().to_numpy()})
    channel = campaign_data["channel"] if "channel" in campaign_data.columns else "all"
    data["channel"] = np.asarray(channel if isinstance(channel, str) else channel.astype(str))
    campaign = campaign_data.get("campaign_id", campaign_data.get("campaign"))
    data["campaign"] = "" if campaign is None else np.asarray(campaign.astype(str))
    for metric in _METRICS:
        present = metric in campaign_data.columns
        data[metric] = pd.to_numeric(campaign_data[metric]).to_numpy(dtype=np.float64) if present else 0.0
    data[list(_METRICS)] = data[list(_METRICS)].fillna(0.0)
    return data


def _first_spend_date(campaign_data: pd.DataFrame) -> pd.Timestamp:
    dates = pd.to_datetime(campaign_data["date"]).dt.normalize()
    spending = dates[pd.to_numeric(campaign_data["spend"]) > 0] if "spend" in campaign_data else dates
    return pd.Timestamp((spending if len(spending) else dates).min())


def _channel_panel(data: pd.DataFrame) -> pd.DataFrame:
    """Metric sums per (channel, date), every channel on every date of the data's range (gaps → 0)."""
    sums = data.groupby(["channel", "date"])[list(_METRICS)].sum()
    dates = pd.date_range(data["date"].min(), data["date"].max()).astype(data["date"].dtype)
    grid = pd.MultiIndex.from_product([sorted(data["channel"].unique()), dates], names=["channel", "date"])
    return sums.reindex(grid, fill_value=0.0)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` where both are positive, else NaN."""
    valid = (numerator > 0) & (denominator > 0)
    return (numerator / denominator.where(valid)).where(valid)


def _vs_trailing_median(values: pd.Series) -> pd.Series:
    """Each channel's value divided by the median of its previous :data:`TRAILING_DAYS` days."""
    baseline = values.groupby(level="channel").transform(
        lambda series: series.shift(1).rolling(TRAILING_DAYS, min_periods=MIN_BASELINE_DAYS).median()
    )
    return values / baseline.where(baseline > 0)


def _across_channels(ratio: pd.Series, weight: pd.Series) -> pd.Series:
    """Per date: the ``weight``-weighted mean of the channels' ``ratio`` (NaN ratios left out)."""
    valid = ratio.notna() & (weight > 0)
    numerator = (ratio * weight).where(valid).groupby(level="date").sum(min_count=1)
    denominator = weight.where(valid).groupby(level="date").sum(min_count=1)
    return numerator / denominator


def _cpm_ratio(panel: pd.DataFrame) -> pd.Series:
    return _vs_trailing_median(1000.0 * _ratio(panel["spend"], panel["impressions"]))


def _flight_days(data: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    spending = data[data["spend"] > 0].groupby(["channel", "campaign", "date"]).size().reset_index()
    first = spending.groupby(["channel", "campaign"])["date"].transform("min")
    age = (spending["date"] - first).dt.days.groupby(spending["date"])
    dates = panel.index.get_level_values("date").unique()
    return pd.DataFrame(
        {
            "campaign_flight_days": age.mean().reindex(dates).astype(np.float64),
            "campaigns_in_flight": age.size().reindex(dates, fill_value=0).astype("Int64"),
        }
    )


def _media_cost(panel: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"media_cost_index": _across_channels(_cpm_ratio(panel), panel["spend"])})


def _competitive_pressure(panel: pd.DataFrame) -> pd.DataFrame:
    cpc_ratio = _vs_trailing_median(_ratio(panel["spend"], panel["clicks"]))
    logs = pd.concat([np.log(_cpm_ratio(panel)), np.log(cpc_ratio)], axis=1)
    index = _across_channels(np.exp(logs.mean(axis=1)), panel["spend"])
    label = np.select(
        [index >= PRESSURE_BAND, index <= 1 / PRESSURE_BAND, index.notna()],
        ["high", "low", "medium"],
        default="unknown",
    )
    return pd.DataFrame(
        {"competitive_pressure": label, "competitive_pressure_index": index}, index=index.index
    )


def _audience_availability(panel: pd.DataFrame) -> pd.DataFrame:
    ctr_ratio = _vs_trailing_median(_ratio(panel["clicks"], panel["impressions"]))
    return pd.DataFrame({"audience_availability": _across_channels(ctr_ratio, panel["impressions"])})


def _conversion_likelihood(panel: pd.DataFrame) -> pd.DataFrame:
    totals = panel.groupby(level="date")[["conversions", "clicks"]].sum().shift(1)
    trailing = totals.rolling(TRAILING_DAYS, min_periods=MIN_BASELINE_DAYS).sum()
    long_run = totals.expanding(min_periods=MIN_BASELINE_DAYS).sum()
    recent_rate = _ratio(trailing["conversions"], trailing["clicks"])
    usual_rate = _ratio(long_run["conversions"], long_run["clicks"])
    return pd.DataFrame({"conversion_likelihood": recent_rate / usual_rate})
