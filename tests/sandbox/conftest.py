"""Shared sandbox worlds (small entity counts; the simulator caches per spec)."""

from __future__ import annotations

import pytest

from liftos_sandbox import World, WorldSpec, simulate_world

SMALL = 12


@pytest.fixture(scope="session")
def world() -> World:
    """Default scenario, three years, few entities."""
    return simulate_world(WorldSpec(seed=7, entities_per_channel=SMALL))


@pytest.fixture(scope="session")
def scenario_worlds() -> dict[str, World]:
    """The same seed under every scenario."""
    return {
        name: simulate_world(WorldSpec(seed=3, scenario=name, entities_per_channel=SMALL))
        for name in ("easy", "default", "hard", "drift")
    }
