"""Module attributes imported on first use: a package exports names whose modules are heavy (the HTTP
stack of the connectors) without importing them when only its light parts (a vendor's mapping) are used.

Usage in a package's ``__init__``::

    __getattr__ = lazy_exports(__name__, {"MetaAdsConnector": "liftos.integrations.meta.connector"})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``homes[name]`` and returns its ``name`` on first access."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(home), name)

    return __getattr__
