"""The shared machinery: retry policy table, paginators, cursor slicing and the durable store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
import respx

from liftos.errors import ConfigError, DataError, TransientError
from liftos.integrations.cursors import CursorState, CursorStore, SlicePlan, plan_slices, split_range
from liftos.integrations.http_core import HttpClient, Request, parse_retry_after, redact
from liftos.integrations.paginators import BodyCursorPaginator, NextLinkPaginator, PageTokenPaginator

from .recorded import SleepRecorder, load, recording_policy

BASE = "https://api.test"


def _client(sleep: SleepRecorder, **policy: float | int) -> HttpClient:
    return HttpClient(source="test", base_url=BASE, policy=recording_policy(sleep, **policy))


class TestRetryPolicy:
    """429/5xx/timeouts retry with backoff or the server's hint; bad bodies are bounded."""

    @respx.mock
    async def test_429_retry_after_seconds_is_honoured(self) -> None:
        """Given a 429 with Retry-After: 7, when sending, then it waits 7 s once and succeeds."""
        sleep = SleepRecorder()
        respx.get(f"{BASE}/x").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "7"}),
                httpx.Response(200, json={"ok": 1}),
            ]
        )
        body = await _client(sleep).send_json(Request("GET", "/x"))
        assert body == {"ok": 1}
        assert sleep.calls == [7.0]

    def test_retry_after_http_date(self) -> None:
        """Given an HTTP-date Retry-After, the wait is the seconds until it."""
        now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        value = format_datetime(now + timedelta(seconds=90), usegmt=True)
        assert parse_retry_after(value, now) == pytest.approx(90.0)
        assert parse_retry_after("garbage") is None

    @respx.mock
    async def test_5xx_backs_off_exponentially_with_jitter_and_cap(self) -> None:
        """Given four 503s, the waits are jitter × base × 2^n, capped."""
        sleep = SleepRecorder()
        respx.get(f"{BASE}/x").mock(side_effect=[httpx.Response(503)] * 4 + [httpx.Response(200, json=[])])
        await _client(sleep, base_s=1.0, cap_s=3.0).send_json(Request("GET", "/x"))
        assert sleep.calls == [0.5, 1.0, 1.5, 1.5]

    @respx.mock
    async def test_timeouts_are_transient(self) -> None:
        """Given a read timeout, then it retries."""
        sleep = SleepRecorder()
        respx.get(f"{BASE}/x").mock(side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={})])
        assert await _client(sleep).send_json(Request("GET", "/x")) == {}
        assert len(sleep.calls) == 1

    @respx.mock
    async def test_retries_exhausted_raise_transient(self) -> None:
        """Given endless 500s, then TransientError after max_attempts."""
        route = respx.get(f"{BASE}/x").mock(return_value=httpx.Response(500))
        with pytest.raises(TransientError):
            await _client(SleepRecorder(), max_attempts=3).send_json(Request("GET", "/x"))
        assert route.call_count == 3

    @respx.mock
    async def test_hint_longer_than_allowed_fails_fast_with_retry_after(self) -> None:
        """Given a daily-cap 429 (Retry-After: 73473), then TransientError(retry_after) at once."""
        sleep = SleepRecorder()
        respx.get(f"{BASE}/x").mock(return_value=httpx.Response(429, headers={"Retry-After": "73473"}))
        with pytest.raises(TransientError) as caught:
            await _client(sleep, max_hint_s=600).send_json(Request("GET", "/x"))
        assert caught.value.retry_after == 73473
        assert sleep.calls == []

    @respx.mock
    async def test_malformed_body_retried_then_data_error(self) -> None:
        """Given bodies that are never valid JSON, then DataError after the malformed budget."""
        route = respx.get(f"{BASE}/x").mock(return_value=httpx.Response(200, content=b'{"data": [1, 2'))
        with pytest.raises(DataError):
            await _client(SleepRecorder(), malformed_attempts=3).send_json(Request("GET", "/x"))
        assert route.call_count == 3

    @respx.mock
    async def test_401_without_refreshable_auth_is_config_error(self) -> None:
        """Given a 401 and credentials that cannot refresh, then ConfigError at once."""
        route = respx.get(f"{BASE}/x").mock(return_value=httpx.Response(401, json={}))
        with pytest.raises(ConfigError):
            await _client(SleepRecorder()).send_json(Request("GET", "/x"))
        assert route.call_count == 1

    def test_redact(self) -> None:
        """Secrets never survive into messages."""
        assert redact("token=EAAsecret123 ok", ["EAAsecret123"]) == "token=*** ok"


class TestPaginators:
    """Graph cursors, JSON:API next links and Google page tokens."""

    def test_body_cursor_needs_cursor_and_next(self) -> None:
        paginator = BodyCursorPaginator(page_size=1000)
        first = paginator.init_request(Request("GET", "/act_1/insights"))
        assert first.params == {"limit": "1000"}
        paginator.update_state(load("meta_insights_page1"))
        assert paginator.has_next
        assert paginator.update_request(first).params["after"] == "MAZDZD"
        paginator.update_state(load("meta_insights_page2"))  # cursors but no next: last page
        assert not paginator.has_next

    def test_next_link_keeps_method_and_body(self) -> None:
        paginator = NextLinkPaginator()
        request = Request("POST", "/api/campaign-values-reports", params={"a": "1"}, json={"data": {}})
        paginator.update_state(load("klaviyo_campaigns_page1"))
        following = paginator.update_request(request)
        assert following.url.startswith("https://a.klaviyo.com/api/campaigns?")
        assert following.params == {}
        assert following.json == {"data": {}}
        paginator.update_state(load("klaviyo_campaigns_page2"))
        assert not paginator.has_next

    def test_page_token_goes_into_the_body(self) -> None:
        paginator = PageTokenPaginator()
        paginator.update_state(load("google_search_page1"))
        following = paginator.update_request(Request("POST", "/s", json={"query": "q"}))
        assert following.json == {"query": "q", "pageToken": "eyJxIjoiYWJjIiwibyI6MX0="}
        paginator.update_state(load("google_search_page2"))
        assert not paginator.has_next


class TestCursors:
    """First run from ``since``; later runs re-read the lookback; aligned report windows."""

    def test_first_run_starts_at_since_in_steps(self) -> None:
        state = CursorState(source="s", account="a", stream="x")
        slices = plan_slices(
            state, SlicePlan(step_days=30, lookback_days=28), date(2025, 1, 1), date(2025, 3, 5)
        )
        assert [(s.start, s.end) for s in slices] == [
            (date(2025, 1, 1), date(2025, 1, 30)),
            (date(2025, 1, 31), date(2025, 3, 1)),
            (date(2025, 3, 2), date(2025, 3, 5)),
        ]

    def test_prior_state_rereads_the_lookback_window(self) -> None:
        state = CursorState(source="s", account="a", stream="x", cursor=date(2025, 6, 30))
        slices = plan_slices(
            state, SlicePlan(step_days=90, lookback_days=28), date(2025, 1, 1), date(2025, 7, 2)
        )
        assert slices[0].start == date(2025, 6, 3)
        assert slices[-1].end == date(2025, 7, 2)

    def test_aligned_slices_are_stable(self) -> None:
        a = split_range(date(2025, 1, 3), date(2025, 1, 20), 7, aligned=True)
        b = split_range(date(2025, 1, 10), date(2025, 1, 20), 7, aligned=True)
        assert {s.end for s in b} <= {s.end for s in a}
        assert {s.start for s in b[1:]} <= {s.start for s in a}
        assert all(s.days <= 7 for s in a)

    def test_cursor_never_moves_back(self) -> None:
        state = CursorState(source="s", account="a", stream="x", cursor=date(2025, 6, 30))
        assert state.advanced(date(2025, 6, 10), 5).cursor == date(2025, 6, 30)

    def test_store_roundtrip_is_durable_and_versioned(self, tmp_path: Path) -> None:
        path = tmp_path / "state" / "cursors.json"
        store = CursorStore(path)
        store.commit(store.load("meta", "act_1", "insights").advanced(date(2025, 5, 1), 10))
        reopened = CursorStore(path)
        state = reopened.load("meta", "act_1", "insights")
        assert state.cursor == date(2025, 5, 1)
        assert state.records == 10
        assert json.loads(path.read_text())["states"]["meta/act_1/insights"]["version"] == 1
        assert [p.name for p in path.parent.iterdir()] == ["cursors.json"]  # no temp files left
