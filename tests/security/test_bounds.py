"""Findings: endless pagination, Meta async-report results held in memory, a decompression bomb, a
slow drip with no total deadline. Every loop, body and wait is bounded, and the bounds are asserted."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from typing import Any

import pytest
from aiohttp import web

from liftos.errors import DataError, TransientError
from liftos.integrations import KlaviyoConnector, MetaAdsConnector
from liftos.integrations.http_core import ConnectorLimits, Request
from liftos_ingestor import service
from liftos_ingestor.landing_tracker import PublishGate
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.polling import make_connector
from liftos_ingestor.settings import IngestorSettings
from tests.liftos.integrations.emulator_harness import fast_policy
from tests.security.hostile import DAY, RecordingLog, Servers, collect_error, hostile

KEY = "pk_Kx7/Qm+Zr=9vLw2Ht5Ny8Pb3Jd6Fs1Ga4"
TOKEN = "EAAGx9/Zq+Tp2Lm=Rw8Vn4Hk1Jc6Ys3Bd7Fe0"
MIB = 1 << 20

Handler = Callable[[web.Request, Servers], Awaitable[web.StreamResponse]]


def _klaviyo(servers: Servers, **limits: Any) -> KlaviyoConnector:
    return KlaviyoConnector(
        api_key=KEY,
        public_key="XyZ123",
        base_url=servers.api,
        policy=fast_policy(),
        limits=ConnectorLimits(**limits),
    )


def _meta(servers: Servers, use_async: bool, **limits: Any) -> MetaAdsConnector:
    return MetaAdsConnector(
        access_token=TOKEN,
        ad_account_id="act_1",
        base_url=servers.api,
        use_async=use_async,
        poll_interval_s=0.0,
        policy=fast_policy(),
        limits=ConnectorLimits(**limits),
    )


async def _drain(pages: AsyncIterator[list[Any]]) -> int:
    count = 0
    async for _page in pages:
        count += 1
    return count


def test_the_bounds_are_ingestor_settings_handed_to_every_connector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFTOS_LIMITS__MAX_PAGES_PER_SLICE", "5")
    monkeypatch.setenv("LIFTOS_LIMITS__MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("LIFTOS_KLAVIYO__API_KEY", KEY)
    settings = IngestorSettings()
    assert (settings.limits.max_pages_per_slice, settings.limits.max_body_bytes) == (5, 4096)
    connector = make_connector("klaviyo", settings, IngestorHooks())
    assert connector.limits == settings.limits
    defaults = ConnectorLimits()
    assert defaults.max_pages_per_slice == 10_000 and defaults.max_body_bytes == 64 * MIB
    assert (defaults.request_deadline_s, defaults.slice_deadline_s, defaults.max_retry_after_s) == (
        1800,
        7200,
        86400,
    )


# ------------------------------------------------------------------ endless pagination


async def test_a_cursor_that_cycles_is_detected() -> None:
    """Meta cursors A, B, A, … : the third cursor repeats one already followed, so paging stops."""

    async def cycling(request: web.Request, servers: Servers) -> web.StreamResponse:
        after = {None: "A", "A": "B", "B": "A"}[request.query.get("after")]
        return web.json_response({"data": [], "paging": {"cursors": {"after": after}, "next": "more"}})

    with hostile(cycling) as servers:
        meta = _meta(servers, use_async=False)
        with pytest.raises(DataError, match="repeats a cursor or next link"):
            await _drain(meta.read_slice("insights", "act_1", DAY))
        await meta.aclose()
    assert len(servers.api_seen) == 3


async def test_a_next_link_pointing_at_itself_is_detected() -> None:
    async def loop_link(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request
        return web.json_response({"data": [], "links": {"next": f"{servers.api}/api/campaigns?page=same"}})

    with hostile(loop_link) as servers:
        connector = _klaviyo(servers)
        await collect_error(connector, "campaigns", "XyZ123", DataError, "repeats a cursor or next link")
    assert len(servers.api_seen) == 2


async def test_pages_per_slice_are_capped() -> None:
    """Fresh next links forever: the listing stops at max_pages_per_slice with a clear error."""

    async def endless(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request
        link = f"{servers.api}/api/campaigns?page={len(servers.api_seen)}"
        return web.json_response({"data": [{"id": str(len(servers.api_seen))}], "links": {"next": link}})

    with hostile(endless) as servers:
        connector = _klaviyo(servers, max_pages_per_slice=25)
        await collect_error(connector, "campaigns", "XyZ123", DataError, "more than 25 pages")
    assert len(servers.api_seen) == 25


async def test_the_ingestor_waits_a_full_interval_after_a_refused_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page cap hit is a data error: the next poll waits the poll interval, not a minute."""
    waits: list[float] = []

    async def sleep(stop: asyncio.Event, seconds: float, gate: Any = None) -> None:
        waits.append(seconds)
        stop.set()

    class OnePoll:
        gate = PublishGate()

        async def poll(self, connector: KlaviyoConnector) -> Any:
            return await connector.collect("campaigns", "XyZ123", DAY)

    async def endless(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request
        return web.json_response({"data": [], "links": {"next": f"{servers.api}/p{len(servers.api_seen)}"}})

    monkeypatch.setattr(service, "_sleep", sleep)
    log = RecordingLog()
    with hostile(endless) as servers:
        connector = _klaviyo(servers, max_pages_per_slice=3)
        await service._poll_forever("klaviyo", connector, OnePoll(), 900.0, log, asyncio.Event())  # type: ignore[arg-type]
    assert waits == [900.0]
    assert len(servers.api_seen) == 3
    assert any("poll refused a response" in line and "more than 3 pages" in line for line in log.lines)


# ------------------------------------------------------------------ Meta async report results

ROWS_PER_PAGE = 300


@cache
def _results_page() -> list[dict[str, str]]:
    return [
        {
            "ad_id": f"{n:012d}",
            "campaign_name": f"campaign {n % 17} " + "x" * 60,
            "spend": "12.34",
            "date_start": "2025-12-01",
        }
        for n in range(ROWS_PER_PAGE)
    ]


async def _report_that_never_ends(request: web.Request, servers: Servers) -> web.StreamResponse:
    del servers
    if request.method == "POST":
        return web.json_response({"report_run_id": "9001"})
    if request.path.endswith("/9001"):
        return web.json_response({"async_status": "Job Completed", "async_percent_completion": 100})
    after = int(request.query.get("after", "0")) + 1
    paging = {"cursors": {"after": str(after)}, "next": "more"}
    return web.json_response({"data": _results_page(), "paging": paging})


async def test_async_report_results_are_streamed_with_bounded_memory() -> None:
    """Results that never end: pages are yielded as they arrive (the first after the first results
    request), memory stays flat, and the page cap ends the slice."""
    pages = 120
    with hostile(_report_that_never_ends) as servers:
        meta = _meta(servers, use_async=True, max_pages_per_slice=pages)
        seen_at_first_page: int | None = None
        yielded = 0
        tracemalloc.start()
        try:
            with pytest.raises(DataError, match=f"more than {pages} pages"):
                async for page in meta.read_slice("insights", "act_1", DAY):
                    assert len(page) == ROWS_PER_PAGE
                    seen_at_first_page = seen_at_first_page or len(servers.api_seen)
                    yielded += 1
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        await meta.aclose()
    assert seen_at_first_page == 3  # POST the run, poll it once, one results page
    assert yielded == pages
    assert len(servers.api_seen) == 2 + pages
    # 36,000 rows held as dicts would take well over 16 MiB; streamed, a few pages are alive at a time
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB"


# ------------------------------------------------------------------ response bodies


@cache
def _bomb(decoded_bytes: int = 100 * MIB) -> bytes:
    """A JSON body of ``decoded_bytes`` (a long string of zeros) gzip-compressed to about 0.1 %."""
    squeeze = zlib.compressobj(level=9, wbits=31)
    parts = [squeeze.compress(b'{"data": [], "pad": "')]
    chunk = b"0" * MIB
    parts += [squeeze.compress(chunk) for _ in range(decoded_bytes // MIB)]
    parts += [squeeze.compress(b'"}'), squeeze.flush()]
    return b"".join(parts)


async def _serve_bomb(request: web.Request, servers: Servers) -> web.StreamResponse:
    del request, servers
    return web.Response(
        body=_bomb(), headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )


@pytest.mark.parametrize("cap", [1 * MIB, ConnectorLimits().max_body_bytes], ids=["1 MiB", "default"])
async def test_a_decompression_bomb_is_refused_within_the_cap(cap: int) -> None:
    assert len(_bomb()) < MIB // 2 and ConnectorLimits().max_body_bytes < 100 * MIB
    with hostile(_serve_bomb) as servers:
        connector = _klaviyo(servers, max_body_bytes=cap)
        tracemalloc.start()
        try:
            with pytest.raises(DataError, match=f"exceeds max_body_bytes={cap} after decompression"):
                await connector.collect("campaigns", "XyZ123", DAY)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        await connector.aclose()
    assert len(servers.api_seen) == 1  # refused, not retried
    assert peak < 2 * cap + 4 * MIB, f"peak {peak / MIB:.1f} MiB for a cap of {cap / MIB:.0f} MiB"


_PLAIN = b'{"data": [], "pad": "' + b"0" * (8 * MIB) + b'"}'


async def _big_plain(request: web.Request, servers: Servers) -> web.StreamResponse:
    del servers
    body = _PLAIN
    if request.query.get("chunked"):
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(body), 64 * 1024):
            await response.write(body[start : start + 64 * 1024])
        return response
    return web.Response(body=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("query", "stage"),
    [
        ("", f"body of {len(_PLAIN)} bytes exceeds"),
        ("?chunked=1", "exceeds max_body_bytes=1048576 as received"),
    ],
)
async def test_a_body_over_the_cap_is_refused_before_decompression(query: str, stage: str) -> None:
    with hostile(_big_plain) as servers:
        connector = _klaviyo(servers, max_body_bytes=MIB)
        with pytest.raises(DataError, match=stage):
            await connector.http.send_json(Request("GET", f"/api/campaigns{query}"), "campaigns")
        await connector.aclose()


async def test_a_content_coding_that_cannot_be_bounded_is_refused() -> None:
    async def brotli(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request, servers
        return web.Response(body=b"\x8b\x00\x80{}\x03", headers={"Content-Encoding": "br"})

    with hostile(brotli) as servers:
        connector = _klaviyo(servers)
        await collect_error(connector, "campaigns", "XyZ123", DataError, "unsupported Content-Encoding 'br'")
    assert servers.api_seen[0].headers["Accept-Encoding"] == "gzip, deflate"


async def test_a_gzip_body_within_the_cap_is_decoded() -> None:
    async def compressed(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request, servers
        body = gzip.compress(b'{"data": [{"id": "c1"}], "links": {}}')
        return web.Response(
            body=body, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
        )

    with hostile(compressed) as servers:
        connector = _klaviyo(servers)
        assert await connector.collect("campaigns", "XyZ123", DAY) == [{"id": "c1"}]
        await connector.aclose()


# ------------------------------------------------------------------ total deadlines


async def _drip(request: web.Request, servers: Servers) -> web.StreamResponse:
    """Headers at once, then one byte every 0.2 s, forever (no read ever times out)."""
    del servers
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(b'{"data": [')
    while True:
        await asyncio.sleep(0.2)
        await response.write(b" ")


async def test_a_drip_fed_response_ends_at_the_request_deadline() -> None:
    with hostile(_drip) as servers:
        connector = _klaviyo(servers, request_deadline_s=1.0)
        match = "within the request deadline of 1 s"
        _, elapsed = await collect_error(connector, "campaigns", "XyZ123", TransientError, match)
    assert 1.0 <= elapsed < 3.0
    assert len(servers.api_seen) == 1


async def test_a_slow_endless_listing_ends_at_the_slice_deadline() -> None:
    async def slow_pages(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request
        await asyncio.sleep(0.2)
        link = f"{servers.api}/api/campaigns?page={len(servers.api_seen)}"
        return web.json_response({"data": [], "links": {"next": link}})

    with hostile(slow_pages) as servers:
        connector = _klaviyo(servers, slice_deadline_s=1.0)
        match = "not read within slice_deadline_s=1"
        _, elapsed = await collect_error(connector, "campaigns", "XyZ123", TransientError, match)
    assert 1.0 <= elapsed < 3.0
    assert len(servers.api_seen) <= 6
