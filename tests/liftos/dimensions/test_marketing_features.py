"""Marketing features derived from a small synthetic campaign table, with hand-checked values."""

from __future__ import annotations

from datetime import date, timedelta
from math import sqrt

import numpy as np
import pandas as pd
import pytest

from liftos.dimensions import MARKETING_FEATURES, CalendarDimension, add_marketing_features

START = date(2024, 1, 1)


def _row(day: int, channel: str, campaign: str, spend: float, impressions: int, clicks: int,
         conversions: float = 0.0) -> dict[str, object]:  # fmt: skip
    return {
        "date": START + timedelta(days=day), "channel": channel, "campaign_id": campaign, "spend": spend,
        "impressions": impressions, "clicks": clicks, "conversions": conversions, "revenue": 0.0,
    }  # fmt: skip


def _two_channels() -> pd.DataFrame:
    """Search (campaign a) every day of 12 at CPM 10, CPC 1, CTR 1 %; social (campaign b) from day 3 at
    CPM 2, CPC 1, CTR 0.2 %, until on days 10–11 its spend doubles to 100 for 40,000 impressions."""
    rows = [_row(day, "search", "a", 100.0, 10_000, 100, 10) for day in range(12)]
    rows += [_row(day, "social", "b", 50.0, 25_000, 50, 5) for day in range(3, 10)]
    rows += [_row(day, "social", "b", 100.0, 40_000, 50, 5) for day in (10, 11)]
    return pd.DataFrame(rows)


def _features(data: pd.DataFrame, features: list[str] | None = None) -> pd.DataFrame:
    calendar = CalendarDimension().create_calendar("2023-12-30", "2024-01-14", include_features=["month"])
    return CalendarDimension().add_marketing_features(calendar, data, features).set_index("date")


def _at(day: int) -> pd.Timestamp:
    return pd.Timestamp(START + timedelta(days=day))


def test_campaign_flight_days_average_the_running_campaigns_ages() -> None:
    no_spend = pd.DataFrame([_row(1, "social", "b", 0.0, 0, 0)])  # a row without spend starts nothing
    data = pd.concat([_two_channels(), no_spend])
    result = _features(data, ["campaign_flight_days"])
    assert list(result.loc[_at(0) : _at(4), "campaign_flight_days"]) == [0.0, 1.0, 2.0, 1.5, 2.5]
    assert list(result.loc[_at(0) : _at(4), "campaigns_in_flight"]) == [1, 1, 1, 2, 2]
    assert result.loc[_at(11), "campaign_flight_days"] == (11 + 8) / 2
    assert result["campaign_flight_days"].isna()[_at(-1)]  # before the data


def test_media_cost_index_is_spend_weighted_cpm_against_trailing_median() -> None:
    result = _features(_two_channels(), ["media_cost_index"])
    assert result.loc[: _at(6), "media_cost_index"].isna().all()  # search has fewer than 7 earlier days
    assert result.loc[_at(7) : _at(9), "media_cost_index"].tolist() == [1.0, 1.0, 1.0]
    # Day 10: search CPM ratio 1 (spend 100), social CPM 2.5 against 2.0 (spend 100).
    assert result.loc[_at(10), "media_cost_index"] == pytest.approx((100 * 1.0 + 100 * 1.25) / 200)


def test_competitive_pressure_combines_cpm_and_cpc_ratios() -> None:
    result = _features(_two_channels(), ["competitive_pressure"])
    social = sqrt(1.25 * 2.0)  # CPM 2.5 vs 2.0, CPC 2 vs 1
    assert result.loc[_at(10), "competitive_pressure_index"] == pytest.approx((1.0 + social) / 2)
    assert result.loc[_at(10), "competitive_pressure"] == "high"
    assert result.loc[_at(8), "competitive_pressure"] == "medium"
    assert result.loc[_at(2), "competitive_pressure"] == "unknown"
    assert result.loc[_at(-2), "competitive_pressure"] == "unknown"


def test_competitive_pressure_low_when_prices_fall() -> None:
    rows = [_row(day, "search", "a", 100.0 if day < 10 else 80.0, 10_000, 100) for day in range(12)]
    result = _features(pd.DataFrame(rows), ["competitive_pressure"])
    assert result.loc[_at(10), "competitive_pressure_index"] == pytest.approx(0.8)
    assert result.loc[_at(10), "competitive_pressure"] == "low"


def test_audience_availability_is_impression_weighted_ctr_ratio() -> None:
    result = _features(_two_channels(), ["audience_availability"])
    # Day 10: search CTR ratio 1 (10,000 impressions), social 50/40,000 vs 50/25,000 = 0.625 (40,000).
    assert result.loc[_at(10), "audience_availability"] == pytest.approx((10_000 + 40_000 * 0.625) / 50_000)
    assert result.loc[_at(9), "audience_availability"] == pytest.approx(1.0)


def test_budget_shift_between_channels_is_not_a_price_change() -> None:
    rows = [
        _row(day, "search", "a", 100.0 * (1 + day), 10_000 * (1 + day), 100 * (1 + day)) for day in range(20)
    ]
    rows += [_row(day, "social", "b", 10.0, 5_000, 10) for day in range(20)]
    result = _features(pd.DataFrame(rows), ["media_cost_index", "competitive_pressure"])
    assert result.loc[_at(7) : _at(13), "media_cost_index"].to_numpy() == pytest.approx(1.0)
    assert set(result.loc[_at(7) : _at(13), "competitive_pressure"]) == {"medium"}


def _conversions(days: int, rise_from: int) -> pd.DataFrame:
    """100 clicks a day; 10 conversions a day, 20 from ``rise_from`` on."""
    return pd.DataFrame(
        [_row(day, "search", "a", 100.0, 10_000, 100, 10 if day < rise_from else 20) for day in range(days)]
    )


def test_conversion_likelihood_uses_only_earlier_days() -> None:
    result = add_marketing_features(
        CalendarDimension().create_calendar("2024-01-01", "2024-02-09"), _conversions(40, 30),
        ["conversion_likelihood"],
    ).set_index("date")["conversion_likelihood"]  # fmt: skip
    assert result.loc[: _at(6)].isna().all()
    assert result.loc[_at(7) : _at(30)].to_numpy() == pytest.approx(1.0)  # day 30's own rise is unseen
    # Day 35: the 28 days 7–34 hold 23×10 + 5×20 conversions; days 0–34 hold 30×10 + 5×20.
    assert result.loc[_at(35)] == pytest.approx((330 / 2800) / (400 / 3500))


def test_conversion_likelihood_is_unchanged_by_future_data() -> None:
    calendar = CalendarDimension().create_calendar("2024-01-01", "2024-03-31")
    base = _conversions(80, 30)  # the trailing window and the long run differ from day 29 on
    changed = base.copy()
    later = pd.to_datetime(changed["date"]) >= pd.Timestamp("2024-02-25")
    changed.loc[later, "conversions"] *= 7
    changed.loc[later, "clicks"] += 13
    first = add_marketing_features(calendar, base, ["conversion_likelihood"])["conversion_likelihood"]
    second = add_marketing_features(calendar, changed, ["conversion_likelihood"])["conversion_likelihood"]
    past = (calendar["date"] <= pd.Timestamp("2024-02-25")).to_numpy()
    assert first[past].notna().sum() > 40
    np.testing.assert_array_equal(first[past].to_numpy(), second[past].to_numpy())
    assert not np.allclose(first[~past].to_numpy(), second[~past].to_numpy())


def test_joins_on_date_and_rebases_days_since_campaign_start() -> None:
    calendar = CalendarDimension().create_calendar("2023-12-30", "2024-01-14")
    result = add_marketing_features(calendar, _two_channels())
    assert len(result) == len(calendar)
    assert list(result.columns[: len(calendar.columns)]) == list(calendar.columns)
    assert result["date"].equals(calendar["date"])
    assert list(result["days_since_campaign_start"].iloc[:3]) == [-2, -1, 0]  # first spend: 2024-01-01
    assert result.attrs["seasonality_index_source"] == "calendar_prior"
    expected = {"campaign_flight_days", "campaigns_in_flight", "media_cost_index", "competitive_pressure",
                "competitive_pressure_index", "audience_availability", "conversion_likelihood"}  # fmt: skip
    assert expected <= set(result.columns)
    again = add_marketing_features(result, _two_channels(), ["media_cost_index"])
    assert list(again.columns).count("media_cost_index") == 1


def test_string_dates_and_missing_channel_are_accepted() -> None:
    data = _two_channels().drop(columns="channel").assign(date=lambda frame: frame["date"].astype(str))
    result = _features(data, ["campaign_flight_days", "media_cost_index"])
    assert result.loc[_at(4), "campaigns_in_flight"] == 2
    assert result["media_cost_index"].isna()[_at(6)]
    # One pooled channel: day 7's CPM (150 / 35,000 impressions) against the median of days 0–6.
    pooled_cpm = [1000 * 100 / 10_000] * 3 + [1000 * 150 / 35_000] * 4
    assert result.loc[_at(7), "media_cost_index"] == pytest.approx(
        (1000 * 150 / 35_000) / float(np.median(pooled_cpm))
    )


def test_unknown_features_and_missing_columns_are_refused() -> None:
    calendar = CalendarDimension().create_calendar("2024-01-01", "2024-01-31")
    with pytest.raises(ValueError, match="industry_index"):
        add_marketing_features(calendar, _two_channels(), ["industry_index"])
    with pytest.raises(ValueError, match="impressions"):
        add_marketing_features(calendar, _two_channels().drop(columns="impressions"), ["media_cost_index"])
    with pytest.raises(ValueError, match="campaign_id or campaign"):
        add_marketing_features(
            calendar, _two_channels().drop(columns="campaign_id"), ["campaign_flight_days"]
        )
    assert set(MARKETING_FEATURES) == {
        "campaign_flight_days", "media_cost_index", "competitive_pressure", "audience_availability",
        "conversion_likelihood",
    }  # fmt: skip
