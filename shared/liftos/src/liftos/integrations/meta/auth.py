"""Meta credentials on requests: bearer token and ``appsecret_proof``; a 190 is verified with a probe."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from liftos.errors import ConfigError
from liftos.integrations.connector import CREDENTIALS_FIX
from liftos.integrations.http_core import HttpClient, Request
from liftos.integrations.meta.endpoint_table import ENDPOINTS
from liftos.integrations.meta.settings import MetaCredentials


class MetaAuth:
    """Bearer token + appsecret_proof; a 190 is verified once with a cheap probe."""

    def __init__(self, creds: MetaCredentials) -> None:
        if creds.access_token is None:
            raise ConfigError(
                "Meta access_token is missing (argument or LIFTOS_META__ACCESS_TOKEN)", fix=CREDENTIALS_FIX
            )
        self._token = creds.access_token
        self._secret = creds.app_secret
        self._version = creds.api_version
        self._probing = False

    async def apply(self, request: Request) -> Request:
        """Token in the Authorization header (never in URLs), appsecret_proof as a parameter."""
        token = self._token.get_secret_value()
        headers = {**request.headers, "Authorization": f"Bearer {token}"}
        out = Request(request.method, request.url, request.params, request.json, request.data, headers)
        proof = self._proof()
        return out if proof is None else out.with_params(appsecret_proof=proof)

    def _proof(self) -> str | None:
        if self._secret is None:
            return None
        key, token = self._secret.get_secret_value().encode(), self._token.get_secret_value().encode()
        return hmac.new(key, token, hashlib.sha256).hexdigest()

    async def refresh(self, client: HttpClient) -> bool:
        """True when a probe with the same token succeeds (the 190 was spurious), else False."""
        if self._probing:
            return False
        self._probing = True
        try:
            for _ in range(3):
                try:
                    await client.send_json(
                        ENDPOINTS["adaccounts"].request(version=self._version).with_params(limit="1")
                    )
                    return True
                except ConfigError:
                    continue
            return False
        finally:
            self._probing = False

    def secrets(self) -> Sequence[str]:
        """The token, the app secret and the appsecret_proof derived from them."""
        found = [s.get_secret_value() for s in (self._token, self._secret) if s is not None]
        proof = self._proof()
        return found if proof is None else [*found, proof]
