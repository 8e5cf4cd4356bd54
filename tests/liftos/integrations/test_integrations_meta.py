"""Meta insights: per-endpoint cases with recorded responses (respx), sync GET and async report runs."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import orjson
import pytest
import respx

from liftos.errors import ConfigError
from liftos.events import RawEvent, RequestSlice
from liftos.integrations import MemoryCursorStore, MetaAdsConnector
from liftos.integrations.cursors import CursorState
from liftos.integrations.sync import sync_stream

from .recorded import SleepRecorder, recorded, recording_policy

BASE = "https://graph.test"
ACCOUNT = "act_100000000000001"
INSIGHTS = f"{BASE}/v26.0/{ACCOUNT}/insights"
PROBE = f"{BASE}/v26.0/me/adaccounts"
TOKEN = "EAAtestTOKEN0123456789"


def _meta(sleep: SleepRecorder, use_async: bool = False, **kwargs: Any) -> MetaAdsConnector:
    return MetaAdsConnector(
        access_token=TOKEN,
        app_id="1234",
        app_secret="appsecret0",
        ad_account_id=ACCOUNT,
        base_url=BASE,
        use_async=use_async,
        policy=recording_policy(sleep),
        **kwargs,
    )


async def _sync(
    connector: MetaAdsConnector, since: date, until: date, store: MemoryCursorStore | None = None
) -> tuple[list[RawEvent], MemoryCursorStore]:
    store = store or MemoryCursorStore()
    events: list[RawEvent] = []

    async def publish(batch: Any) -> None:
        events.extend(batch)

    await sync_stream(connector, ACCOUNT, "insights", publish=publish, store=store, since=since, until=until)
    return events, store


def _time_range(request: httpx.Request) -> dict[str, str]:
    params = dict(request.url.params)
    if not params.get("time_range"):
        params.update(dict(httpx.QueryParams(request.content.decode())))
    return dict(orjson.loads(params["time_range"]))


class TestInsightsSync:
    """GET /v26.0/act_{id}/insights, level=ad, time_increment=1, 30-day slices, 28-day lookback."""

    async def test_single_page(self, mocked: respx.MockRouter) -> None:
        """Given one page, when syncing one day, then two events with the payload untouched."""
        mocked.get(INSIGHTS).mock(return_value=recorded("meta_insights_single"))
        events, _ = await _sync(_meta(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 1))
        assert [e.payload["spend"] for e in events] == ["14.35", "9.1"]
        assert len({e.idempotency_key for e in events}) == 2
        assert events[0].payload["actions"][1] == {"action_type": "omni_purchase", "value": "3"}

    async def test_many_pages(self, mocked: respx.MockRouter) -> None:
        """Given a page with cursors.after + next, then the next request repeats the path with after=."""
        route = mocked.get(INSIGHTS).mock(
            side_effect=[recorded("meta_insights_page1"), recorded("meta_insights_page2")]
        )
        events, _ = await _sync(_meta(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 1))
        assert len(events) == 2
        assert route.calls[1].request.url.params["after"] == "MAZDZD"
        assert route.calls[0].request.url.params["limit"] == "1000"

    async def test_first_run_without_state(self, mocked: respx.MockRouter) -> None:
        """Given no state, then slices of ≤30 days from since, and the cursor ends at until."""
        route = mocked.get(INSIGHTS).mock(return_value=recorded("meta_insights_single"))
        _, store = await _sync(_meta(SleepRecorder()), date(2025, 1, 1), date(2025, 3, 5))
        ranges = [_time_range(call.request) for call in route.calls]
        assert ranges[0] == {"since": "2025-01-01", "until": "2025-01-30"}
        assert ranges[-1] == {"since": "2025-03-02", "until": "2025-03-05"}
        assert store.load("meta", ACCOUNT, "insights").cursor == date(2025, 3, 5)

    async def test_run_with_prior_state_rereads_28_days(self, mocked: respx.MockRouter) -> None:
        """Given a cursor at 2025-06-30, then the poll starts 27 days before it (28-day lookback)."""
        route = mocked.get(INSIGHTS).mock(return_value=recorded("meta_insights_single"))
        store = MemoryCursorStore()
        store.commit(CursorState(source="meta", account=ACCOUNT, stream="insights", cursor=date(2025, 6, 30)))
        first, _ = await _sync(_meta(SleepRecorder()), date(2025, 1, 1), date(2025, 7, 2), store)
        assert _time_range(route.calls[0].request)["since"] == "2025-06-03"
        again, _ = await _sync(_meta(SleepRecorder()), date(2025, 1, 1), date(2025, 7, 2), store)
        assert [e.idempotency_key for e in first] == [e.idempotency_key for e in again]

    async def test_throttled_codes_17_and_80000_in_http_400(self, mocked: respx.MockRouter) -> None:
        """Given throttles as HTTP 400 bodies, then they are retried, not failed."""
        mocked.get(INSIGHTS).mock(
            side_effect=[
                recorded("meta_error_17", 400),
                recorded("meta_error_80000", 400),
                recorded("meta_insights_single"),
            ]
        )
        connector = _meta(SleepRecorder())
        events, _ = await _sync(connector, date(2025, 12, 1), date(2025, 12, 1))
        assert len(events) == 2
        assert connector.stats["retry:throttle"] == 2

    async def test_throttled_429_retry_after_and_buc_estimate(self, mocked: respx.MockRouter) -> None:
        """Given Retry-After and estimated_time_to_regain_access (minutes), then those waits are used."""
        usage = orjson.dumps(
            {"100000000000001": [{"type": "ads_insights", "estimated_time_to_regain_access": 2}]}
        )
        mocked.get(INSIGHTS).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "5"}),
                recorded("meta_error_80000", 400, {"x-business-use-case-usage": usage.decode()}),
                recorded("meta_insights_single"),
            ]
        )
        sleep = SleepRecorder()
        await _sync(_meta(sleep), date(2025, 12, 1), date(2025, 12, 1))
        assert sleep.calls == [5.0, 120.0]

    async def test_auth_expired_190_is_config_error_without_retry_storm(
        self, mocked: respx.MockRouter
    ) -> None:
        """Given a token Meta refuses (190) on data and probe, then ConfigError after 1 call + 3 probes."""
        data = mocked.get(INSIGHTS).mock(return_value=recorded("meta_error_190", 400))
        probe = mocked.get(PROBE).mock(return_value=recorded("meta_error_190", 400))
        with pytest.raises(ConfigError) as caught:
            await _sync(_meta(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 1))
        assert (data.call_count, probe.call_count) == (1, 3)
        assert TOKEN not in str(caught.value)

    async def test_spurious_190_is_verified_and_retried(self, mocked: respx.MockRouter) -> None:
        """Given one 190 while the probe accepts the token, then the request is retried once."""
        mocked.get(INSIGHTS).mock(
            side_effect=[recorded("meta_error_190", 400), recorded("meta_insights_single")]
        )
        mocked.get(PROBE).mock(return_value=recorded("meta_adaccounts"))
        events, _ = await _sync(_meta(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 1))
        assert len(events) == 2

    async def test_server_error_then_success(self, mocked: respx.MockRouter) -> None:
        """Given a 500 with code 2 (transient), then it retries."""
        mocked.get(INSIGHTS).mock(
            side_effect=[recorded("meta_error_2", 500), recorded("meta_insights_single")]
        )
        events, _ = await _sync(_meta(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 1))
        assert len(events) == 2

    async def test_malformed_body_then_success(self, mocked: respx.MockRouter) -> None:
        """Given a truncated JSON body, then it is re-requested."""
        mocked.get(INSIGHTS).mock(
            side_effect=[
                httpx.Response(200, content=b'{"data": [{"spend": "1'),
                recorded("meta_insights_single"),
            ]
        )
        events, _ = await _sync(_meta(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 1))
        assert len(events) == 2

    async def test_token_travels_in_a_header_with_appsecret_proof(self, mocked: respx.MockRouter) -> None:
        """The token is never put in a URL; appsecret_proof is."""
        route = mocked.get(INSIGHTS).mock(return_value=recorded("meta_insights_single"))
        await _sync(_meta(SleepRecorder()), date(2025, 12, 1), date(2025, 12, 1))
        request = route.calls[0].request
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in str(request.url)
        assert len(request.url.params["appsecret_proof"]) == 64

    async def test_account_discovery(self, mocked: respx.MockRouter) -> None:
        """Given no account, then /me/adaccounts lists them."""
        mocked.get(PROBE).mock(return_value=recorded("meta_adaccounts"))
        connector = MetaAdsConnector(access_token=TOKEN, base_url=BASE)
        assert await connector.accounts() == ["act_100000000000001", "act_100000000000002"]


class TestInsightsAsyncReportRuns:
    """POST insights → report_run_id → poll async_status → GET /{run}/insights; split on failure."""

    async def test_run_completes_after_running_at_100_percent(self, mocked: respx.MockRouter) -> None:
        """Given 'Job Running' at 100 %, then it keeps polling until 'Job Completed'."""
        mocked.post(INSIGHTS).mock(return_value=recorded("meta_report_run_started"))
        status = mocked.get(f"{BASE}/v26.0/6100000000000700001").mock(
            side_effect=[recorded("meta_report_run_running"), recorded("meta_report_run_completed")]
        )
        mocked.get(f"{BASE}/v26.0/6100000000000700001/insights").mock(
            return_value=recorded("meta_insights_single")
        )
        sleep = SleepRecorder()
        events, _ = await _sync(_meta(sleep, use_async=True), date(2025, 12, 1), date(2025, 12, 1))
        assert len(events) == 2
        assert status.call_count == 2
        assert sleep.calls == [2.0, 3.0]

    async def test_failed_run_is_split_by_date(self, mocked: respx.MockRouter) -> None:
        """Given a failed 2-day run, then each day is run on its own."""
        runs = iter(["61", "62", "63"])
        starts = mocked.post(INSIGHTS).mock(
            side_effect=lambda _: httpx.Response(200, json={"report_run_id": next(runs)})
        )
        mocked.get(f"{BASE}/v26.0/61").mock(return_value=recorded("meta_report_run_failed"))
        for run in ("62", "63"):
            mocked.get(f"{BASE}/v26.0/{run}").mock(return_value=recorded("meta_report_run_completed"))
            mocked.get(f"{BASE}/v26.0/{run}/insights").mock(return_value=recorded("meta_insights_page2"))
        events, _ = await _sync(_meta(SleepRecorder(), use_async=True), date(2025, 12, 1), date(2025, 12, 2))
        ranges = [_time_range(call.request) for call in starts.calls]
        assert ranges[1:] == [
            {"since": "2025-12-01", "until": "2025-12-01"},
            {"since": "2025-12-02", "until": "2025-12-02"},
        ]
        assert len(events) == 2

    async def test_hung_run_times_out_and_falls_back_to_sync(self, mocked: respx.MockRouter) -> None:
        """Given a one-day run that never completes, then after the timeout the day is read synchronously."""
        mocked.post(INSIGHTS).mock(return_value=recorded("meta_report_run_started"))
        mocked.get(f"{BASE}/v26.0/6100000000000700001").mock(return_value=recorded("meta_report_run_running"))
        sync_get = mocked.get(INSIGHTS).mock(return_value=recorded("meta_insights_single"))
        sleep = SleepRecorder()
        connector = _meta(sleep, use_async=True, job_timeout_s=30.0)
        events, _ = await _sync(connector, date(2025, 12, 1), date(2025, 12, 1))
        assert len(events) == 2
        assert sync_get.call_count == 1
        assert sum(sleep.calls) > 30.0


def test_request_slice_params_roundtrip() -> None:
    """The envelope's request slice records the query (level, fields, breakdowns)."""
    from liftos.integrations.meta.connector import InsightsQuery

    query = InsightsQuery(level="adset", breakdowns=("age", "gender"))
    assert (
        InsightsQuery.from_slice_params(
            RequestSlice(start=date(2025, 1, 1), end=date(2025, 1, 1), params=query.as_slice_params()).params
        )
        == query
    )
