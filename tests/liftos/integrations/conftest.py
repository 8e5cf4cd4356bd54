"""Fixtures of the connector tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx


@pytest.fixture
def mocked() -> Iterator[respx.MockRouter]:
    """respx's global router, active for the test (no real HTTP leaves the process)."""
    with respx.mock(assert_all_called=False) as router:
        yield router
