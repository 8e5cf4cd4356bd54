"""Google Ads REST API emulator, with Google's OAuth2 token endpoint.

Routes:

- ``POST /token`` (oauth2.googleapis.com), ``/o/oauth2/token`` (accounts.google.com) and
  ``/oauth2/v3/token`` (www.googleapis.com): ``grant_type=refresh_token`` → short-lived access token;
- ``GET  /v{N}/customers:listAccessibleCustomers`` → ``{"resourceNames": [...]}``;
- ``POST /v{N}/customers/{cid}/googleAds:search`` → ``results``, ``nextPageToken`` (fixed page size;
  ``pageSize`` is refused with PAGE_SIZE_NOT_SUPPORTED as since v17), ``fieldMask``, ``requestId``;
- ``POST /v{N}/customers/{cid}/googleAds:searchStream`` → JSON array of batches.

``FROM customer_client`` on the manager lists its hierarchy (itself at level 0, its client customers at
level 1, with ``currency_code`` / ``time_zone``), the way account discovery reads it.

Errors are ``{"error": {code, message, status, details: [GoogleAdsFailure]}}`` (array-wrapped for
searchStream, as the streaming REST surface sends them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from aiohttp import web

from liftos_sandbox.emulators.faults import FaultKind
from liftos_sandbox.emulators.gaql import GaqlError, GaqlQuery, parse_gaql
from liftos_sandbox.emulators.google_ads_query import (
    FIELDS,
    CustomerInfo,
    camel_path,
    directory_rows,
    is_directory_query,
    render_rows,
    select_rows,
)
from liftos_sandbox.emulators.ratelimit import Clock, FixedWindowLimiter, Window
from liftos_sandbox.emulators.responses import json_response
from liftos_sandbox.emulators.source import ServedWorld

__all__ = ["TOKEN_PATHS", "GoogleAdsConfig", "GoogleAdsEmulator", "GoogleAdsError"]

TOKEN_PATHS = ("/token", "/o/oauth2/token", "/oauth2/v3/token", "/oauth2/v4/token")
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See https://developers.google.com/"
    "identity/sign-in/web/devconsole-project.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


@dataclass(frozen=True)
class GoogleAdsConfig:
    """Knobs of the Google Ads emulator (token lifetime in seconds, quota as calls per window)."""

    versions: tuple[int, ...] = (23, 24, 25, 26)
    token_ttl_s: float = 3599.0
    page_size: int = 10_000
    stream_batch: int = 10_000
    quota: Window = field(default_factory=lambda: Window(limit=10_000, seconds=86_400.0))
    burst: Window = field(default_factory=lambda: Window(limit=600, seconds=60.0))
    revoked: bool = False


class GoogleAdsError(Exception):
    """One GoogleAdsFailure error: ``category`` e.g. queryError, ``code`` the enum name."""

    def __init__(
        self, status: int, category: str, code: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.category, self.code, self.message = status, category, code, message
        self.details = dict(details or {})


@dataclass
class _Token:
    expires_at: float
    client_id: str


@dataclass
class GoogleAdsEmulator:
    """Serves one `ServedWorld`'s Google Ads channel behind Google OAuth2."""

    world: ServedWorld
    config: GoogleAdsConfig = field(default_factory=GoogleAdsConfig)
    clock: Clock = time.monotonic
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self._limiter = FixedWindowLimiter((self.config.burst, self.config.quota), clock=self.clock)
        creds = self.world.credentials["google_ads"]
        self._manager = str(creds["login_customer_id"]).replace("-", "")
        self._customers = {
            str(r["account_id"]): r for r in self.world.channel_accounts("google_ads").to_dict("records")
        }
        self._daily = self.world.daily.get("google_ads", pd.DataFrame())

    def reload(self, world: ServedWorld) -> None:
        """Serve ``world`` from now on (the live clock moved: a new day, restated conversions)."""
        self.world = world
        self._daily = world.daily.get("google_ads", pd.DataFrame())

    def add_routes(self, app: web.Application) -> None:
        """Register OAuth and Google Ads routes on ``app``."""
        for path in TOKEN_PATHS:
            app.router.add_post(path, self.token)
        app.router.add_get(r"/v{version:\d+}/customers:listAccessibleCustomers", self.list_customers)
        app.router.add_post(r"/v{version:\d+}/customers/{cid:\d+}/googleAds:search", self.search)
        app.router.add_post(r"/v{version:\d+}/customers/{cid:\d+}/googleAds:searchStream", self.search_stream)

    # ----------------------------------------------------------------- oauth
    async def token(self, request: web.Request) -> web.Response:
        """Google's token endpoint: refresh_token grant only (form or JSON body)."""
        if request.content_type == "application/json":
            form: Mapping[str, Any] = await request.json()
        else:
            form = await request.post()
        creds = self.world.credentials["google_ads"]
        if form.get("grant_type") != "refresh_token":
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Invalid grant_type: " + str(form.get("grant_type")),
                },
                status=400,
            )
        if form.get("client_id") != creds["client_id"] or form.get("client_secret") != creds["client_secret"]:
            return json_response({"error": "invalid_client", "error_description": "Unauthorized"}, status=401)
        if form.get("refresh_token") != creds["refresh_token"]:
            return json_response({"error": "invalid_grant", "error_description": "Bad Request"}, status=400)
        if self.config.revoked:
            return json_response(
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
                status=400,
            )
        token = (
            "ya29.emu-"
            + hashlib.blake2b(f"{self.world.seed}:{next(self._counter)}".encode(), digest_size=24).hexdigest()
        )
        self._tokens[token] = _Token(self.clock() + self.config.token_ttl_s, str(form["client_id"]))
        return json_response(
            {
                "access_token": token,
                "expires_in": int(self.config.token_ttl_s),
                "scope": "https://www.googleapis.com/auth/adwords",
                "token_type": "Bearer",
            }
        )

    def expire_tokens(self) -> None:
        """Make every issued access token expired (token-expiry fault)."""
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, self.clock() - 1)

    # ----------------------------------------------------------------- errors
    def _request_id(self) -> str:
        return base64.urlsafe_b64encode(
            hashlib.blake2b(f"{self.world.seed}:r{next(self._counter)}".encode(), digest_size=16).digest()
        ).decode()[:22]

    def error_body(self, error: GoogleAdsError, version: str) -> dict[str, Any]:
        """``{"error": {…}}`` with a GoogleAdsFailure detail."""
        failure: dict[str, Any] = {"errorCode": {error.category: error.code}, "message": error.message}
        if error.details:
            failure["details"] = error.details
        return {
            "error": {
                "code": error.status,
                "message": _MESSAGES.get(error.status, error.message),
                "status": _STATUS.get(error.status, "UNKNOWN"),
                "details": [
                    {
                        "@type": f"type.googleapis.com/google.ads.googleads.v{version}.errors."
                        "GoogleAdsFailure",
                        "errors": [failure],
                        "requestId": self._request_id(),
                    }
                ],
            }
        }

    def error(self, error: GoogleAdsError, request: web.Request) -> web.Response:
        """The error response (array-wrapped for searchStream)."""
        body: Any = self.error_body(error, request.match_info.get("version", str(max(self.config.versions))))
        if request.path.endswith(":searchStream"):
            body = [body]
        return json_response(body, status=error.status)

    def quota_error(self, retry_s: float) -> GoogleAdsError:
        """RESOURCE_EXHAUSTED with QuotaErrorDetails.retryDelay."""
        return GoogleAdsError(
            429,
            "quotaError",
            "RESOURCE_TEMPORARILY_EXHAUSTED",
            f"Too many requests. Retry in {int(retry_s)} seconds.",
            {
                "quotaErrorDetails": {
                    "rateScope": "ACCOUNT",
                    "rateName": "Requests per account",
                    "retryDelay": f"{int(retry_s)}s",
                }
            },
        )

    def fault_response(self, kind: FaultKind, request: web.Request) -> web.Response | None:
        """Throttle / 5xx / token-expiry fault responses (None for kinds the server handles)."""
        if kind is FaultKind.THROTTLE:
            return self.error(self.quota_error(30), request)
        if kind is FaultKind.SERVER_ERROR:
            return self.error(
                GoogleAdsError(
                    503, "internalError", "TRANSIENT_ERROR", "The service is currently unavailable."
                ),
                request,
            )
        if kind is FaultKind.TOKEN_EXPIRY:
            self.expire_tokens()
            return self.error(
                GoogleAdsError(401, "authenticationError", "OAUTH_TOKEN_EXPIRED", "Oauth token is expired."),
                request,
            )
        return None

    # ----------------------------------------------------------------- checks
    def _authenticate(self, request: web.Request) -> None:
        version = request.match_info["version"]
        if int(version) not in self.config.versions:
            raise GoogleAdsError(404, "requestError", "UNKNOWN", f"Version v{version} is not supported.")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        record = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if record is None:
            raise GoogleAdsError(401, "authenticationError", "OAUTH_TOKEN_INVALID", "Oauth token is invalid.")
        if record.expires_at <= self.clock():
            raise GoogleAdsError(401, "authenticationError", "OAUTH_TOKEN_EXPIRED", "Oauth token is expired.")
        dev = request.headers.get("developer-token")
        expected = self.world.credentials["google_ads"]["developer_token"]
        if dev is not None and not hmac.compare_digest(dev, expected):
            raise GoogleAdsError(
                401, "authenticationError", "DEVELOPER_TOKEN_INVALID", "The developer token is not valid."
            )
        retry = self._limiter.hit(record.client_id)
        if retry is not None:
            raise self.quota_error(retry)

    def _authorise(self, request: web.Request, cid: str) -> None:
        """login-customer-id must name the manager when a client account is accessed."""
        login = request.headers.get("login-customer-id", "").replace("-", "")
        if cid == self._manager or (cid in self._customers and login == self._manager):
            return
        hint = (
            ""
            if login
            else (
                " Note: If you're accessing a client customer, the manager's customer id must "
                "be set in the 'login-customer-id' header."
            )
        )
        raise GoogleAdsError(
            403,
            "authorizationError",
            "USER_PERMISSION_DENIED",
            "User doesn't have permission to access customer." + hint,
        )

    # ----------------------------------------------------------------- handlers
    async def list_customers(self, request: web.Request) -> web.Response:
        """The customers the OAuth user can access directly (the manager and its clients)."""
        try:
            self._authenticate(request)
        except GoogleAdsError as error:
            return self.error(error, request)
        names = [f"customers/{cid}" for cid in (self._manager, *sorted(self._customers))]
        return json_response({"resourceNames": names})

    async def _prepare(self, request: web.Request) -> tuple[GaqlQuery, pd.DataFrame, dict[str, Any]]:
        self._authenticate(request)
        cid = request.match_info["cid"]
        self._authorise(request, cid)
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise GoogleAdsError(400, "requestError", "INVALID_INPUT", "Invalid JSON payload.") from error
        if not isinstance(body, dict) or not body.get("query"):
            raise GoogleAdsError(400, "requestError", "REQUIRED_FIELD_MISSING", "query is required.")
        if body.get("pageSize") is not None:
            raise GoogleAdsError(
                400,
                "requestError",
                "PAGE_SIZE_NOT_SUPPORTED",
                "Setting the page size is not supported. Search Responses will have fixed "
                "page size of '10000' rows.",
            )
        try:
            query = parse_gaql(str(body["query"]), FIELDS)
            if is_directory_query(query):
                clients = [self._customer(c) for c in sorted(self._customers)]
                return query, directory_rows(query, self._customer(cid), clients), body
            if cid == self._manager and any(f.startswith("metrics.") for f in query.fields):
                raise GaqlError(
                    "REQUESTED_METRICS_FOR_MANAGER", "Metrics cannot be requested for a manager account."
                )
            rows = select_rows(self._daily, query, cid, self.world.today)
        except GaqlError as error:
            raise GoogleAdsError(400, "queryError", error.code, error.message) from error
        return query, rows, body

    def _customer(self, cid: str) -> CustomerInfo:
        if cid == self._manager:
            return CustomerInfo(cid, "Manager", "USD", "UTC", manager=True)
        record = self._customers[cid]
        return CustomerInfo(cid, str(record["name"]), str(record["currency"]), str(record["timezone"]))

    def _page_token(self, request: web.Request, query: GaqlQuery, offset: int) -> str:
        digest = hashlib.sha256(f"{request.match_info['cid']}|{query}".encode()).hexdigest()[:16]
        return base64.urlsafe_b64encode(json.dumps({"q": digest, "o": offset}).encode()).decode()

    def _offset(self, request: web.Request, query: GaqlQuery, token: str | None) -> int:
        if not token:
            return 0
        try:
            value = json.loads(base64.urlsafe_b64decode(token.encode()))
            if token == self._page_token(request, query, int(value["o"])):
                return int(value["o"])
        except (ValueError, KeyError, TypeError):
            pass
        raise GoogleAdsError(400, "requestError", "INVALID_PAGE_TOKEN", "Page token is invalid.")

    async def search(self, request: web.Request) -> web.Response:
        """``googleAds:search``: one fixed-size page, ``nextPageToken`` absent on the last page."""
        try:
            query, rows, body = await self._prepare(request)
            offset = self._offset(request, query, body.get("pageToken"))
        except GoogleAdsError as error:
            return self.error(error, request)
        end = offset + self.config.page_size
        page: dict[str, Any] = {
            "results": render_rows(rows.iloc[offset:end], query, self._customer(request.match_info["cid"]))
        }
        if not page["results"]:
            del page["results"]
        if end < len(rows):
            page["nextPageToken"] = self._page_token(request, query, end)
        if (body.get("searchSettings") or {}).get("returnTotalResultsCount"):
            page["totalResultsCount"] = str(len(rows))
        page["fieldMask"] = ",".join(camel_path(f) for f in query.fields)
        page["requestId"] = self._request_id()
        return json_response(page)

    async def search_stream(self, request: web.Request) -> web.Response:
        """``googleAds:searchStream``: a JSON array of batches, each with results/fieldMask/requestId."""
        try:
            query, rows, _ = await self._prepare(request)
        except GoogleAdsError as error:
            return self.error(error, request)
        customer = self._customer(request.match_info["cid"])
        mask, request_id = ",".join(camel_path(f) for f in query.fields), self._request_id()
        batches: list[dict[str, Any]] = []
        for start in range(0, len(rows), self.config.stream_batch):
            chunk = rows.iloc[start : start + self.config.stream_batch]
            batches.append(
                {"results": render_rows(chunk, query, customer), "fieldMask": mask, "requestId": request_id}
            )
        return json_response(batches or [{"fieldMask": mask, "requestId": request_id}])
