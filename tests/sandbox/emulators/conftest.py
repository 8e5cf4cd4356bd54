"""Fixtures: the fixture World and emulator servers on free loopback ports (in a thread, so the
official synchronous SDKs can call them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liftos_sandbox.emulators.server import EmulatorConfig
from liftos_sandbox.emulators.source import ServedWorld, serve_world
from tests.fixtures.emulators import Running, running

from .world_fixture import build_fixture_world


class FakeClock:
    """A settable monotonic clock (seconds)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def served() -> ServedWorld:
    return serve_world(build_fixture_world())


@pytest.fixture(scope="session")
def creds(served: ServedWorld) -> dict[str, dict[str, str]]:
    return served.credentials


@pytest.fixture(scope="module")
def server(served: ServedWorld) -> Iterator[Running]:
    """A fault-free emulator with Klaviyo rate tiers off (tests of limits start their own)."""
    from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig

    with running(served, EmulatorConfig(klaviyo=KlaviyoConfig(rate_limits=False))) as srv:
        yield srv
