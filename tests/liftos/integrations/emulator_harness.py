"""Run the sandbox emulators on a free loopback port in a background thread, and fast retry policies."""

from __future__ import annotations

import asyncio
from datetime import date
from functools import cache
from typing import Any

from liftos.integrations.http_core import RetryPolicy
from liftos_sandbox.emulators.source import ServedWorld, serve_world
from tests.fixtures.emulators import Running, running

__all__ = ["Running", "fast_policy", "one_year_world", "running"]


async def _no_sleep(seconds: float) -> None:
    del seconds
    await asyncio.sleep(0)


def fast_policy(**overrides: Any) -> RetryPolicy:
    """A retry policy that never really sleeps (backoff and server hints are recorded, not waited)."""
    return RetryPolicy(sleep=_no_sleep, jitter=lambda: 0.5, **overrides)


@cache
def one_year_world(seed: int = 11, entities: int = 30) -> ServedWorld:
    """A simulated world over 2025 (the emulators' today is 2025-12-31)."""
    from liftos_sandbox.world import WorldSpec, simulate_world

    spec = WorldSpec(seed=seed, start=date(2025, 1, 1), end=date(2025, 12, 31), entities_per_channel=entities)
    return serve_world(simulate_world(spec))
