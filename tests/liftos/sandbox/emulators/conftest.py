"""Fixtures: the fixture World and emulator servers on free loopback ports (in a thread, so the
official synchronous SDKs can call them)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiohttp import web

from liftos.sandbox.emulators.server import EMULATORS_KEY, EmulatorConfig, build_app
from liftos.sandbox.emulators.source import ServedWorld, serve_world

from .world_fixture import build_fixture_world


class FakeClock:
    """A settable monotonic clock (seconds)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Running:
    """A started emulator: base URL and the app's emulator objects."""

    def __init__(self, url: str, app: web.Application) -> None:
        self.url, self.app = url, app

    @property
    def emulators(self) -> dict[str, Any]:
        return self.app[EMULATORS_KEY]


@contextmanager
def running(
    world: ServedWorld, config: EmulatorConfig | None = None, clock: Callable[[], float] | None = None
) -> Iterator[Running]:
    """Serve ``world`` on 127.0.0.1:<free port> from a background event loop."""
    app = build_app(world, config, clock=clock)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield Running(f"http://127.0.0.1:{port}", app)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture(scope="session")
def served() -> ServedWorld:
    return serve_world(build_fixture_world())


@pytest.fixture(scope="session")
def creds(served: ServedWorld) -> dict[str, dict[str, str]]:
    return served.credentials


@pytest.fixture(scope="module")
def server(served: ServedWorld) -> Iterator[Running]:
    """A fault-free emulator with Klaviyo rate tiers off (tests of limits start their own)."""
    from liftos.sandbox.emulators.klaviyo import KlaviyoConfig

    with running(served, EmulatorConfig(klaviyo=KlaviyoConfig(rate_limits=False))) as srv:
        yield srv
