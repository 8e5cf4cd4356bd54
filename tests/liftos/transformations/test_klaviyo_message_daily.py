"""Klaviyo's daily message records (metric aggregates joined per message and day) map like a values report,
in the account's currency, converted at the rate of their day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from liftos.events import NormalizedRow, RawEvent, RequestSlice
from liftos.transformations import map_raw_event
from liftos.transformations.context import MappingContext
from liftos.transformations.fx_rates import DailyRates

DAY = date(2024, 3, 1)


def _event(payload: dict[str, object]) -> RawEvent:
    return RawEvent(
        source="klaviyo",
        account_id="XyZ123",
        stream="message_daily",
        request_slice=RequestSlice(start=date(2024, 1, 1), end=date(2024, 12, 31)),
        fetched_at=datetime(2024, 12, 31, tzinfo=UTC),
        payload=payload,
        idempotency_key="k" * 32,
    )


def test_a_flow_message_day_becomes_one_row_in_the_reporting_currency() -> None:
    context = MappingContext(
        reporting_currency="USD", daily_rates=DailyRates("USD"), email_cost_per_recipient=0.01
    )
    payload = {
        "date": DAY.isoformat(),
        "groupings": {
            "flow_id": "F1",
            "flow_message_id": "M1",
            "flow_name": "Welcome",
            "send_channel": "email",
        },
        "statistics": {
            "recipients": 1000.0,
            "delivered": 990.0,
            "bounced": 10.0,
            "clicks": 42.0,
            "conversions": 3.0,
            "conversion_value": 150.0,
        },
        "currency": "EUR",
    }
    (row,) = map_raw_event(_event(payload), context)
    assert isinstance(row, NormalizedRow)
    rate = DailyRates("USD").rate("EUR", DAY)
    assert (row.date, row.campaign_id, row.ad_group_id, row.campaign) == (DAY, "F1", "M1", "Welcome")
    assert row.spend == pytest.approx(10.0 * rate) and row.revenue == pytest.approx(150.0 * rate)
    assert (row.impressions, row.clicks, row.source_currency) == (1000, 42, "EUR")
