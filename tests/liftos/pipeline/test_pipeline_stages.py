"""Stage logic without a broker: every input becomes output rows or a dead letter, never an exception."""

from __future__ import annotations

from datetime import date

import orjson

from liftos.events import EnrichedRow
from liftos.pipeline.enrich import enrich_messages
from liftos.pipeline.normalize import normalize_messages
from liftos.streaming.codec import encode
from liftos.streaming.messages import Inbound
from tests.factories import canonical_outcome_event, canonical_row_event, make_normalized_row, make_raw_event


def _inbound(value: bytes | None, offset: int = 0) -> Inbound:
    return Inbound("liftos.raw.v1", 0, offset, b"k", value)


def test_canonical_rows_and_outcomes_are_mapped() -> None:
    batch = normalize_messages(
        [
            _inbound(encode(canonical_row_event(date(2025, 1, 1)))),
            _inbound(encode(canonical_outcome_event(date(2025, 1, 1)))),
        ]
    )
    assert [row.spend for row in batch.rows] == [10.5]
    assert batch.rows[0].source == "canonical" and batch.rows[0].version > 0
    assert [outcome.revenue for outcome in batch.outcomes] == [1000.0]
    assert batch.dead_letters == []


def test_bad_messages_become_dead_letters_with_reasons_and_original_bytes() -> None:
    unknown = encode(make_raw_event({"x": 1}, source="nowhere"))
    negative = encode(canonical_row_event(date(2025, 1, 1), spend=-5.0))
    inputs = [b"", b"{not json", orjson.dumps({"source": "canonical"}), unknown, negative, b"\xff\xfe"]
    batch = normalize_messages([_inbound(value, offset) for offset, value in enumerate(inputs)])
    assert batch.rows == [] and batch.outcomes == []
    assert [letter.offset for letter in batch.dead_letters] == list(range(len(inputs)))
    assert [letter.value for letter in batch.dead_letters] == inputs
    reasons = [letter.reason for letter in batch.dead_letters]
    assert "empty message" in reasons[0]
    assert "Invalid JSON" in reasons[1]
    assert "Field required" in reasons[2]
    assert "no mapping for source 'nowhere'" in reasons[3]
    assert "spend" in reasons[4]


def test_enrichment_joins_the_calendar_of_the_row_date() -> None:
    thanksgiving = make_normalized_row(day=date(2024, 11, 28))
    batch = enrich_messages([_inbound(encode(thanksgiving))], [], country="US")
    (row,) = batch.rows
    assert isinstance(row, EnrichedRow)
    assert row.is_holiday and "Thanksgiving" in row.holiday_name
    assert (row.day_of_week, row.is_weekend, row.quarter, row.country) == (3, False, 4, "US")
    assert row.spend == thanksgiving.spend and row.natural_key() == thanksgiving.natural_key()


def test_enrichment_dead_letters_undecodable_rows() -> None:
    batch = enrich_messages([_inbound(b"[]")], [_inbound(b"{}")], country="US")
    assert len(batch.dead_letters) == 2 and not batch.rows and not batch.outcomes
