"""Google Ads credentials on requests: the OAuth2 refresh-token flow (access tokens in memory only)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from liftos.errors import ConfigError
from liftos.integrations.connector import CREDENTIALS_FIX
from liftos.integrations.google_ads.settings import EXPIRY_MARGIN_S, GoogleAdsCredentials, customer_digits
from liftos.integrations.http_core import HttpClient, Request
from liftos.integrations.paginators import dig


class GoogleAuth:
    """OAuth2 refresh-token flow; the access token lives in memory only."""

    def __init__(self, creds: GoogleAdsCredentials) -> None:
        missing = [n for n in ("client_id", "client_secret", "refresh_token") if getattr(creds, n) is None]
        if missing:
            raise ConfigError(
                f"Google Ads credentials missing: {missing} (arguments or LIFTOS_GOOGLE_ADS__*)",
                fix=CREDENTIALS_FIX,
            )
        self.creds = creds
        self.token_http: HttpClient | None = None
        self._access: str | None = None
        self._expires_at = 0.0
        #: The OAuth scopes of the last token (space-separated, as the token endpoint says them).
        self.scope = ""

    async def apply(self, request: Request) -> Request:
        """Bearer token (fetched or renewed first when needed), developer-token, login-customer-id."""
        if self._access is None or time.monotonic() >= self._expires_at:
            await self._fetch()
        headers = {**request.headers, "Authorization": f"Bearer {self._access}"}
        if self.creds.developer_token is not None:
            headers["developer-token"] = self.creds.developer_token.get_secret_value()
        if self.creds.login_customer_id:
            headers["login-customer-id"] = str(customer_digits(self.creds.login_customer_id))
        return Request(request.method, request.url, request.params, request.json, request.data, headers)

    async def refresh(self, client: HttpClient) -> bool:
        """Fetch a new access token (a refused refresh token raises ConfigError)."""
        del client
        await self._fetch()
        return True

    async def _fetch(self) -> None:
        if self.token_http is None:
            raise ConfigError("Google Ads token client is not bound")
        assert self.creds.client_secret is not None and self.creds.refresh_token is not None
        form = {
            "grant_type": "refresh_token",
            "client_id": str(self.creds.client_id),
            "client_secret": self.creds.client_secret.get_secret_value(),
            "refresh_token": self.creds.refresh_token.get_secret_value(),
        }
        body = await self.token_http.send_json(
            Request("POST", self.creds.token_url, data=form), "oauth_token"
        )
        token = dig(body, ("access_token",))
        if not token:
            raise ConfigError("Google OAuth answered without an access_token")
        self._access = str(token)
        self.scope = str(dig(body, ("scope",)) or "")
        self._expires_at = time.monotonic() + float(dig(body, ("expires_in",)) or 3600) - EXPIRY_MARGIN_S

    def secrets(self) -> Sequence[str]:
        """Every secret (and the current access token)."""
        values = [self.creds.client_secret, self.creds.refresh_token, self.creds.developer_token]
        return [
            *(v.get_secret_value() for v in values if v is not None),
            *([self._access] if self._access else []),
        ]
