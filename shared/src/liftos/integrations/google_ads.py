"""Google Ads REST connector: OAuth refresh-token flow, customer discovery, GAQL daily metrics.

Credentials (arguments win over environment variables)::

    LIFTOS_GOOGLE_ADS__DEVELOPER_TOKEN (optional since the Sep 2026 sunset), LIFTOS_GOOGLE_ADS__CLIENT_ID,
    LIFTOS_GOOGLE_ADS__CLIENT_SECRET, LIFTOS_GOOGLE_ADS__REFRESH_TOKEN, LIFTOS_GOOGLE_ADS__CUSTOMER_ID
    (optional; discovered through customers:listAccessibleCustomers when unset),
    LIFTOS_GOOGLE_ADS__LOGIN_CUSTOMER_ID (the manager, when going through one),
    LIFTOS_GOOGLE_ADS__BASE_URL (default https://googleads.googleapis.com),
    LIFTOS_GOOGLE_ADS__TOKEN_URL (default https://oauth2.googleapis.com/token), LIFTOS_GOOGLE_ADS__API_VERSION

Short-lived access tokens are fetched with the refresh token before the first call, renewed a
minute before they expire, and again whenever a call answers 401 (``UNAUTHENTICATED``). Queries are
GAQL built from the seed's ``fields`` / ``segments`` with a ``segments.date BETWEEN`` range; each
slice is read with ``searchStream`` and, if that keeps failing, with paged ``search`` (an expired
page token restarts the listing). ``RESOURCE_EXHAUSTED`` honours ``quotaErrorDetails.retryDelay``.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

import httpx
import pandas as pd
import structlog
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from liftos.errors import ConfigError, DataError, TransientError
from liftos.events import RawEvent, RequestSlice
from liftos.integrations.connector import Connector, DateLike, given_args, parse_date_range
from liftos.integrations.cursors import SlicePlan, split_range
from liftos.integrations.endpoints import Endpoint, RawRecord, iterate_pages, key_of
from liftos.integrations.http_core import (
    AUTH,
    DEFAULT_ERRORS,
    SERVER_ERROR,
    THROTTLE,
    Action,
    ConnectorLimits,
    ErrorKey,
    ErrorRule,
    HttpClient,
    HttpMetrics,
    NoAuth,
    NullMetrics,
    Request,
    RetryPolicy,
    make_async_client,
    parse_retry_after,
)
from liftos.integrations.paginators import PageTokenPaginator, dig
from liftos.transformations import values as tv
from liftos.transformations.context import MappingContext
from liftos.transformations.raw_events import OutputRow, register_mapper
from liftos.transformations.schemas import SourceSchema, register_source_schema

__all__ = [
    "DEFAULT_SCHEMA_MAPPING",
    "ENDPOINTS",
    "GOOGLE_ERRORS",
    "STREAM_QUERIES",
    "GoogleAdsConnector",
    "GoogleAdsCredentials",
    "build_gaql",
    "normalize_google_ads_record",
]

DEFAULT_BASE_URL = "https://googleads.googleapis.com"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_API_VERSION = "v26"
LOOKBACK_DAYS = 30  # conversions are restated inside the conversion window
STEP_DAYS = 30
_EXPIRY_MARGIN_S = 60.0
_log = structlog.get_logger("liftos.integrations.google_ads")

_CONFIG = ErrorRule(Action.FAIL_CONFIG, "permission")
#: Google error statuses and GoogleAdsFailure codes merged onto the default table.
GOOGLE_ERRORS: Mapping[ErrorKey, ErrorRule] = {
    **DEFAULT_ERRORS,
    "RESOURCE_EXHAUSTED": THROTTLE,
    "UNAVAILABLE": SERVER_ERROR,
    "INTERNAL": SERVER_ERROR,
    "DEADLINE_EXCEEDED": ErrorRule(Action.RETRY, "timeout"),
    "UNAUTHENTICATED": AUTH,
    "OAUTH_TOKEN_EXPIRED": AUTH,
    "OAUTH_TOKEN_INVALID": AUTH,
    "DEVELOPER_TOKEN_INVALID": _CONFIG,
    "PERMISSION_DENIED": _CONFIG,
    "USER_PERMISSION_DENIED": _CONFIG,
    "EXPIRED_PAGE_TOKEN": ErrorRule(Action.RESET_PAGINATION, "page_token"),
    "INVALID_PAGE_TOKEN": ErrorRule(Action.RESET_PAGINATION, "page_token"),
    "INVALID_ARGUMENT": ErrorRule(Action.FAIL_DATA, "invalid_query"),
}
#: The OAuth token endpoint: a refused grant or client is a configuration error.
TOKEN_ERRORS: Mapping[ErrorKey, ErrorRule] = {**DEFAULT_ERRORS, 400: _CONFIG, 401: _CONFIG}

_DAILY = SlicePlan(step_days=STEP_DAYS, lookback_days=LOOKBACK_DAYS)
#: The endpoint table.
ENDPOINTS: Mapping[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint(
            "accessible_customers", "GET", "/{version}/customers:listAccessibleCustomers", records_path=()
        ),
        Endpoint(
            "search_stream",
            "POST",
            "/{version}/customers/{account}/googleAds:searchStream",
            records_path=(),
            slicing=_DAILY,
        ),
        Endpoint(
            "search",
            "POST",
            "/{version}/customers/{account}/googleAds:search",
            paginator=PageTokenPaginator,
            records_path=("results",),
            slicing=_DAILY,
        ),
    )
}
_METRICS = (
    "metrics.cost_micros",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.conversions",
    "metrics.conversions_value",
)
#: Streams: the default GAQL fields of each (the date range is added per slice).
STREAM_QUERIES: Mapping[str, tuple[str, ...]] = {
    "ad_group_daily": (
        "customer.currency_code",
        "campaign.id",
        "campaign.name",
        "ad_group.id",
        "ad_group.name",
        "segments.date",
        *_METRICS,
    ),
    "campaign_daily": ("customer.currency_code", "campaign.id", "campaign.name", "segments.date", *_METRICS),
}
_INT64 = ("metrics.cost_micros", "metrics.impressions", "metrics.clicks")


class GoogleAdsCredentials(BaseSettings):
    """Google Ads settings from arguments or ``LIFTOS_GOOGLE_ADS__*`` variables."""

    model_config = SettingsConfigDict(env_prefix="LIFTOS_GOOGLE_ADS__", extra="ignore", frozen=True)

    developer_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    customer_id: str | None = None
    login_customer_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    token_url: str = DEFAULT_TOKEN_URL
    api_version: str = DEFAULT_API_VERSION


def _digits(value: str | None) -> str | None:
    return None if value is None else value.replace("-", "").strip()


class _GoogleAuth:
    """OAuth2 refresh-token flow; the access token lives in memory only."""

    def __init__(self, creds: GoogleAdsCredentials) -> None:
        missing = [n for n in ("client_id", "client_secret", "refresh_token") if getattr(creds, n) is None]
        if missing:
            raise ConfigError(
                f"Google Ads credentials missing: {missing} (arguments or LIFTOS_GOOGLE_ADS__*)"
            )
        self.creds = creds
        self.token_http: HttpClient | None = None
        self._access: str | None = None
        self._expires_at = 0.0

    async def apply(self, request: Request) -> Request:
        """Bearer token (fetched or renewed first when needed), developer-token, login-customer-id."""
        if self._access is None or time.monotonic() >= self._expires_at:
            await self._fetch()
        headers = {**request.headers, "Authorization": f"Bearer {self._access}"}
        if self.creds.developer_token is not None:
            headers["developer-token"] = self.creds.developer_token.get_secret_value()
        if self.creds.login_customer_id:
            headers["login-customer-id"] = str(_digits(self.creds.login_customer_id))
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
        self._expires_at = time.monotonic() + float(dig(body, ("expires_in",)) or 3600) - _EXPIRY_MARGIN_S

    def secrets(self) -> Sequence[str]:
        """Every secret (and the current access token)."""
        values = [self.creds.client_secret, self.creds.refresh_token, self.creds.developer_token]
        return [
            *(v.get_secret_value() for v in values if v is not None),
            *([self._access] if self._access else []),
        ]


def _error_body(body: Any) -> Any:
    return body[0] if isinstance(body, list) and body else body


def _error_code(response: httpx.Response, body: Any) -> str | None:
    """The innermost GoogleAdsFailure code when the table knows it, else the gRPC status."""
    del response
    error = dig(_error_body(body), ("error",))
    for detail in dig(error, ("details",)) or []:
        for failure in dig(detail, ("errors",)) or []:
            for code in (dig(failure, ("errorCode",)) or {}).values():
                if str(code) in GOOGLE_ERRORS:
                    return str(code)
    status = dig(error, ("status",))
    return None if status is None else str(status)


def _retry_hint(response: httpx.Response, body: Any) -> float | None:
    """Retry-After, else ``quotaErrorDetails.retryDelay`` (``"30s"``) of the first failure."""
    hint = parse_retry_after(response.headers.get("Retry-After"))
    if hint is not None:
        return hint
    for detail in dig(_error_body(body), ("error", "details")) or []:
        for failure in dig(detail, ("errors",)) or []:
            delay = dig(failure, ("details", "quotaErrorDetails", "retryDelay"))
            match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(delay or ""))
            if match:
                return float(match.group(1))
    return None


def camel_path(field: str) -> str:
    """GAQL ``metrics.cost_micros`` → JSON ``metrics.costMicros``."""

    def camel(part: str) -> str:
        head, *rest = part.split("_")
        return head + "".join(word.capitalize() for word in rest)

    return ".".join(camel(part) for part in field.split("."))


def build_gaql(fields: Sequence[str], segments: Sequence[str], start: date, end: date) -> str:
    """A daily-metrics GAQL query over ``start..end`` (inclusive).

    The resource is ``ad_group`` when any ``ad_group.*`` field is asked, else ``campaign``; the ids
    of that resource and ``segments.date`` are always selected (the natural key needs them).
    """
    resource = "ad_group" if any(f.startswith("ad_group.") for f in fields) else "campaign"
    ids = ["campaign.id", *(["ad_group.id"] if resource == "ad_group" else []), "segments.date"]
    selected = list(dict.fromkeys([*ids, *fields, *segments]))
    return (
        f"SELECT {', '.join(selected)} FROM {resource} "
        f"WHERE segments.date BETWEEN '{start.isoformat()}' AND '{end.isoformat()}' "
        "ORDER BY segments.date ASC"
    )


def _key_fields(fields: Sequence[str], segments: Sequence[str]) -> tuple[str, ...]:
    resource_id = "adGroup.id" if any(f.startswith("ad_group.") for f in fields) else "campaign.id"
    extra = [camel_path(s) for s in segments if s != "segments.date"]
    return (resource_id, "segments.date", *extra)


class GoogleAdsConnector(Connector):
    """Google Ads daily metrics. Streams: ``ad_group_daily`` (default), ``campaign_daily``.

    Args:
        developer_token: Developer token (optional; sent when given).
        client_id: OAuth client id.
        client_secret: OAuth client secret.
        refresh_token: OAuth refresh token.
        customer_id: Customer to read (digits, dashes allowed); None discovers accessible customers.
        login_customer_id: Manager customer id (``login-customer-id`` header).
        base_url: API host (an emulator URL in tests).
        token_url: OAuth token endpoint.
        api_version: e.g. ``v26``.
        lookback_days: Days re-read on every poll (conversion window).
        policy: Retry policy.
        metrics: Metric hooks.
        timeout_s: HTTP timeout per network operation (seconds).
        limits: Page, body, deadline and Retry-After bounds.
    """

    source: ClassVar[str] = "google_ads"
    streams: ClassVar[tuple[str, ...]] = ("ad_group_daily",)

    def __init__(
        self,
        developer_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        customer_id: str | None = None,
        login_customer_id: str | None = None,
        base_url: str | None = None,
        token_url: str | None = None,
        *,
        api_version: str | None = None,
        lookback_days: int = LOOKBACK_DAYS,
        policy: RetryPolicy | None = None,
        metrics: HttpMetrics | None = None,
        timeout_s: float = 120.0,
        limits: ConnectorLimits | None = None,
    ) -> None:
        super().__init__(policy, metrics, timeout_s, limits)
        given = {
            "developer_token": developer_token,
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
            "customer_id": customer_id,
            "login_customer_id": login_customer_id,
            "base_url": base_url,
            "token_url": token_url,
            "api_version": api_version,
        }
        self.credentials = GoogleAdsCredentials(**given_args(given))
        self._auth = _GoogleAuth(self.credentials)
        self.lookback_days = lookback_days

    def __repr__(self) -> str:
        creds = self.credentials
        return f"GoogleAdsConnector(base_url={creds.base_url!r}, customer_id={creds.customer_id!r})"

    def all_streams(self) -> Sequence[str]:
        """Every GAQL stream."""
        return tuple(STREAM_QUERIES)

    def _make_http(self) -> HttpClient:
        client = make_async_client(self.timeout_s)
        metrics = self.metrics or NullMetrics()
        self._auth.token_http = HttpClient(  # the token endpoint sees (and may echo) every secret
            source=self.source,
            base_url=self.credentials.token_url,
            auth=NoAuth(known_secrets=self._auth.secrets),
            errors=TOKEN_ERRORS,
            policy=self.policy,
            client=client,
            metrics=metrics,
            limits=self.limits,
        )
        return HttpClient(
            source=self.source,
            base_url=self.credentials.base_url.rstrip("/"),
            auth=self._auth,
            errors=GOOGLE_ERRORS,
            error_code=_error_code,
            retry_hint=_retry_hint,
            policy=self.policy,
            client=client,
            metrics=metrics,
            limits=self.limits,
        )

    @property
    def _version(self) -> str:
        return self.credentials.api_version

    async def accounts(self) -> list[str]:
        """The configured customer, else every accessible customer except the manager."""
        if self.credentials.customer_id:
            return [str(_digits(self.credentials.customer_id))]
        endpoint = ENDPOINTS["accessible_customers"]
        body = await self.http.send_json(endpoint.request(version=self._version), endpoint.name)
        names = dig(body, ("resourceNames",)) or []
        manager = _digits(self.credentials.login_customer_id)
        return [cid for cid in (str(n).rsplit("/", 1)[-1] for n in names) if cid != manager]

    def slice_plan(self, stream: str) -> SlicePlan:
        """30-day slices, 30-day lookback (configurable)."""
        self._check_stream(stream)
        return SlicePlan(step_days=STEP_DAYS, lookback_days=self.lookback_days)

    async def fetch(
        self, stream: str, account: str, request_slice: RequestSlice
    ) -> AsyncIterator[list[RawRecord]]:
        """Pages of GoogleAdsRow JSON; ``request_slice.params`` may carry ``fields`` / ``segments``."""
        self._check_stream(stream)
        fields = _split(request_slice.params.get("fields")) or STREAM_QUERIES[stream]
        segments = _split(request_slice.params.get("segments"))
        query = build_gaql(fields, segments, request_slice.start, request_slice.end)
        keys = _key_fields(fields, segments)
        async for page in self._rows(str(_digits(account)), query):
            yield [RawRecord(row, key_of(row, keys)) for row in page]

    async def _rows(self, customer: str, query: str) -> AsyncIterator[list[dict[str, Any]]]:
        """searchStream (one response, batches); on persistent failure, paged search."""
        stream = ENDPOINTS["search_stream"]
        request = stream.request(json={"query": query}, version=self._version, account=customer)
        try:
            body = await self.http.send_json(request, stream.name)
        except (TransientError, DataError) as error:
            _log.warning("search_stream_fallback", customer=customer, reason=str(error)[:200])
            search = ENDPOINTS["search"]
            async for page in iterate_pages(
                self.http,
                search,
                search.request(json={"query": query}, version=self._version, account=customer),
            ):
                yield page
            return
        batches = body if isinstance(body, list) else [body]
        yield [row for batch in batches if isinstance(batch, dict) for row in batch.get("results", [])]

    def get_campaign_data(
        self,
        date_range: tuple[DateLike, DateLike],
        fields: Sequence[str] | None = None,
        segments: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """GAQL daily rows as a DataFrame, one column per selected GAQL field (snake_case names).

        Args:
            date_range: ``(start, end)`` inclusive.
            fields: GAQL fields (``campaign.name``, ``metrics.cost_micros`` …); ids and
                ``segments.date`` are always added. Default: the ``ad_group_daily`` stream's fields.
            segments: Extra segments, e.g. ``["segments.device", "segments.ad_network_type"]``.

        Returns:
            One row per resource × day × segment values; int64 metrics as ints, ``customer_id`` added.
        """
        start, end = parse_date_range(date_range)
        chosen = tuple(fields or STREAM_QUERIES["ad_group_daily"])
        params = {"fields": ",".join(chosen), "segments": ",".join(segments or ())}
        columns = (
            build_gaql(chosen, segments or (), start, end)
            .split(" FROM ")[0]
            .removeprefix("SELECT ")
            .split(", ")
        )
        rows = self._run(lambda: self._collect_all(RequestSlice(start=start, end=end, params=params)))
        return _frame(rows, columns)

    async def _collect_all(self, whole: RequestSlice) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        for account in await self.accounts():
            for piece in _pieces(whole, STEP_DAYS):
                out.extend((account, row) for row in await self.collect("ad_group_daily", account, piece))
        return out


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(part for part in (raw or "").split(",") if part)


def _pieces(whole: RequestSlice, step: int) -> list[RequestSlice]:
    slices = split_range(whole.start, whole.end, step)
    return [RequestSlice(start=s.start, end=s.end, params=whole.params) for s in slices]


def _frame(rows: list[tuple[str, dict[str, Any]]], columns: Sequence[str]) -> pd.DataFrame:
    records = [
        {"customer_id": account, **{c: dig(row, camel_path(c).split(".")) for c in columns}}
        for account, row in rows
    ]
    frame = pd.DataFrame(records, columns=["customer_id", *columns])
    for column in (c for c in _INT64 if c in frame.columns):
        frame[column] = pd.to_numeric(frame[column]).astype("int64")
    return frame


# ------------------------------------------------------------------ normalization (raw → one schema)
MICROS_PER_UNIT = 1_000_000
#: Segment fields (besides ``segments.date``) that form the row's ``breakdown`` when present.
SEGMENT_FIELDS = ("adNetworkType", "device", "clickType")
_SNAKE = {"adNetworkType": "ad_network_type", "device": "device", "clickType": "click_type"}


def _micros(value: Any, field: str) -> float:
    """int64 micros (a JSON string) → currency units."""
    return tv.count(value, field) / MICROS_PER_UNIT


def _segments(segments: Any) -> str:
    if not isinstance(segments, dict):
        return ""
    return "|".join(
        f"{_SNAKE[key]}={tv.name(segments[key], key)}"
        for key in SEGMENT_FIELDS
        if segments.get(key) is not None
    )


def normalize_google_ads_record(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One GoogleAdsRow (ad group or campaign × day × segments) → one NormalizedRow.

    ``metrics.costMicros`` / 1e6 is spend in the customer's currency (``customer.currencyCode``);
    ``metrics.conversions`` / ``conversionsValue`` are Google's primary conversion actions (Google
    reports one de-duplicated figure, no alias types); ``platform`` is ``segments.adNetworkType``
    (lower-case), else ``google_ads``.
    """
    p = event.payload
    metrics, segments = tv.dig(p, "metrics"), p.get("segments")
    if not isinstance(metrics, dict) or not isinstance(segments, dict):
        raise DataError("expected metrics and segments objects")
    currency = context.currency_of(event.account_id, tv.dig(p, "customer", "currencyCode"))
    network = segments.get("adNetworkType")
    fields = {
        "date": tv.day(segments.get("date"), "segments.date"),
        "channel": GoogleAdsConnector.source,
        "platform": tv.name(network, "segments.adNetworkType").lower() or GoogleAdsConnector.source,
        "account": tv.name(tv.dig(p, "customer", "descriptiveName"), "customer.descriptiveName"),
        "campaign_id": tv.ident(tv.dig(p, "campaign", "id"), "campaign.id"),
        "campaign": tv.name(tv.dig(p, "campaign", "name"), "campaign.name"),
        "ad_group_id": tv.ident(tv.dig(p, "adGroup", "id"), "adGroup.id", required=False),
        "ad_group": tv.name(tv.dig(p, "adGroup", "name"), "adGroup.name"),
        "breakdown": _segments(segments),
        "spend": _micros(metrics.get("costMicros"), "metrics.costMicros"),
        "impressions": tv.count(metrics.get("impressions"), "metrics.impressions"),
        "clicks": tv.count(metrics.get("clicks"), "metrics.clicks"),
        "conversions": tv.number(metrics.get("conversions"), "metrics.conversions"),
        "revenue": tv.number(metrics.get("conversionsValue"), "metrics.conversionsValue"),
    }
    return [tv.build_marketing_row(event, context, currency, fields)]


def _from_micros(values: pd.Series, context: MappingContext) -> pd.Series:
    del context
    return pd.to_numeric(values, errors="coerce") / MICROS_PER_UNIT


#: Default DataFrame mapping of ``get_campaign_data`` frames (GAQL snake_case column names).
DEFAULT_SCHEMA_MAPPING: Mapping[str, tuple[str, ...]] = {
    "date": ("segments.date",),
    "account_id": ("customer_id", "customer.id"),
    "account": ("customer.descriptive_name",),
    "campaign_id": ("campaign.id",),
    "campaign": ("campaign.name",),
    "ad_group_id": ("ad_group.id",),
    "ad_group": ("ad_group.name",),
    "currency": ("customer.currency_code",),
    "spend": ("metrics.cost_micros",),
    "impressions": ("metrics.impressions",),
    "clicks": ("metrics.clicks",),
    "conversions": ("metrics.conversions",),
    "revenue": ("metrics.conversions_value",),
}

for _stream in STREAM_QUERIES:
    register_mapper(GoogleAdsConnector.source, _stream, normalize_google_ads_record)
register_source_schema(
    SourceSchema(
        source=GoogleAdsConnector.source,
        aliases=("google", "googleads"),
        mapping=DEFAULT_SCHEMA_MAPPING,
        converters={"metrics.cost_micros": _from_micros},
        breakdown_columns=("segments.ad_network_type", "segments.device", "segments.click_type"),
        platform_columns=("segments.ad_network_type",),
        default_platform=GoogleAdsConnector.source,
    )
)
