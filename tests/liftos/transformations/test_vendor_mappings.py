"""Vendor mappers on recorded API payloads: units, canonical purchase types, FX, the email cost model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from liftos.errors import DataError
from liftos.events import NormalizedRow, RawEvent, RequestSlice, StoreOutcomeRow, idempotency_key
from liftos.integrations import GoogleAdsConnector, KlaviyoConnector, MetaAdsConnector
from liftos.integrations.endpoints import RawRecord
from liftos.integrations.klaviyo.reporting import explode_aggregate
from liftos.transformations import DEFAULT_CONTEXT, MappingContext, map_raw_event
from liftos.transformations.raw_events import mapped_streams
from tests.liftos.integrations.recorded import load

DAY = date(2025, 12, 1)
FETCHED = datetime(2025, 12, 5, tzinfo=UTC)
EUR = MappingContext(reporting_currency="EUR", fx_rates={"USD": 0.5})


def _event(source: str, stream: str, payload: dict[str, Any], start: date = DAY, end: date = DAY) -> RawEvent:
    return RawEvent(
        source=source,
        account_id="acct-1",
        stream=stream,
        request_slice=RequestSlice(start=start, end=end),
        fetched_at=FETCHED,
        payload=payload,
        idempotency_key=idempotency_key(source, stream, str(payload)[:200]),
    )


def _row(event: RawEvent, context: MappingContext = DEFAULT_CONTEXT) -> NormalizedRow:
    (row,) = map_raw_event(event, context)
    assert isinstance(row, NormalizedRow)
    return NormalizedRow.model_validate(row.model_dump())  # constructed rows pass full validation


def test_every_connector_stream_has_a_mapper() -> None:
    known = set(mapped_streams())
    for connector in (MetaAdsConnector, GoogleAdsConnector, KlaviyoConnector):
        streams = (
            {"ad_group_daily", "campaign_daily"} if connector is GoogleAdsConnector else connector.streams
        )
        assert {(connector.source, s) for s in streams} <= known


def test_meta_counts_the_canonical_purchase_once_not_its_aliases() -> None:
    payload = load("meta_insights_page1")["data"][0]
    row = _row(_event("meta", "insights", payload))
    assert (row.spend, row.impressions, row.clicks) == (14.35, 1850, 37)
    assert (row.conversions, row.revenue) == (3.0, 184.11)  # three alias types, counted once
    assert (row.date, row.channel, row.platform, row.currency, row.fx_rate) == (
        DAY,
        "meta",
        "meta",
        "USD",
        1.0,
    )
    assert (row.campaign_id, row.ad_group_id, row.ad_id, row.ad) == (
        "23850000000000001",
        "23850000000000002",
        "23850000000000003",
        "Ad 3",
    )
    assert row.extras == {"reach": 1370.0}


def test_meta_purchase_type_is_configurable_and_absent_types_count_zero() -> None:
    payload = load("meta_insights_page1")["data"][0]
    payload["action_values"][1]["value"] = "99.5"  # only the "purchase" alias differs
    pixel = MappingContext(purchase_action_types={"meta": "purchase"})
    assert _row(_event("meta", "insights", payload), pixel).revenue == 99.5
    other = MappingContext(purchase_action_types={"meta": "lead"})
    assert _row(_event("meta", "insights", payload), other).conversions == 0.0


def test_meta_breakdown_rows_keep_distinct_keys_and_platform() -> None:
    base = load("meta_insights_page1")["data"][0]
    rows = [
        _row(_event("meta", "insights", {**base, "publisher_platform": p, "age": "25-34"}))
        for p in ("facebook", "instagram")
    ]
    assert [r.platform for r in rows] == ["facebook", "instagram"]
    assert [r.breakdown for r in rows] == [
        "age=25-34|publisher_platform=facebook",
        "age=25-34|publisher_platform=instagram",
    ]
    assert rows[0].natural_key() != rows[1].natural_key()


def test_meta_multi_day_buckets_are_refused() -> None:
    payload = {**load("meta_insights_page1")["data"][0], "date_stop": "2025-12-07"}
    with pytest.raises(DataError, match="daily"):
        map_raw_event(_event("meta", "insights", payload))


def test_google_micros_become_currency_units_and_fx_applies() -> None:
    payload = load("google_search_stream")[0]["results"][0]
    row = _row(_event("google_ads", "ad_group_daily", payload), EUR)
    assert (row.source_currency, row.currency, row.fx_rate) == ("USD", "EUR", 0.5)
    assert row.spend == pytest.approx(12.5 * 0.5) and row.revenue == pytest.approx(150.5 * 0.5)
    assert (row.impressions, row.clicks, row.conversions) == (1000, 40, 3.0)
    assert (row.campaign_id, row.ad_group_id, row.platform) == ("2000001", "3000001", "google_ads")


def test_google_segments_form_the_breakdown_and_platform() -> None:
    payload = load("google_search_stream")[0]["results"][0]
    payload["segments"] |= {"adNetworkType": "SEARCH", "device": "MOBILE"}
    row = _row(_event("google_ads", "ad_group_daily", payload))
    assert (row.platform, row.breakdown) == ("search", "ad_network_type=SEARCH|device=MOBILE")


def test_unknown_currency_is_a_data_error() -> None:
    payload = load("google_search_stream")[0]["results"][0]
    payload["customer"]["currencyCode"] = "JPY"
    with pytest.raises(DataError, match="no fx rate for 'JPY'"):
        map_raw_event(_event("google_ads", "ad_group_daily", payload))


def test_klaviyo_spend_is_recipients_times_the_email_cost() -> None:
    payload = load("klaviyo_campaign_values")["data"]["attributes"]["results"][0]
    row = _row(_event("klaviyo", "campaign_values", payload))
    assert row.spend == pytest.approx(12040 * 0.01)
    assert (row.impressions, row.clicks, row.conversions, row.revenue) == (12040, 361, 41.0, 2516.17)
    assert (row.date, row.platform, row.campaign_id) == (DAY, "email", "01JAB000000000000000000000")
    assert row.extras["delivered"] == 11920
    dearer = MappingContext(
        email_cost_per_recipient=0.025, account_currencies={"acct-1": "EUR"}, fx_rates={"EUR": 2.0}
    )
    row = _row(_event("klaviyo", "campaign_values", payload), dearer)
    assert row.spend == pytest.approx(301.0 * 2.0) and row.source_currency == "EUR"


def test_klaviyo_listings_map_to_nothing_and_outcomes_to_store_rows() -> None:
    campaign = load("klaviyo_campaigns_single")["data"][0]
    assert map_raw_event(_event("klaviyo", "campaigns", campaign)) == []
    records = explode_aggregate(load("klaviyo_metric_aggregates")["data"]["attributes"], "M1")
    outcomes = [o for r in records for o in map_raw_event(_event("klaviyo", "store_outcomes", r))]
    assert all(isinstance(o, StoreOutcomeRow) for o in outcomes) and len(outcomes) == 3
    assert [(o.date, o.orders, o.revenue) for o in outcomes if isinstance(o, StoreOutcomeRow)] == [
        (date(2025, 12, 1), 118, 7311.4),
        (date(2025, 12, 2), 131, 8020.92),
        (date(2025, 12, 3), 97, 6002.5),
    ]


def test_connector_envelopes_map_end_to_end() -> None:
    """Raw events built like the connectors build them (to_raw_events) map with their keys."""
    connector = MetaAdsConnector(access_token="t")
    rows = load("meta_insights_single")["data"]
    events = connector.to_raw_events(
        [RawRecord(r, (r["ad_id"], r["date_start"])) for r in rows],
        "act_1",
        "insights",
        RequestSlice(start=DAY, end=DAY),
        FETCHED,
    )
    mapped = [_row(e) for e in events]
    assert [m.event_id for m in mapped] == [e.idempotency_key for e in events]
    assert sum(m.spend for m in mapped) == pytest.approx(23.45)
