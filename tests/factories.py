"""Builders of valid event models for tests (override any field by keyword)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from liftos.events import NormalizedRow, RawEvent, RequestSlice, idempotency_key

__all__ = ["canonical_outcome_event", "canonical_row_event", "make_normalized_row", "make_raw_event"]


def make_normalized_row(day: date = date(2025, 1, 1), **overrides: Any) -> NormalizedRow:
    fields: dict[str, Any] = {
        "date": day,
        "channel": "meta",
        "platform": "facebook",
        "source": "canonical",
        "account_id": "acct-1",
        "campaign_id": "c1",
        "campaign": "Spring",
        "currency": "USD",
        "source_currency": "USD",
        "fx_rate": 1.0,
        "spend": 10.5,
        "impressions": 1000,
        "clicks": 20,
        "conversions": 2.0,
        "revenue": 40.0,
        "event_id": "e1",
        "version": 1,
    }
    return NormalizedRow(**(fields | overrides))


def make_raw_event(payload: dict[str, Any] | None = None, **overrides: Any) -> RawEvent:
    fields: dict[str, Any] = {
        "source": "canonical",
        "account_id": "acct-1",
        "stream": "marketing_daily",
        "request_slice": RequestSlice(start=date(2025, 1, 1), end=date(2025, 1, 1)),
        "fetched_at": datetime(2025, 1, 2, tzinfo=UTC),
        "payload": payload or {},
        "idempotency_key": idempotency_key("k"),
    }
    return RawEvent(**(fields | overrides))


def canonical_row_event(day: date, campaign_id: str = "c1", spend: float = 10.5, **extra: Any) -> RawEvent:
    """A raw event of the built-in ``canonical`` source holding one marketing row."""
    payload = {
        "date": day.isoformat(),
        "channel": "meta",
        "platform": "facebook",
        "campaign_id": campaign_id,
        "currency": "USD",
        "spend": spend,
        "impressions": 1000,
        "clicks": 20,
        "conversions": 2,
        "revenue": 40.0,
    } | extra
    return make_raw_event(payload, idempotency_key=idempotency_key("row", day, campaign_id))


def canonical_outcome_event(day: date, revenue: float = 1000.0, orders: int = 10) -> RawEvent:
    """A raw event of the built-in ``canonical`` source holding one day of store outcome."""
    payload = {"date": day.isoformat(), "revenue": revenue, "orders": orders, "currency": "USD"}
    return make_raw_event(payload, stream="store_outcomes", idempotency_key=idempotency_key("outcome", day))
