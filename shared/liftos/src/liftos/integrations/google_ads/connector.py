"""The Google Ads connector: customer discovery and daily GAQL metrics, and its DataFrames."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Unpack

import pandas as pd
import structlog

from liftos.errors import ConfigError, DataError, TransientError
from liftos.events import RequestSlice
from liftos.integrations.connector import Connector, ConnectorOptions, DateLike, given_args, parse_date_range
from liftos.integrations.cursors import SlicePlan, split_range
from liftos.integrations.endpoints import RawRecord, iterate_pages, key_of
from liftos.integrations.google_ads.auth import GoogleAuth
from liftos.integrations.google_ads.endpoint_table import ENDPOINTS, GOOGLE_API, TOKEN_API
from liftos.integrations.google_ads.queries import (
    CUSTOMER,
    CUSTOMER_CLIENTS,
    build_gaql,
    camel_path,
    key_fields,
)
from liftos.integrations.google_ads.settings import (
    INT64_FIELDS,
    LOOKBACK_DAYS,
    SOURCE,
    STEP_DAYS,
    STREAM_QUERIES,
    GoogleAdsCredentials,
    customer_digits,
)
from liftos.integrations.http_core import ApiErrors, HttpClient, NoAuth, make_async_client
from liftos.integrations.paginators import dig
from liftos.integrations.source_check import AccountInfo, SourceCheck

_log = structlog.get_logger("liftos.integrations.google_ads")


class GoogleAdsConnector(Connector):
    """Google Ads daily metrics. Streams: ``ad_group_daily`` (default), ``campaign_daily``.

    Args:
        developer_token: Developer token (optional; sent when given).
        client_id: OAuth client id.
        client_secret: OAuth client secret.
        refresh_token: OAuth refresh token.
        customer_id: Customer to read (digits, dashes allowed); None (and no ``accounts`` setting)
            reads every client customer under ``login_customer_id`` (``customer_client``), or every
            accessible non-manager customer without a manager.
        login_customer_id: Manager customer id (``login-customer-id`` header).
        base_url: API host (an emulator URL in tests).
        token_url: OAuth token endpoint.
        api_version: e.g. ``v26``.
        options: ``lookback_days`` (default 30, the conversion window), ``policy``, ``metrics``,
            ``timeout_s`` (default 120), ``limits``
            (:class:`~liftos.integrations.connector.ConnectorOptions`).
    """

    source: ClassVar[str] = SOURCE
    streams: ClassVar[tuple[str, ...]] = ("ad_group_daily",)
    api_errors: ClassVar[ApiErrors] = GOOGLE_API
    default_lookback_days: ClassVar[int] = LOOKBACK_DAYS
    default_timeout_s: ClassVar[float] = 120.0

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
        **options: Unpack[ConnectorOptions],
    ) -> None:
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
        self.google_auth = GoogleAuth(self.credentials)
        super().__init__(self.credentials.base_url, self.google_auth, **options)

    @property
    def configured_account(self) -> str | None:
        """The listed customers (``accounts`` / ``customer_id``), comma-joined, if any."""
        return ",".join(self._listed()) or None

    def all_streams(self) -> Sequence[str]:
        """Every GAQL stream."""
        return tuple(STREAM_QUERIES)

    def _make_http(self) -> HttpClient:
        """The API client, and the token endpoint's client (absolute URL, no credentials attached)."""
        client = make_async_client(self.timeout_s)
        # the token endpoint sees (and may echo) every secret, so its client knows them all
        token_auth = NoAuth(known_secrets=self.google_auth.secrets)
        self.google_auth.token_http = self.http_client(
            self.credentials.token_url, token_auth, TOKEN_API, client
        )
        return self.http_client(self.base_url, self.auth, self.api_errors, client)

    @property
    def _version(self) -> str:
        return self.credentials.api_version

    def _listed(self) -> list[str]:
        """The customers the settings list (``accounts``, or the single ``customer_id``)."""
        listed = [*self.credentials.accounts, *filter(None, [self.credentials.customer_id])]
        return list(dict.fromkeys(str(customer_digits(c)) for c in listed))

    async def accounts(self) -> list[str]:
        """The listed customers, else every client customer under the manager (``customer_client``),
        else every accessible customer that is not a manager."""
        return self._listed() or [info.account_id for info in await self._discovered()]

    async def _search(self, customer: str, query: str) -> list[dict[str, Any]]:
        return [row async for page in self._rows(customer, query) for row in page]

    async def _discovered(self) -> list[AccountInfo]:
        manager = customer_digits(self.credentials.login_customer_id)
        if manager:
            return await self._clients_of(manager)
        endpoint = ENDPOINTS["accessible_customers"]
        body = await self.http.send_json(endpoint.request(version=self._version), endpoint.name)
        found: list[AccountInfo] = []
        for cid in (str(n).rsplit("/", 1)[-1] for n in dig(body, ("resourceNames",)) or []):
            row = (await self._search(cid, CUSTOMER) or [{}])[0]
            if dig(row, ("customer", "manager")):
                found.extend(await self._clients_of(cid))
            else:
                found.append(_customer_info(cid, dig(row, ("customer",)) or {}))
        return list({info.account_id: info for info in found}.values())

    async def _clients_of(self, manager: str) -> list[AccountInfo]:
        """Non-manager client customers directly under ``manager`` (``customer_client``, level 1)."""
        rows = await self._search(manager, CUSTOMER_CLIENTS)
        clients = [dig(row, ("customerClient",)) or {} for row in rows]
        return [
            _customer_info(str(c.get("id")), c)
            for c in clients
            if str(c.get("level")) == "1" and not c.get("manager") and c.get("status", "ENABLED") == "ENABLED"
        ]

    async def account_details(self) -> list[AccountInfo]:
        """The customers to read with currency and time zone (listed ones are each queried)."""
        listed = self._listed()
        if not listed:
            return await self._discovered()
        found = []
        for cid in listed:
            rows = await self._search(cid, CUSTOMER)
            if not rows:
                raise ConfigError(f"google_ads: customer {cid} answered no customer row")
            found.append(_customer_info(cid, dig(rows[0], ("customer",)) or {}))
        return found

    async def check(self) -> SourceCheck:
        """Token refresh, the API version, every customer's attributes; the OAuth scope granted."""
        base = await super().check()
        scope = self.google_auth.scope
        return replace(base, api_version=self._version, scopes=tuple(scope.split()) if scope else ())

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
        keys = key_fields(fields, segments)
        async for page in self._rows(str(customer_digits(account)), query):
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


def _customer_info(cid: str, fields: Mapping[str, Any]) -> AccountInfo:
    """An AccountInfo from a ``customer`` or ``customerClient`` JSON object."""
    return AccountInfo(
        cid,
        str(fields.get("descriptiveName") or ""),
        fields.get("currencyCode"),
        fields.get("timeZone"),
    )


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
    for column in (c for c in INT64_FIELDS if c in frame.columns):
        frame[column] = pd.to_numeric(frame[column]).astype("int64")
    return frame
