"""Hostile HTTP servers on 127.0.0.1 for the security suite, and the leak check every test applies.

``hostile(handler)`` serves two real aiohttp servers on free loopback ports from a background thread:
the "API" (each request goes to the test's ``handler``) and the "attacker" on another port, which
only records what reaches it. Both record every request (method, path and query, headers, body).
``collect_error`` reads one day of a stream that must fail; ``RecordingLog`` stands in for a
service's structlog logger.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web

from liftos.events import RequestSlice
from liftos.integrations import Connector

__all__ = ["DAY", "RecordingLog", "Seen", "Servers", "collect_error", "hostile", "leaks"]

#: The one-day slice the tests read.
DAY = RequestSlice(start=date(2025, 12, 1), end=date(2025, 12, 1))

#: A leaked leading part of a secret at least this long counts (what survives a cut message).
PREFIX = 6


@dataclass(frozen=True)
class Seen:
    """One request a server received."""

    method: str
    path_qs: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Servers:
    """The two servers' base URLs and what each received."""

    api: str = ""
    attacker: str = ""
    api_seen: list[Seen] = field(default_factory=list)
    attacker_seen: list[Seen] = field(default_factory=list)

    @property
    def attacker_port(self) -> int:
        return int(self.attacker.rsplit(":", 1)[1])


Handler = Callable[[web.Request, Servers], Awaitable[web.StreamResponse]]


async def _record(into: list[Seen], request: web.Request) -> None:
    body = await request.read()
    into.append(Seen(request.method, request.path_qs, dict(request.headers), body))


@contextmanager
def hostile(handler: Handler) -> Iterator[Servers]:
    """Serve the API (``handler``) and the attacker on 127.0.0.1 until the block ends."""
    servers = Servers()

    async def api(request: web.Request) -> web.StreamResponse:
        await _record(servers.api_seen, request)
        return await handler(request, servers)

    async def attacker(request: web.Request) -> web.StreamResponse:
        await _record(servers.attacker_seen, request)
        return web.json_response({"data": [], "links": {"next": None}, "access_token": "stolen"})

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start(serve: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.AppRunner:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", serve)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runners = [
        asyncio.run_coroutine_threadsafe(start(serve), loop).result(timeout=10) for serve in (api, attacker)
    ]
    servers.api, servers.attacker = (f"http://127.0.0.1:{r.addresses[0][1]}" for r in runners)
    try:
        yield servers
    finally:
        for runner in runners:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """Which secrets appear in ``text`` raw or URL-encoded (path or form style), whole or as their first
    :data:`PREFIX` characters (so also every longer leading part), described without the secret."""
    found = []
    for number, secret in enumerate(secrets):
        head = secret[:PREFIX]
        for style, form in (
            ("raw", head),
            ("percent-encoded", quote(head, safe="")),
            ("path-encoded", quote(head)),
            ("form-encoded", quote_plus(head)),
        ):
            if form in text:
                found.append(f"secret #{number} ({style}, at offset {text.index(form)})")
    return found


async def collect_error(
    connector: Connector, stream: str, account: str, kind: type[Exception], match: str | None = None
) -> tuple[Exception, float]:
    """Read :data:`DAY` of ``stream``, which must fail with ``kind`` (message matching ``match``);
    returns the error and the seconds it took. The connector is closed afterwards."""
    started = time.monotonic()
    try:
        with pytest.raises(kind, match=match) as raised:
            await connector.collect(stream, account, DAY)
    finally:
        await connector.aclose()
    return raised.value, time.monotonic() - started


class RecordingLog:
    """A service's structlog logger, reduced to recording each line as text."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __getattr__(self, level: str) -> Any:
        return lambda event, **fields: self.lines.append(f"{level} {event} {fields}")
