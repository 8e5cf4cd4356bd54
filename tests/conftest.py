"""Root test configuration: the real local infrastructure as session fixtures, and marker handling.

Streaming tests run against a real Tansu broker and a real chdb warehouse (each its own process), never
an in-process fake. Tests marked ``docker`` need a Docker engine (testcontainers) and are skipped with
a reason when none answers a ping (the docker client binary alone is not enough).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.broker", "tests.fixtures.warehouse"]

#: The suite never reads a developer's own ``liftos.toml`` (tests that want one point at theirs).
os.environ["LIFTOS_PROJECT_FILE"] = str(Path(__file__).parent / "data" / "no-project-file.toml")


@functools.lru_cache(maxsize=1)
def docker_engine_available() -> bool:
    """Whether a Docker engine answers a ping within 2 s."""
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if docker_engine_available():
        return
    skip = pytest.mark.skip(reason="no Docker engine answers a ping: testcontainers tests skipped")
    for item in items:
        if "docker" in item.keywords:
            item.add_marker(skip)
