"""Fixtures of the causal tests."""

from __future__ import annotations

import pytest

from liftos_sandbox.world import World
from tests.liftos.causal.causal_worlds import world_of


@pytest.fixture(scope="module")
def easy_world() -> World:
    return world_of(2, "easy")
