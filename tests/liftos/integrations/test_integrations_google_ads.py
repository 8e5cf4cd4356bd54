"""Google Ads: OAuth refresh, searchStream with paged-search fallback, quota errors (respx)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import orjson
import pytest
import respx

from liftos.errors import ConfigError
from liftos.events import RawEvent
from liftos.integrations import GoogleAdsConnector, MemoryCursorStore
from liftos.integrations.cursors import CursorState
from liftos.integrations.google_ads.queries import build_gaql
from liftos.integrations.sync import sync_stream

from .recorded import SleepRecorder, recorded, recording_policy

BASE = "https://googleads.test"
TOKEN_URL = "https://oauth.test/token"
CUSTOMER = "4445556666"
STREAM = f"{BASE}/v26/customers/{CUSTOMER}/googleAds:searchStream"
SEARCH = f"{BASE}/v26/customers/{CUSTOMER}/googleAds:search"


def _google(sleep: SleepRecorder, customer_id: str | None = CUSTOMER, **policy: Any) -> GoogleAdsConnector:
    return GoogleAdsConnector(
        developer_token="DEVTOKEN0001",
        client_id="123-abc.apps.googleusercontent.com",
        client_secret="GOCSPX-x1",
        refresh_token="1//refresh-abc",
        customer_id=customer_id,
        login_customer_id="111-222-3333",
        base_url=BASE,
        token_url=TOKEN_URL,
        policy=recording_policy(sleep, **policy),
    )


async def _sync(
    connector: GoogleAdsConnector, since: date, until: date, store: MemoryCursorStore | None = None
) -> tuple[list[RawEvent], MemoryCursorStore]:
    store = store or MemoryCursorStore()
    events: list[RawEvent] = []

    async def publish(batch: Any) -> None:
        events.extend(batch)

    await sync_stream(
        connector, CUSTOMER, "ad_group_daily", publish=publish, store=store, since=since, until=until
    )
    return events, store


def _query(request: httpx.Request) -> str:
    return str(orjson.loads(request.content)["query"])


@pytest.fixture
def token(mocked: respx.MockRouter) -> respx.Route:
    return mocked.post(TOKEN_URL).mock(return_value=recorded("google_token"))


class TestAdGroupDailySearchStream:
    """POST googleAds:searchStream with GAQL FROM ad_group, 30-day slices, 30-day lookback."""

    async def test_single_page(self, mocked: respx.MockRouter, token: respx.Route) -> None:
        """Given one stream response of two batches, then every row becomes an event; headers are set."""
        route = mocked.post(STREAM).mock(return_value=recorded("google_search_stream"))
        events, _ = await _sync(_google(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 2))
        assert [e.payload["metrics"]["costMicros"] for e in events] == ["12500000", "8000000", "11000000"]
        assert len({e.idempotency_key for e in events}) == 3
        headers = route.calls[0].request.headers
        assert headers["Authorization"] == "Bearer ya29.test-token"
        assert (headers["developer-token"], headers["login-customer-id"]) == ("DEVTOKEN0001", "1112223333")
        assert "BETWEEN '2025-12-01' AND '2025-12-02'" in _query(route.calls[0].request)
        assert token.call_count == 1

    async def test_many_pages_via_paged_search_fallback(
        self, mocked: respx.MockRouter, token: respx.Route
    ) -> None:
        """Given searchStream keeps failing, then paged search follows nextPageToken."""
        mocked.post(STREAM).mock(return_value=recorded("google_error_unavailable", 503))
        search = mocked.post(SEARCH).mock(
            side_effect=[recorded("google_search_page1"), recorded("google_search_page2")]
        )
        events, _ = await _sync(
            _google(SleepRecorder(), max_attempts=2), date(2025, 12, 1), date(2025, 12, 1)
        )
        assert len(events) == 2
        assert orjson.loads(search.calls[1].request.content)["pageToken"] == "eyJxIjoiYWJjIiwibyI6MX0="

    async def test_expired_page_token_restarts_listing(
        self, mocked: respx.MockRouter, token: respx.Route
    ) -> None:
        """Given EXPIRED_PAGE_TOKEN on page 2, then the listing restarts from page 1 (same keys)."""
        mocked.post(STREAM).mock(return_value=recorded("google_error_unavailable", 503))
        mocked.post(SEARCH).mock(
            side_effect=[
                recorded("google_search_page1"),
                recorded("google_error_page_token", 400),
                recorded("google_search_page1"),
                recorded("google_search_page2"),
            ]
        )
        events, _ = await _sync(
            _google(SleepRecorder(), max_attempts=2), date(2025, 12, 1), date(2025, 12, 1)
        )
        assert len({e.idempotency_key for e in events}) == 2

    async def test_first_run_without_state(self, mocked: respx.MockRouter, token: respx.Route) -> None:
        """Given no state, then 30-day slices from since."""
        route = mocked.post(STREAM).mock(return_value=recorded("google_search_stream"))
        _, store = await _sync(_google(SleepRecorder()), date(2025, 1, 1), date(2025, 2, 15))
        assert [_query(c.request).split("BETWEEN ")[1][:29] for c in route.calls] == [
            "'2025-01-01' AND '2025-01-30'",
            "'2025-01-31' AND '2025-02-15'",
        ]
        assert store.load("google_ads", CUSTOMER, "ad_group_daily").cursor == date(2025, 2, 15)

    async def test_run_with_prior_state(self, mocked: respx.MockRouter, token: respx.Route) -> None:
        """Given a cursor, then the 30-day conversion window is re-read."""
        route = mocked.post(STREAM).mock(return_value=recorded("google_search_stream"))
        store = MemoryCursorStore()
        store.commit(
            CursorState(
                source="google_ads", account=CUSTOMER, stream="ad_group_daily", cursor=date(2025, 6, 30)
            )
        )
        await _sync(_google(SleepRecorder()), date(2025, 1, 1), date(2025, 7, 1), store)
        assert "BETWEEN '2025-06-01' AND '2025-06-30'" in _query(route.calls[0].request)

    async def test_throttled_resource_exhausted_honours_retry_delay(
        self, mocked: respx.MockRouter, token: respx.Route
    ) -> None:
        """Given RESOURCE_EXHAUSTED with retryDelay 30s, then it waits 30 s and retries."""
        mocked.post(STREAM).mock(
            side_effect=[recorded("google_error_quota", 429), recorded("google_search_stream")]
        )
        sleep = SleepRecorder()
        events, _ = await _sync(_google(sleep), date(2025, 12, 1), date(2025, 12, 2))
        assert len(events) == 3
        assert sleep.calls == [30.0]

    async def test_auth_expired_refreshes_the_token(
        self, mocked: respx.MockRouter, token: respx.Route
    ) -> None:
        """Given a 401 OAUTH_TOKEN_EXPIRED, then a new token is fetched and the call retried."""
        mocked.post(STREAM).mock(
            side_effect=[recorded("google_error_expired", 401), recorded("google_search_stream")]
        )
        events, _ = await _sync(_google(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 2))
        assert len(events) == 3
        assert token.call_count == 2

    async def test_refused_refresh_token_is_config_error(self, mocked: respx.MockRouter) -> None:
        """Given the token endpoint refuses the grant, then ConfigError with no secret in it."""
        mocked.post(TOKEN_URL).mock(return_value=httpx.Response(400, json={"error": "invalid_grant"}))
        with pytest.raises(ConfigError) as caught:
            await _sync(_google(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 1))
        assert "refresh-abc" not in str(caught.value)

    async def test_server_error_then_success(self, mocked: respx.MockRouter, token: respx.Route) -> None:
        """Given a 503 UNAVAILABLE, then it retries."""
        mocked.post(STREAM).mock(
            side_effect=[recorded("google_error_unavailable", 503), recorded("google_search_stream")]
        )
        events, _ = await _sync(_google(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 2))
        assert len(events) == 3

    async def test_malformed_body_then_success(self, mocked: respx.MockRouter, token: respx.Route) -> None:
        """Given a truncated stream body, then it is re-requested."""
        mocked.post(STREAM).mock(
            side_effect=[
                httpx.Response(200, content=b'[{"results": [{"campaign"'),
                recorded("google_search_stream"),
            ]
        )
        events, _ = await _sync(_google(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 2))
        assert len(events) == 3

    async def test_customer_discovery_skips_the_manager(
        self, mocked: respx.MockRouter, token: respx.Route
    ) -> None:
        mocked.get(f"{BASE}/v26/customers:listAccessibleCustomers").mock(
            return_value=recorded("google_accessible_customers")
        )
        mocked.post(f"{BASE}/v26/customers/1112223333/googleAds:searchStream").mock(
            return_value=recorded("google_customer_clients")
        )
        assert await _google(SleepRecorder(), customer_id=None).accounts() == ["4445556666", "7778889999"]


def test_gaql_from_seed_fields_and_segments() -> None:
    """The seed's fields/segments become one GAQL query with ids and the date range."""
    query = build_gaql(
        ["campaign.name", "ad_group.name", "segments.date", "metrics.cost_micros"],
        ["segments.device"],
        date(2024, 1, 1),
        date(2024, 1, 30),
    )
    assert query == (
        "SELECT campaign.id, ad_group.id, segments.date, campaign.name, ad_group.name, metrics.cost_micros, "
        "segments.device FROM ad_group WHERE segments.date BETWEEN '2024-01-01' AND '2024-01-30' "
        "ORDER BY segments.date ASC"
    )
