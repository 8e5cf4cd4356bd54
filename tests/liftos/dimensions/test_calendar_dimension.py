"""The calendar dimension table: holidays per country, business calendar, distances, features, speed."""

from __future__ import annotations

import time
from datetime import date, timedelta

import holidays
import numpy as np
import pandas as pd
import pytest

from liftos.dimensions import (
    CALENDAR_FEATURES,
    CalendarDimension,
    UnknownRegionError,
    calendar_features,
    public_holidays,
)

SEED_FEATURES = [
    "day_of_week", "week_of_year", "month", "quarter", "year",
    "is_weekend", "is_holiday", "is_month_end", "is_quarter_end",
    "days_since_campaign_start", "seasonality_index",
]  # fmt: skip
SEED_BUSINESS_CALENDAR = {
    "holidays": ["2024-01-01", "2024-07-04", "2024-11-28", "2024-12-25"],
    "business_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
    "peak_seasons": [
        {"name": "black_friday", "start": "2024-11-24", "end": "2024-11-30"},
        {"name": "holiday_season", "start": "2024-12-01", "end": "2024-12-31"},
        {"name": "back_to_school", "start": "2024-08-15", "end": "2024-09-15"},
    ],
}


def _calendar(start: str, end: str, **options: object) -> pd.DataFrame:
    return CalendarDimension().create_calendar(start, end, **options)  # type: ignore[arg-type]


def _dates(frame: pd.DataFrame, column: str) -> set[date]:
    return {stamp.date() for stamp in frame.loc[frame[column].astype(bool), "date"]}


def _on(frame: pd.DataFrame, day: str) -> pd.Series:
    return frame.loc[frame["date"] == pd.Timestamp(day)].iloc[0]


@pytest.mark.parametrize("year", [2024, 2025])
def test_us_holidays_match_the_holidays_package(year: int) -> None:
    calendar = _calendar(f"{year}-01-01", f"{year}-12-31", country="US")
    expected = holidays.country_holidays("US", years=year)
    assert _dates(calendar, "is_holiday") == set(expected)
    named = calendar[calendar["is_holiday"]]
    assert dict(zip(named["date"].dt.date, named["holiday_name"], strict=True)) == dict(expected.items())
    assert (calendar.loc[~calendar["is_holiday"], "holiday_name"] == "").all()


def test_thanksgiving_and_black_friday_2024() -> None:
    calendar = _calendar("2024-01-01", "2024-12-31", country="US", retail_events=True)
    assert _on(calendar, "2024-11-28")["holiday_name"] == "Thanksgiving Day"
    assert _dates(calendar, "is_black_friday") == {date(2024, 11, 29)}
    assert _dates(calendar, "is_cyber_monday") == {date(2024, 12, 2)}
    assert _on(calendar, "2024-11-29")["retail_event"] == "black_friday"
    assert not _on(calendar, "2024-11-29")["is_holiday"]


@pytest.mark.parametrize("year", [2024, 2025])
def test_bavarian_holidays_match_the_holidays_package(year: int) -> None:
    bavaria = _calendar(f"{year}-01-01", f"{year}-12-31", country="DE", subdivision="BY")
    berlin = _calendar(f"{year}-01-01", f"{year}-12-31", country="DE", subdivision="BE")
    assert _dates(bavaria, "is_holiday") == set(holidays.country_holidays("DE", subdiv="BY", years=year))
    assert _dates(berlin, "is_holiday") == set(holidays.country_holidays("DE", subdiv="BE", years=year))
    epiphany = date(year, 1, 6)
    corpus_christi = {2024: date(2024, 5, 30), 2025: date(2025, 6, 19)}[year]
    assert {epiphany, corpus_christi} <= _dates(bavaria, "is_holiday")
    assert not {epiphany, corpus_christi} & _dates(berlin, "is_holiday")
    assert date(year, 3, 8) in _dates(berlin, "is_holiday") - _dates(bavaria, "is_holiday")  # Women's Day


def test_unknown_country_or_subdivision_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="unknown country 'XX'"):
        _calendar("2024-01-01", "2024-01-31", country="XX")
    with pytest.raises(ValueError, match=r"unknown subdivision 'ZZ' of country 'DE'.*BY"):
        _calendar("2024-01-01", "2024-01-31", country="DE", subdivision="ZZ")
    with pytest.raises(UnknownRegionError):
        public_holidays("XX", None, 2024)


def test_one_row_per_day_with_datetime_dates_and_all_features() -> None:
    calendar = _calendar("2024-01-01", "2024-12-31")
    assert len(calendar) == 366
    assert pd.api.types.is_datetime64_dtype(calendar["date"])
    assert calendar["date"].diff().dropna().eq(pd.Timedelta(days=1)).all()
    assert list(calendar.columns) == ["date", *CALENDAR_FEATURES]
    assert calendar.notna().all().all()


def test_date_parts_on_known_days() -> None:
    calendar = _calendar("2024-12-28", "2025-01-01")
    new_year = _on(calendar, "2025-01-01")
    assert (new_year["day_of_week"], new_year["week_of_year"], new_year["quarter"]) == (2, 1, 1)
    assert _on(calendar, "2024-12-30")["week_of_year"] == 1  # ISO week 1 of 2025 starts Monday 30 Dec
    assert _on(calendar, "2024-12-31")["is_quarter_end"] and _on(calendar, "2024-12-31")["is_month_end"]
    assert _dates(calendar, "is_weekend") == {date(2024, 12, 28), date(2024, 12, 29)}


def test_per_day_features_agree_with_the_table() -> None:
    calendar = _calendar("2024-01-01", "2025-12-31", country="DE", subdivision="BY")
    names = ["day_of_week", "week_of_year", "month", "quarter", "year", "is_weekend", "is_holiday",
             "holiday_name", "is_month_end", "is_quarter_end"]  # fmt: skip
    for row in calendar.to_dict("records"):
        features = dict(calendar_features(row["date"].date(), "DE", "BY"))
        assert {name: features[name] for name in names} == {name: row[name] for name in names}, row["date"]


def test_weekend_follows_the_country() -> None:
    israel = _calendar("2024-01-01", "2024-01-07", country="IL")
    assert _dates(israel, "is_weekend") == {date(2024, 1, 5), date(2024, 1, 6)}  # Friday and Saturday


def test_seed_business_calendar_gives_the_seed_peak_seasons() -> None:
    calendar = _calendar("2024-01-01", "2024-12-31", business_calendar=SEED_BUSINESS_CALENDAR)
    seasons = (
        calendar.loc[calendar["is_peak_season"]].groupby("peak_season")["date"].agg(["min", "max", "size"])
    )
    assert seasons.to_dict("index") == {
        "black_friday": {"min": pd.Timestamp("2024-11-24"), "max": pd.Timestamp("2024-11-30"), "size": 7},
        "holiday_season": {"min": pd.Timestamp("2024-12-01"), "max": pd.Timestamp("2024-12-31"), "size": 31},
        "back_to_school": {"min": pd.Timestamp("2024-08-15"), "max": pd.Timestamp("2024-09-15"), "size": 32},
    }
    assert (calendar.loc[~calendar["is_peak_season"], "peak_season"] == "").all()
    custom = {date(2024, 1, 1), date(2024, 7, 4), date(2024, 11, 28), date(2024, 12, 25)}
    assert custom <= _dates(calendar, "is_holiday")
    assert not _on(calendar, "2024-11-28")["is_business_day"]


def test_custom_holidays_are_added_with_their_names() -> None:
    spec = {"holidays": ["2024-12-24", {"date": "2024-12-27", "name": "stocktake"}, "2024-12-25"]}
    calendar = _calendar("2024-12-20", "2024-12-31", business_calendar=spec)
    assert _on(calendar, "2024-12-24")["holiday_name"] == "custom"
    assert _on(calendar, "2024-12-27")["holiday_name"] == "stocktake"
    assert _on(calendar, "2024-12-25")["holiday_name"] == "Christmas Day"  # the public name wins
    assert _dates(calendar, "is_public_holiday") == {date(2024, 12, 25)}
    assert _dates(calendar, "is_holiday") == {date(2024, 12, 24), date(2024, 12, 25), date(2024, 12, 27)}


def test_overlapping_peak_seasons_are_all_named() -> None:
    spec = {"peak_seasons": [{"name": "a", "start": "2024-03-01", "end": "2024-03-10"},
                             {"name": "b", "start": "2024-03-10", "end": "2024-03-12"}]}  # fmt: skip
    calendar = _calendar("2024-03-01", "2024-03-31", business_calendar=spec)
    assert _on(calendar, "2024-03-10")["peak_season"] == "a|b"
    assert calendar["is_peak_season"].sum() == 12


@pytest.mark.parametrize(
    "spec",
    [
        {"business_days": ["mondayish"]},
        {"peak_seasons": [{"name": "x", "start": "2024-02-01", "end": "2024-01-01"}]},
        {"holidays": ["not a date"]},
        {"holiday": []},
    ],
)
def test_malformed_business_calendar_is_refused(spec: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _calendar("2024-01-01", "2024-01-31", business_calendar=spec)


def test_business_days_are_counted_within_the_month() -> None:
    # January 2024: 23 weekdays, minus New Year's Day (Mon 1) and Martin Luther King Jr. Day (Mon 15).
    calendar = _calendar("2024-01-20", "2024-02-05", country="US")
    assert set(calendar.loc[calendar["month"] == 1, "business_days_in_month"]) == {21}
    assert _on(calendar, "2024-01-20")["business_day_of_month"] == 13  # 2–5, 8–12, 16–19: 4 + 5 + 4
    assert _on(calendar, "2024-01-22")["business_day_of_month"] == 14
    assert _on(calendar, "2024-01-31")["business_day_of_month"] == 21
    assert _on(calendar, "2024-02-01")["business_day_of_month"] == 1
    assert set(calendar.loc[calendar["month"] == 2, "business_days_in_month"]) == {20}  # 21 − Presidents' Day


def test_custom_business_days_change_the_count() -> None:
    six_days = {"business_days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]}
    calendar = _calendar("2024-01-01", "2024-01-31", country="US", business_calendar=six_days)
    assert calendar["business_days_in_month"].iloc[0] == 21 + 4  # four Saturdays in January 2024
    assert _on(calendar, "2024-01-06")["is_business_day"]
    assert _on(calendar, "2024-01-06")["is_weekend"]  # is_weekend stays the country's weekend


def test_days_to_and_since_holiday_cross_year_boundaries() -> None:
    late = _calendar("2024-12-26", "2024-12-31", country="US")
    assert list(late["days_since_holiday"]) == [1, 2, 3, 4, 5, 6]  # since Christmas
    assert list(late["days_to_holiday"]) == [6, 5, 4, 3, 2, 1]  # to New Year's Day 2025
    early = _calendar("2025-01-01", "2025-01-03", country="US")
    assert list(early["days_to_holiday"]) == [0, 18, 17]  # MLK Day 2025 is 20 January
    assert list(early["days_since_holiday"]) == [0, 1, 2]


def test_include_features_selects_columns_in_order_and_keeps_date() -> None:
    calendar = _calendar("2024-01-01", "2024-12-31", include_features=["is_holiday", "date", "month"])
    assert list(calendar.columns) == ["date", "is_holiday", "month"]
    seed = _calendar("2024-01-01", "2024-12-31", include_features=SEED_FEATURES)
    assert list(seed.columns) == ["date", *SEED_FEATURES]
    with pytest.raises(ValueError, match=r"unknown calendar features.*'lunar_phase'"):
        _calendar("2024-01-01", "2024-01-02", include_features=["lunar_phase"])


def test_retail_events_can_be_switched_off_or_chosen() -> None:
    off = _calendar("2024-01-01", "2024-12-31")
    assert not off["is_retail_event"].any()
    assert not [name for name in off.columns if name.startswith("is_black")]
    chosen = _calendar("2024-01-01", "2024-12-31", retail_events=["super_bowl_sunday", "halloween"])
    assert _dates(chosen, "is_retail_event") == {date(2024, 2, 11), date(2024, 10, 31)}
    with pytest.raises(ValueError, match="prime_day"):
        _calendar("2024-01-01", "2024-12-31", retail_events=["prime_day"])


def test_default_retail_events_follow_the_country() -> None:
    britain = _calendar("2024-01-01", "2024-12-31", country="GB", retail_events=True)
    assert _dates(britain, "is_mothers_day") == {date(2024, 3, 10)}  # Mothering Sunday: Easter − 21 days
    assert _dates(britain, "is_boxing_day") == {date(2024, 12, 26)}
    assert "is_super_bowl_sunday" not in britain.columns
    america = _calendar("2021-01-01", "2022-12-31", country="US", retail_events=True)
    assert _dates(america, "is_super_bowl_sunday") == {date(2021, 2, 7), date(2022, 2, 13)}
    assert "is_boxing_day" not in america.columns


def test_days_since_campaign_start() -> None:
    default = _calendar("2024-03-01", "2024-03-05")
    assert list(default["days_since_campaign_start"]) == [0, 1, 2, 3, 4]
    explicit = _calendar("2024-03-01", "2024-03-05", campaign_start="2024-03-03")
    assert list(explicit["days_since_campaign_start"]) == [-2, -1, 0, 1, 2]


def test_calendar_prior_seasonality_is_deterministic_and_mean_one_per_year() -> None:
    calendar = _calendar("2023-01-01", "2025-12-31", country="US")
    assert calendar.attrs["seasonality_index_source"] == "calendar_prior"
    assert calendar.groupby("year")["seasonality_index"].mean().to_numpy() == pytest.approx(1.0)
    short = _calendar("2024-12-01", "2024-12-31", country="US")
    december = calendar[calendar["date"].between("2024-12-01", "2024-12-31")]
    assert short["seasonality_index"].to_numpy() == pytest.approx(december["seasonality_index"].to_numpy())
    assert (
        december["seasonality_index"].mean()
        > calendar.loc[calendar["month"] == 3, "seasonality_index"].mean()
    )


def _history(start: str, days: int) -> pd.DataFrame:
    """Daily outcome: 100, ×1.5 in December, ×2 on weekends, growing 20 % a year."""
    dates = pd.date_range(start, periods=days)
    december = np.where(dates.month == 12, 1.5, 1.0)
    weekend = np.where(dates.day_of_week >= 5, 2.0, 1.0)
    growth = 1.2 ** (np.arange(days) / 365.0)
    return pd.DataFrame({"date": dates, "value": 100.0 * december * weekend * growth})


def test_seasonality_from_outcome_history_recovers_the_pattern() -> None:
    calendar = _calendar("2025-01-01", "2025-12-31", outcome_history=_history("2021-01-01", 4 * 365))
    assert calendar.attrs["seasonality_index_source"] == "outcome_history"
    index = calendar.set_index("date")["seasonality_index"]
    mid_december, mid_june = index["2025-12-08":"2025-12-22"], index["2025-06-08":"2025-06-22"]
    assert mid_december.mean() / mid_june.mean() == pytest.approx(1.5, rel=0.05)
    assert mid_june.std() / mid_june.mean() < 0.01  # the weekend effect is removed, not seasonal
    assert index.mean() == pytest.approx(1.0, rel=0.01)


def test_seasonality_from_history_needs_a_year() -> None:
    with pytest.raises(ValueError, match="365 days"):
        _calendar("2025-01-01", "2025-01-31", outcome_history=_history("2024-06-01", 200))
    with pytest.raises(ValueError, match="revenue"):
        _calendar("2025-01-01", "2025-01-31", outcome_history=_history("2024-01-01", 400),
                  outcome_column="revenue")  # fmt: skip


def test_inverted_range_is_refused() -> None:
    with pytest.raises(ValueError, match="before start_date"):
        _calendar("2024-02-01", "2024-01-01")


def test_ten_years_take_well_under_a_second() -> None:
    _calendar("2010-01-01", "2010-01-02", country="US", retail_events=True)  # import holiday rules once
    began = time.perf_counter()
    calendar = _calendar("2015-01-01", "2024-12-31", country="US", retail_events=True)
    elapsed = time.perf_counter() - began
    assert len(calendar) == (date(2024, 12, 31) - date(2015, 1, 1) + timedelta(days=1)).days
    assert elapsed < 0.5, f"{elapsed:.3f} s"


def test_peak_seasons_passed_are_returned_even_when_include_features_omits_them() -> None:
    """The seed's call: include_features without peak_season, business_calendar with peak seasons."""
    from liftos.dimensions import CalendarDimension

    frame = CalendarDimension().create_calendar(
        "2024-11-01",
        "2024-12-31",
        include_features=["day_of_week", "is_holiday"],
        business_calendar={
            "holidays": ["2024-12-24"],
            "peak_seasons": [{"name": "black_friday", "start": "2024-11-24", "end": "2024-11-30"}],
        },
    )
    assert list(frame.columns) == [
        "date",
        "day_of_week",
        "is_holiday",
        "peak_season",
        "is_peak_season",
        "holiday_name",
    ]
    assert frame.attrs["added_features"] == ["peak_season", "is_peak_season", "holiday_name"]
    peak = frame[frame["is_peak_season"]]
    assert peak["date"].dt.strftime("%Y-%m-%d").tolist() == [f"2024-11-{d}" for d in range(24, 31)]
    assert set(peak["peak_season"]) == {"black_friday"}
    assert frame.loc[frame["date"] == "2024-12-24", "holiday_name"].item() != ""
