"""The completeness gate: what it measures and when it holds (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from liftos.pipeline.completeness import CompletenessPolicy, measure_completeness

WINDOW = (date(2025, 1, 1), date(2025, 3, 31))
POLICY = CompletenessPolicy(threshold=0.9, max_dead_letters=0, max_lag_days=3)
NO_LETTERS = pd.DataFrame(columns=["source", "account_id", "date", "unconverted"])


def _days(source: str, account: str, first: date, last: date, skip: set[date] | None = None) -> pd.DataFrame:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    kept = [d for d in days if d not in (skip or set())]
    return pd.DataFrame({"source": source, "account_id": account, "date": kept})


def _present(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


def test_complete_data_passes_and_reports_one() -> None:
    present = _present(_days("meta", "act_1", *WINDOW), _days("google_ads", "123", *WINDOW))
    verdict = measure_completeness(present, NO_LETTERS, ("meta", "google_ads"), WINDOW, POLICY)
    assert not verdict.held
    assert verdict.score == 1.0
    assert verdict.summary() == "100.0% complete"


def test_an_expected_source_without_rows_holds_and_is_named() -> None:
    present = _days("google_ads", "123", *WINDOW)
    verdict = measure_completeness(present, NO_LETTERS, ("meta", "google_ads"), WINDOW, POLICY)
    assert verdict.held
    assert verdict.score == 0.0
    assert verdict.reasons == ("meta: no rows in the window (0 of 87 days)",)


def test_missing_days_of_one_account_hold_below_the_threshold() -> None:
    gap = {date(2025, 2, 1) + timedelta(days=i) for i in range(20)}
    present = _present(_days("meta", "act_1", *WINDOW), _days("meta", "act_2", *WINDOW, skip=gap))
    verdict = measure_completeness(present, NO_LETTERS, ("meta",), WINDOW, POLICY)
    assert verdict.held
    assert verdict.reasons == ("meta act_2: 67 of 87 days present",)
    assert round(verdict.score, 3) == round(67 / 87, 3)


def test_the_last_days_may_lag_but_not_more() -> None:
    recent = _days("meta", "act_1", WINDOW[0], WINDOW[1] - timedelta(days=3))
    assert not measure_completeness(recent, NO_LETTERS, ("meta",), WINDOW, POLICY).held
    stale = _days("meta", "act_1", WINDOW[0], WINDOW[1] - timedelta(days=5))
    verdict = measure_completeness(stale, NO_LETTERS, ("meta",), WINDOW, POLICY)
    assert verdict.reasons == ("meta act_1: 5 days behind the window's end",)


def test_dead_letters_in_the_window_hold_and_count_unconverted_spend() -> None:
    present = _days("meta", "act_1", *WINDOW)
    letters = pd.DataFrame(
        {
            "source": ["meta", "meta", "meta"],
            "account_id": ["act_1", "act_1", "act_1"],
            "date": [date(2025, 2, 1), date(2025, 2, 2), date(2024, 6, 1)],  # the last one is outside
            "unconverted": [True, False, True],
        }
    )
    verdict = measure_completeness(present, letters, ("meta",), WINDOW, POLICY)
    assert verdict.reasons == ("2 dead letters in the window (1 unconverted spend) from meta act_1",)
    assert verdict.accounts[0].dead_letters == 2
    assert verdict.accounts[0].unconverted == 1


def test_a_declared_file_is_expected_as_its_own_account() -> None:
    present = _days("files", "orders", *WINDOW)
    verdict = measure_completeness(present, NO_LETTERS, ("files:orders", "files:tv"), WINDOW, POLICY)
    assert verdict.reasons == ("files tv: no rows in the window (0 of 87 days)",)


def _coverage(rows: list[tuple[str, str, str, date, date]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source", "account_id", "stream", "start", "end"])


def test_delivered_days_without_activity_are_present() -> None:
    """A paused account has rows on few days, but its slices were delivered: it is complete."""
    sparse = _days("meta", "act_1", date(2025, 1, 1), date(2025, 1, 10))
    coverage = _coverage([("meta", "act_1", "insights", date(2024, 12, 1), date(2025, 3, 31))])
    verdict = measure_completeness(sparse, NO_LETTERS, ("meta",), WINDOW, POLICY, coverage)
    assert not verdict.held
    assert verdict.accounts[0].days_present == 87


def test_a_day_counts_when_every_stream_of_the_account_delivered_it() -> None:
    coverage = _coverage(
        [
            ("klaviyo", "k1", "message_daily", date(2025, 1, 1), date(2025, 3, 31)),
            ("klaviyo", "k1", "store_outcomes", date(2025, 1, 1), date(2025, 1, 31)),
        ]
    )
    verdict = measure_completeness(
        _days("x", "y", *WINDOW)[:0], NO_LETTERS, ("klaviyo",), WINDOW, POLICY, coverage
    )
    assert verdict.reasons[0] == "klaviyo k1: 31 of 87 days present"


def test_days_with_rows_count_even_where_no_slice_recorded_them() -> None:
    """Rows written before coverage was recorded (an older store, a restarted ingestor that re-reads only
    its lookback) are present: a day with rows was read, whatever the coverage table says."""
    rows = _days("meta", "act_1", *WINDOW)
    recent = _coverage([("meta", "act_1", "insights", date(2025, 3, 1), date(2025, 3, 31))])
    verdict = measure_completeness(rows, NO_LETTERS, ("meta",), WINDOW, POLICY, recent)
    assert not verdict.held
    assert verdict.accounts[0].days_present == 87
