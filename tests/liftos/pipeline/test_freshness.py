"""Effect freshness of the days a new model version adds."""

from __future__ import annotations

from datetime import date

import pytest

from liftos.clock import ClockSettings
from liftos.pipeline.freshness import new_day_freshness

CLOCK = ClockSettings(origin_day=date(2025, 3, 1), origin_unix=1000.0, days_per_minute=60)


def test_each_new_day_counts_from_its_start() -> None:
    ages = new_day_freshness(date(2025, 3, 2), date(2025, 3, 4), 1000.0 + 3.5, CLOCK)
    assert ages == pytest.approx({date(2025, 3, 3): 1.5, date(2025, 3, 4): 0.5})


def test_no_previous_version_or_no_new_day_counts_nothing() -> None:
    assert new_day_freshness(None, date(2025, 3, 4), 2000.0, CLOCK) == {}
    assert new_day_freshness(date(2025, 3, 4), date(2025, 3, 4), 2000.0, CLOCK) == {}
