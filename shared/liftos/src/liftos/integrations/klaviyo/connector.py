"""The Klaviyo connector: campaigns and flows, their values reports, the store outcome, and its DataFrames."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, ClassVar, Unpack

import pandas as pd

from liftos.errors import ConfigError
from liftos.events import RequestSlice
from liftos.integrations.connector import Connector, ConnectorOptions, DateLike, given_args, parse_date_range
from liftos.integrations.cursors import SlicePlan, split_range
from liftos.integrations.endpoints import RawRecord, iterate_pages, key_of
from liftos.integrations.http_core import ApiErrors, Request
from liftos.integrations.klaviyo.auth import KlaviyoAuth
from liftos.integrations.klaviyo.endpoint_table import ENDPOINTS, KLAVIYO_API, LISTING_PLAN
from liftos.integrations.klaviyo.reporting import aggregate_body, explode_aggregate, report_body
from liftos.integrations.klaviyo.settings import (
    CONVERSION_METRIC,
    ENTITY_COLUMNS,
    LOOKBACK_DAYS,
    OUTCOME_STEP_DAYS,
    REPORT_KIND,
    REPORT_STATISTICS,
    SEED_METRICS,
    SOURCE,
    STREAMS,
    KlaviyoCredentials,
)
from liftos.integrations.paginators import dig
from liftos.integrations.source_check import AccountInfo, SourceCheck


class KlaviyoConnector(Connector):
    """Klaviyo email campaigns/flows and the store outcome.

    Args:
        api_key: Private API key (``pk_…``).
        public_key: Public key / site id; the account id of every record.
        base_url: API host (an emulator URL in tests).
        revision: Pinned API revision.
        report_window_days: Width of the aligned values-report windows (1 = daily records).
        timezone: Time zone of the daily store-outcome buckets.
        options: ``lookback_days`` (default 7), ``policy``, ``metrics``, ``timeout_s``
            (:class:`~liftos.integrations.connector.ConnectorOptions`).
    """

    source: ClassVar[str] = SOURCE
    streams: ClassVar[tuple[str, ...]] = STREAMS
    api_errors: ClassVar[ApiErrors] = KLAVIYO_API
    default_lookback_days: ClassVar[int] = LOOKBACK_DAYS

    def __init__(
        self,
        api_key: str | None = None,
        public_key: str | None = None,
        base_url: str | None = None,
        *,
        revision: str | None = None,
        report_window_days: int = 1,
        timezone: str = "UTC",
        **options: Unpack[ConnectorOptions],
    ) -> None:
        given = {"api_key": api_key, "public_key": public_key, "base_url": base_url, "revision": revision}
        self.credentials = KlaviyoCredentials(**given_args(given))
        super().__init__(self.credentials.base_url, KlaviyoAuth(self.credentials), **options)
        self.report_window_days = report_window_days
        self.timezone = timezone
        self._metric_id: str | None = None

    @property
    def configured_account(self) -> str | None:
        """The account's public key (site id)."""
        return self.credentials.public_key

    async def accounts(self) -> list[str]:
        """The public key (one Klaviyo account per API key); else the key's account from /api/accounts."""
        if self.credentials.public_key:
            return [self.credentials.public_key]
        return [info.account_id for info in await self.account_details()]

    async def account_details(self) -> list[AccountInfo]:
        """The API key's account (``/api/accounts``: time zone and preferred currency).

        Raises:
            ConfigError: the key sees no account, or not the configured ``public_key``.
        """
        body = await self.http.send_json(Request("GET", "/api/accounts"), "accounts")
        found = [
            AccountInfo(
                str(a.get("id")),
                str(dig(a, ("attributes", "contact_information", "organization_name")) or ""),
                dig(a, ("attributes", "preferred_currency")),
                dig(a, ("attributes", "timezone")),
            )
            for a in dig(body, ("data",)) or []
            if isinstance(a, dict)
        ]
        if not found:
            raise ConfigError("klaviyo: no account visible to this API key; set public_key")
        public = self.credentials.public_key
        if public and public not in {info.account_id for info in found}:
            raise ConfigError(f"klaviyo: the API key belongs to {found[0].account_id}, not {public}")
        return found

    async def check(self) -> SourceCheck:
        """The key's account, the pinned revision, and the steady-window headroom it reports."""
        base = await super().check()
        headers = self.http.last_headers
        limit, left = headers.get("RateLimit-Limit"), headers.get("RateLimit-Remaining")
        headroom = f"{left}/{limit} left in the window" if limit and left else None
        return replace(base, api_version=self.credentials.revision, headroom=headroom)

    def slice_plan(self, stream: str) -> SlicePlan:
        """Listings: not sliced; reports: aligned windows; outcomes: one-year slices; 7-day lookback."""
        self._check_stream(stream)
        if stream in ("campaigns", "flows"):
            return LISTING_PLAN
        if stream == "store_outcomes":
            return SlicePlan(step_days=OUTCOME_STEP_DAYS, lookback_days=self.lookback_days)
        return SlicePlan(step_days=self.report_window_days, lookback_days=self.lookback_days, aligned=True)

    async def conversion_metric_id(self) -> str:
        """The id of the Placed Order metric (cached)."""
        if self._metric_id is None:
            endpoint = ENDPOINTS["metrics"]
            async for page in iterate_pages(self.http, endpoint, endpoint.request()):
                match = next((m for m in page if dig(m, ("attributes", "name")) == CONVERSION_METRIC), None)
                if match is not None:
                    self._metric_id = str(match["id"])
                    break
        if self._metric_id is None:
            raise ConfigError(f"klaviyo: no {CONVERSION_METRIC!r} metric in this account")
        return self._metric_id

    async def fetch(
        self, stream: str, account: str, request_slice: RequestSlice
    ) -> AsyncIterator[list[RawRecord]]:
        """Pages of raw records of ``stream`` (``account`` is the public key)."""
        self._check_stream(stream)
        del account  # one account per API key
        if stream in REPORT_KIND:
            pages = self._report(stream, request_slice)
        elif stream == "store_outcomes":
            pages = self._outcomes(request_slice)
        else:
            pages = self._listing(stream)
        async for page in pages:
            yield page

    async def _listing(self, stream: str) -> AsyncIterator[list[RawRecord]]:
        endpoint = ENDPOINTS[stream]
        async for page in iterate_pages(self.http, endpoint, endpoint.request()):
            yield [RawRecord(row, key_of(row, endpoint.key_fields)) for row in page]

    async def _report(self, stream: str, request_slice: RequestSlice) -> AsyncIterator[list[RawRecord]]:
        endpoint, kind = ENDPOINTS[stream], REPORT_KIND[stream]
        statistics = (
            tuple(s for s in request_slice.params.get("statistics", "").split(",") if s) or REPORT_STATISTICS
        )
        body = report_body(
            kind, await self.conversion_metric_id(), request_slice.start, request_slice.end, statistics
        )
        window = (request_slice.start.isoformat(), request_slice.end.isoformat())
        async for page in iterate_pages(self.http, endpoint, endpoint.request(json=body)):
            yield [RawRecord(row, (*key_of(row, endpoint.key_fields), *window)) for row in page]

    async def _outcomes(self, request_slice: RequestSlice) -> AsyncIterator[list[RawRecord]]:
        endpoint, metric_id = ENDPOINTS["store_outcomes"], await self.conversion_metric_id()
        for piece in split_range(request_slice.start, request_slice.end, OUTCOME_STEP_DAYS):
            body = aggregate_body(metric_id, piece.start, piece.end, self.timezone)
            response = await self.http.send_json(endpoint.request(json=body), endpoint.name)
            rows = explode_aggregate(dig(response, endpoint.records_path), metric_id)
            yield [RawRecord(row, (metric_id, str(row["date"])[:10], str(row["dimensions"]))) for row in rows]

    # -------------------------------------------------------------- notebook API
    def get_campaign_data(
        self,
        date_range: tuple[DateLike, DateLike],
        metrics: Sequence[str] | None = None,
        include_flows: bool = True,
        include_segments: bool = False,
    ) -> pd.DataFrame:
        """Campaign (and flow) statistics per report window as a DataFrame.

        Args:
            date_range: ``(start, end)`` inclusive.
            metrics: Seed names (``campaign_name``, ``sent_at``, ``recipients``, ``opens``, ``clicks``,
                ``unsubscribes``, ``bounces``, ``revenue``, ``placed_order_count``) or report statistic
                names. Default: every statistic of :data:`REPORT_STATISTICS` plus name and send time.
            include_flows: Add flow rows (``kind == "flow"``).
            include_segments: Add the campaign audiences (included / excluded list and segment ids).

        Returns:
            One row per entity × window: ``date`` (window start), ``kind``, ``campaign_id``,
            ``message_id``, ``send_channel`` and the requested metrics (money in account currency).
        """
        start, end = parse_date_range(date_range)
        wanted = list(metrics or (*ENTITY_COLUMNS, *REPORT_STATISTICS))
        stats = tuple(dict.fromkeys(SEED_METRICS.get(m, m) for m in wanted if m not in ENTITY_COLUMNS))
        kinds = ("campaign_values", "flow_values") if include_flows else ("campaign_values",)
        rows, entities = self._run(lambda: self._collect_reports(kinds, start, end, stats))
        return _report_frame(rows, entities, wanted, include_segments)

    def get_store_outcomes(self, date_range: tuple[DateLike, DateLike]) -> pd.DataFrame:
        """The store's daily orders and revenue (Placed Order count / value) as ``date, orders, revenue``."""
        start, end = parse_date_range(date_range)
        rows = self._run(lambda: self.collect("store_outcomes", "", RequestSlice(start=start, end=end)))
        return pd.DataFrame(
            {
                "date": [date.fromisoformat(str(r["date"])[:10]) for r in rows],
                "orders": [int(r["measurements"].get("count", 0)) for r in rows],
                "revenue": [float(r["measurements"].get("sum_value", 0.0)) for r in rows],
            }
        )

    async def _collect_reports(
        self, kinds: Sequence[str], start: date, end: date, stats: Sequence[str]
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        entities = {
            row["id"]: row
            for stream in ("campaigns", "flows")
            for row in await self.collect(stream, "", RequestSlice(start=start, end=end))
        }
        rows: list[dict[str, Any]] = []
        params = {"statistics": ",".join(stats)}
        for stream in kinds:
            for piece in split_range(start, end, self.report_window_days, aligned=True):
                found = await self.collect(
                    stream, "", RequestSlice(start=piece.start, end=piece.end, params=params)
                )
                rows.extend({"date": piece.start, "kind": REPORT_KIND[stream], **r} for r in found)
        return rows, entities


def _report_frame(
    rows: list[dict[str, Any]], entities: Mapping[str, dict[str, Any]], wanted: Sequence[str], segments: bool
) -> pd.DataFrame:
    records = []
    for row in rows:
        groupings, stats = row.get("groupings", {}), row.get("statistics", {})
        entity_id = groupings.get(f"{row['kind']}_id")
        attributes = entities.get(str(entity_id), {}).get("attributes", {})
        record: dict[str, Any] = {
            "date": row["date"],
            "kind": row["kind"],
            "campaign_id": entity_id,
            "message_id": groupings.get(f"{row['kind']}_message_id"),
            "send_channel": groupings.get("send_channel"),
        }
        for name in wanted:
            if name == "campaign_name":
                record[name] = attributes.get("name")
            elif name == "sent_at":
                record[name] = attributes.get("send_time")
            else:
                record[name] = stats.get(SEED_METRICS.get(name, name))
        if segments:
            record["audiences_included"] = dig(attributes, ("audiences", "included"))
            record["audiences_excluded"] = dig(attributes, ("audiences", "excluded"))
        records.append(record)
    return pd.DataFrame(records)
