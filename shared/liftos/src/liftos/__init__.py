"""LiftOS Causal: streaming ingestion and incremental-effect estimation for marketing channels.

Notebook use follows the product's public API::

    import liftos
    from liftos.integrations import MetaAdsConnector, GoogleAdsConnector, KlaviyoConnector
    from liftos.transformations import DataTransformer
    from liftos.dimensions import CalendarDimension

    causal = liftos.Client().causal()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Client", "__version__"]

__version__ = "0.1.0"

if TYPE_CHECKING:
    from liftos.client import Client


def __getattr__(name: str) -> Any:
    # The causal stack (scikit-learn, econml) takes seconds to import; services that never use the
    # client should not pay for it, so ``liftos.Client`` is imported on first access.
    if name == "Client":
        from liftos.client import Client

        return Client
    raise AttributeError(f"module 'liftos' has no attribute {name!r}")
