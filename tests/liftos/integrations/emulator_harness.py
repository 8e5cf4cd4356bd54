"""Run the sandbox emulators on a free loopback port in a background thread, and fast retry policies."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache
from typing import Any

from aiohttp import web

from liftos.integrations.http_core import RetryPolicy
from liftos.sandbox.emulators.server import EMULATORS_KEY, EmulatorConfig, build_app
from liftos.sandbox.emulators.source import ServedWorld, serve_world

__all__ = ["Running", "fast_policy", "one_year_world", "running"]


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


async def _no_sleep(seconds: float) -> None:
    del seconds
    await asyncio.sleep(0)


def fast_policy(**overrides: Any) -> RetryPolicy:
    """A retry policy that never really sleeps (backoff and server hints are recorded, not waited)."""
    return RetryPolicy(sleep=_no_sleep, jitter=lambda: 0.5, **overrides)


@cache
def one_year_world(seed: int = 11, entities: int = 30) -> ServedWorld:
    """A simulated world over 2025 (the emulators' today is 2025-12-31)."""
    from liftos.sandbox.world import WorldSpec, simulate_world

    spec = WorldSpec(seed=seed, start=date(2025, 1, 1), end=date(2025, 12, 31), entities_per_channel=entities)
    return serve_world(simulate_world(spec))
