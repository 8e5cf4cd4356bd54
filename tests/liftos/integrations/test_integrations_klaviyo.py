"""Klaviyo: listings (links.next), values reports over aligned daily windows, store outcomes (respx)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import orjson
import pytest
import respx

from liftos.errors import ConfigError
from liftos.events import RawEvent
from liftos.integrations import KlaviyoConnector, MemoryCursorStore
from liftos.integrations.cursors import CursorState
from liftos.integrations.sync import sync_stream

from .recorded import SleepRecorder, recorded, recording_policy

BASE = "https://klaviyo.test"
ACCOUNT = "XyZ123"
KEY = "pk_fixture0000000000000000000000000"


def _klaviyo(sleep: SleepRecorder, **kwargs: Any) -> KlaviyoConnector:
    return KlaviyoConnector(
        api_key=KEY, public_key=ACCOUNT, base_url=BASE, policy=recording_policy(sleep), **kwargs
    )


async def _sync(
    connector: KlaviyoConnector, stream: str, since: date, until: date, store: MemoryCursorStore | None = None
) -> tuple[list[RawEvent], MemoryCursorStore]:
    store = store or MemoryCursorStore()
    events: list[RawEvent] = []

    async def publish(batch: Any) -> None:
        events.extend(batch)

    await sync_stream(connector, ACCOUNT, stream, publish=publish, store=store, since=since, until=until)
    return events, store


@pytest.fixture
def metrics(mocked: respx.MockRouter) -> respx.Route:
    # the account (its preferred currency travels with the derived daily records)
    mocked.get(f"{BASE}/api/accounts").mock(return_value=recorded("klaviyo_accounts"))
    return mocked.get(f"{BASE}/api/metrics").mock(return_value=recorded("klaviyo_metrics"))


class TestCampaigns:
    """GET /api/campaigns?filter=equals(messages.channel,'email'), JSON:API links.next, full refresh."""

    async def test_single_page(self, mocked: respx.MockRouter) -> None:
        """Given one page, then two events keyed by id; auth and revision headers are sent."""
        route = mocked.get(f"{BASE}/api/campaigns").mock(return_value=recorded("klaviyo_campaigns_single"))
        events, _ = await _sync(_klaviyo(SleepRecorder()), "campaigns", date(2025, 12, 1), date(2025, 12, 31))
        assert [e.payload["id"] for e in events] == [
            "01JAB000000000000000000000",
            "01JAB000000000000000000001",
        ]
        request = route.calls[0].request
        assert request.headers["Authorization"] == f"Klaviyo-API-Key {KEY}"
        assert request.headers["revision"] == "2026-10-15"
        assert request.url.params["filter"] == "equals(messages.channel,'email')"

    async def test_many_pages(self, mocked: respx.MockRouter) -> None:
        """Given links.next (on the API's own origin, as recorded), then the next request goes to that URL."""
        live = "https://a.klaviyo.com"
        pages = mocked.get(f"{live}/api/campaigns").mock(
            side_effect=[recorded("klaviyo_campaigns_page1"), recorded("klaviyo_campaigns_page2")]
        )
        connector = KlaviyoConnector(
            api_key=KEY, public_key=ACCOUNT, base_url=live, policy=recording_policy(SleepRecorder())
        )
        events, _ = await _sync(connector, "campaigns", date(2025, 12, 1), date(2025, 12, 31))
        assert len(events) == 2
        assert pages.calls[1].request.url.params["page[cursor]"] == "YnoxMDA"

    async def test_throttled_429_retry_after(self, mocked: respx.MockRouter) -> None:
        """Given a 429 with Retry-After: 1, then it waits 1 s and retries."""
        mocked.get(f"{BASE}/api/campaigns").mock(
            side_effect=[
                recorded("klaviyo_error_429", 429, {"Retry-After": "1"}),
                recorded("klaviyo_campaigns_single"),
            ]
        )
        sleep = SleepRecorder()
        events, _ = await _sync(_klaviyo(sleep), "campaigns", date(2025, 12, 1), date(2025, 12, 31))
        assert (len(events), sleep.calls) == (2, [1.0])

    async def test_auth_refused_is_config_error_at_once(self, mocked: respx.MockRouter) -> None:
        """Given a 401, then ConfigError without retries and without the key in the message."""
        route = mocked.get(f"{BASE}/api/campaigns").mock(return_value=recorded("klaviyo_error_401", 401))
        with pytest.raises(ConfigError) as caught:
            await _sync(_klaviyo(SleepRecorder()), "campaigns", date(2025, 12, 1), date(2025, 12, 31))
        assert route.call_count == 1
        assert KEY not in str(caught.value)

    async def test_server_error_then_success(self, mocked: respx.MockRouter) -> None:
        mocked.get(f"{BASE}/api/campaigns").mock(
            side_effect=[recorded("klaviyo_error_503", 503), recorded("klaviyo_campaigns_single")]
        )
        events, _ = await _sync(_klaviyo(SleepRecorder()), "campaigns", date(2025, 12, 1), date(2025, 12, 31))
        assert len(events) == 2

    async def test_malformed_body_then_success(self, mocked: respx.MockRouter) -> None:
        mocked.get(f"{BASE}/api/campaigns").mock(
            side_effect=[
                httpx.Response(200, content=b'{"data": [{"type"'),
                recorded("klaviyo_campaigns_single"),
            ]
        )
        events, _ = await _sync(_klaviyo(SleepRecorder()), "campaigns", date(2025, 12, 1), date(2025, 12, 31))
        assert len(events) == 2


class TestCampaignValues:
    """POST /api/campaign-values-reports over aligned daily windows, Placed Order as conversion metric."""

    async def test_first_run_one_report_per_day(self, mocked: respx.MockRouter, metrics: respx.Route) -> None:
        """Given 3 days and no state, then 3 reports with day timeframes; keys include the window."""
        route = mocked.post(f"{BASE}/api/campaign-values-reports").mock(
            return_value=recorded("klaviyo_campaign_values")
        )
        events, store = await _sync(
            _klaviyo(SleepRecorder()), "campaign_values", date(2025, 12, 1), date(2025, 12, 3)
        )
        bodies = [orjson.loads(c.request.content)["data"]["attributes"] for c in route.calls]
        assert [b["timeframe"]["start"][:10] for b in bodies] == ["2025-12-01", "2025-12-02", "2025-12-03"]
        assert bodies[0]["timeframe"]["end"] == "2025-12-02T00:00:00+00:00"
        assert bodies[0]["conversion_metric_id"] == "RESQ6t"
        assert len({e.idempotency_key for e in events}) == 3
        assert events[0].request_slice.start == events[0].request_slice.end == date(2025, 12, 1)
        assert metrics.call_count == 1
        assert store.load("klaviyo", ACCOUNT, "campaign_values").cursor == date(2025, 12, 3)

    async def test_run_with_prior_state_rewrites_the_same_keys(
        self, mocked: respx.MockRouter, metrics: respx.Route
    ) -> None:
        """Given a cursor, then the 7-day lookback re-reads whole aligned days with identical keys."""
        mocked.post(f"{BASE}/api/campaign-values-reports").mock(
            return_value=recorded("klaviyo_campaign_values")
        )
        store = MemoryCursorStore()
        first, _ = await _sync(
            _klaviyo(SleepRecorder()), "campaign_values", date(2025, 12, 1), date(2025, 12, 10), store
        )
        again, _ = await _sync(
            _klaviyo(SleepRecorder()), "campaign_values", date(2025, 12, 1), date(2025, 12, 10), store
        )
        assert again[0].request_slice.start == date(2025, 12, 4)
        assert {e.idempotency_key for e in again} <= {e.idempotency_key for e in first}

    async def test_daily_cap_429_ends_the_poll_with_retry_after(
        self, mocked: respx.MockRouter, metrics: respx.Route
    ) -> None:
        """Given the 225/day cap (Retry-After: 73473), then the poll stops, earlier days stay committed."""
        from liftos.errors import TransientError

        mocked.post(f"{BASE}/api/campaign-values-reports").mock(
            side_effect=[
                recorded("klaviyo_campaign_values"),
                recorded("klaviyo_error_429", 429, {"Retry-After": "73473"}),
            ]
        )
        store = MemoryCursorStore()
        with pytest.raises(TransientError) as caught:
            await _sync(
                _klaviyo(SleepRecorder()), "campaign_values", date(2025, 12, 1), date(2025, 12, 3), store
            )
        assert caught.value.retry_after == 73473
        assert store.load("klaviyo", ACCOUNT, "campaign_values").cursor == date(2025, 12, 1)


class TestStoreOutcomes:
    """POST /api/metric-aggregates (Placed Order: count, sum_value per day): one record per day."""

    async def test_daily_records(self, mocked: respx.MockRouter, metrics: respx.Route) -> None:
        route = mocked.post(f"{BASE}/api/metric-aggregates").mock(
            return_value=recorded("klaviyo_metric_aggregates")
        )
        events, _ = await _sync(
            _klaviyo(SleepRecorder()), "store_outcomes", date(2025, 12, 1), date(2025, 12, 3)
        )
        assert [e.payload["measurements"] for e in events] == [
            {"count": 118.0, "sum_value": 7311.4},
            {"count": 131.0, "sum_value": 8020.92},
            {"count": 97.0, "sum_value": 6002.5},
        ]
        attributes = orjson.loads(route.calls[0].request.content)["data"]["attributes"]
        assert attributes["filter"] == [
            "greater-or-equal(datetime,2025-12-01T00:00:00)",
            "less-than(datetime,2025-12-04T00:00:00)",
        ]

    async def test_prior_state_rereads_seven_days(
        self, mocked: respx.MockRouter, metrics: respx.Route
    ) -> None:
        route = mocked.post(f"{BASE}/api/metric-aggregates").mock(
            return_value=recorded("klaviyo_metric_aggregates")
        )
        store = MemoryCursorStore()
        store.commit(
            CursorState(source="klaviyo", account=ACCOUNT, stream="store_outcomes", cursor=date(2025, 12, 20))
        )
        await _sync(_klaviyo(SleepRecorder()), "store_outcomes", date(2025, 1, 1), date(2025, 12, 21), store)
        attributes = orjson.loads(route.calls[0].request.content)["data"]["attributes"]
        assert attributes["filter"][0] == "greater-or-equal(datetime,2025-12-14T00:00:00)"
