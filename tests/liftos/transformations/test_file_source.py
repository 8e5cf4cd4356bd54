"""Files as a source: a spend file of any channel and the shop's outcome, mapped by a declared schema."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from liftos.errors import ConfigError
from liftos.events import NormalizedRow, StoreOutcomeRow
from liftos.pipeline.normalize import normalize_messages
from liftos.project import FileSourceSection
from liftos.streaming.codec import encode
from liftos.streaming.messages import Inbound
from liftos.transformations.context import MappingContext
from liftos.transformations.file_source import FileSpec, file_coverage, file_events
from liftos.transformations.fx_rates import DailyRates

CONTEXT = MappingContext(reporting_currency="USD", daily_rates=DailyRates("USD"))


def _spec(path: Path, **section: object) -> FileSpec:
    return FileSpec(path.stem, FileSourceSection(path=path, **section), path)  # type: ignore[arg-type]


def _normalize(spec: FileSpec) -> tuple[list[object], list[object], list[str]]:
    events = list(file_events(spec))
    messages = [Inbound("liftos.raw.v1", 0, i, None, encode(e)) for i, e in enumerate(events)]
    batch = normalize_messages(messages, CONTEXT)
    return list(batch.rows), list(batch.outcomes), [letter.reason for letter in batch.dead_letters]


def test_a_spend_file_becomes_rows_of_its_channel_at_the_daily_rate(tmp_path: Path) -> None:
    path = tmp_path / "tv_spend.csv"
    path.write_text("day,cost,spots\n2024-03-01,100.00,3\n2024-03-04,250.50,5\n")
    spec = _spec(path, kind="spend", channel="tv", currency="EUR", columns={"date": "day", "spend": "cost"})
    rows, outcomes, letters = _normalize(spec)
    assert letters == [] and outcomes == []
    assert all(isinstance(r, NormalizedRow) for r in rows)
    by_day = {r.date: r for r in rows}  # type: ignore[attr-defined]
    rates = DailyRates("USD")
    assert by_day[date(2024, 3, 1)].spend == pytest.approx(100.0 * rates.rate("EUR", date(2024, 3, 1)))
    assert by_day[date(2024, 3, 4)].spend == pytest.approx(250.5 * rates.rate("EUR", date(2024, 3, 4)))
    first = by_day[date(2024, 3, 1)]
    assert (first.channel, first.source, first.account_id, first.source_currency) == (
        "tv",
        "canonical",
        "tv_spend",
        "EUR",
    )


def test_bad_rows_are_dead_letters_with_their_row_number(tmp_path: Path) -> None:
    path = tmp_path / "tv.csv"
    path.write_text("date,spend\n2024-03-01,10\n2024-03-02,n/a\nyesterday,5\n2024-03-04,-3\n2024-03-05,7\n")
    rows, _, letters = _normalize(_spec(path, kind="spend"))
    assert len(rows) == 2
    assert letters == [
        "canonical/spend_daily: row 3 of tv.csv: spend: not a number: 'n/a'",
        "canonical/spend_daily: row 4 of tv.csv: date: expected a YYYY-MM-DD date, got 'yesterday'",
        "canonical/spend_daily: row 5 of tv.csv: spend: out of range: '-3'",
    ]


def test_a_shop_export_is_the_outcome_and_parquet_reads_too(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pd.DataFrame(
        {"date": pd.to_datetime(["2024-03-01", "2024-03-02"]), "orders": [12, 0], "revenue": [640.5, 0.0]}
    ).to_parquet(path)
    rows, outcomes, letters = _normalize(_spec(path, kind="outcome"))
    assert rows == [] and letters == []
    assert [(o.date, o.orders, o.revenue) for o in outcomes if isinstance(o, StoreOutcomeRow)] == [
        (date(2024, 3, 1), 12, 640.5),
        (date(2024, 3, 2), 0, 0.0),
    ]
    (coverage,) = file_coverage(list(file_events(_spec(path, kind="outcome"))))
    assert (coverage.source, coverage.account_id, coverage.start, coverage.end) == (
        "canonical",
        "orders",
        date(2024, 3, 1),
        date(2024, 3, 2),
    )


def test_a_file_without_the_declared_columns_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    path.write_text("day,amount\n2024-03-01,1\n")
    with pytest.raises(ConfigError, match=r"no column for \['date', 'spend'\].*map them with columns"):
        list(file_events(_spec(path, kind="spend")))
    with pytest.raises(ConfigError, match="no such file"):
        list(file_events(_spec(tmp_path / "missing.csv", kind="spend")))
