"""Klaviyo credentials on requests: the private API key and the pinned revision (keys cannot be refreshed)."""

from __future__ import annotations

from collections.abc import Sequence

from liftos.errors import ConfigError
from liftos.integrations.connector import CREDENTIALS_FIX
from liftos.integrations.http_core import HttpClient, Request
from liftos.integrations.klaviyo.settings import JSONAPI, KlaviyoCredentials


class KlaviyoAuth:
    """Private API key + pinned revision; keys cannot be refreshed."""

    def __init__(self, creds: KlaviyoCredentials) -> None:
        if creds.api_key is None:
            raise ConfigError(
                "Klaviyo api_key is missing (argument or LIFTOS_KLAVIYO__API_KEY)", fix=CREDENTIALS_FIX
            )
        self._key = creds.api_key
        self._revision = creds.revision

    async def apply(self, request: Request) -> Request:
        """Authorization, revision and accept headers."""
        headers = {
            **request.headers,
            "Authorization": f"Klaviyo-API-Key {self._key.get_secret_value()}",
            "revision": self._revision,
            "accept": JSONAPI,
        }
        if request.json is not None:
            headers["content-type"] = JSONAPI
        return Request(request.method, request.url, request.params, request.json, request.data, headers)

    async def refresh(self, client: HttpClient) -> bool:
        """An API key cannot be refreshed."""
        del client
        return False

    def secrets(self) -> Sequence[str]:
        """The private key."""
        return [self._key.get_secret_value()]
