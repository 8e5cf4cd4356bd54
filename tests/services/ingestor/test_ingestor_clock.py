"""The ingestor's "today" is the business clock's: the live sandbox's accelerated calendar or UTC days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from liftos.clock import ClockSettings
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.polling import DEFAULT_HISTORY_DAYS, Poller
from liftos_ingestor.settings import IngestorSettings

LIVE = ClockSettings(
    origin_day=date(2025, 11, 1), origin_unix=0.0, days_per_minute=60, last_day=date(2025, 12, 31)
)


def test_hooks_count_cursor_lag_against_the_clock() -> None:
    assert IngestorHooks(LIVE).today() == date(2025, 12, 31)  # long stopped at its last day
    assert IngestorHooks().today() == datetime.now(UTC).date()


def test_first_poll_starts_history_days_before_the_clocks_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFTOS_CLOCK__ORIGIN_DAY", "2025-11-01")
    monkeypatch.setenv("LIFTOS_CLOCK__ORIGIN_UNIX", "0")
    monkeypatch.setenv("LIFTOS_CLOCK__LAST_DAY", "2025-12-31")
    settings = IngestorSettings(data_dir=tmp_path)
    assert settings.clock.today() == date(2025, 12, 31)
    poller = Poller(settings, producer=None, hooks=IngestorHooks(settings.clock))  # type: ignore[arg-type]
    try:
        assert poller.since() == date(2025, 12, 31) - timedelta(days=DEFAULT_HISTORY_DAYS)
    finally:
        poller.close()
