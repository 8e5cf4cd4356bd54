"""``liftos.Client``: the notebook entry point of the seed's API."""

from __future__ import annotations

from pydantic import SecretStr

from liftos.causal import CausalAPI

__all__ = ["Client"]


class Client:
    """Entry point to the LiftOS modules, as in ``liftos.Client(api_key=...).causal()``.

    Everything runs locally, in this process: no key is needed, and a key passed for compatibility
    with hosted examples is kept as a secret and never sent anywhere.
    """

    def __init__(self, api_key: str | None = None) -> None:
        self._api_key = SecretStr(api_key) if api_key is not None else None

    def __repr__(self) -> str:
        return "Client(local)"

    def causal(self) -> CausalAPI:
        """The causal module: ``prepare_causal_data`` and ``analyze_attribution``."""
        return CausalAPI()
