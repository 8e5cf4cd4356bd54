"""The Klaviyo connector: campaigns and flows, their values reports, the store outcome, and its DataFrames."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, ClassVar, Unpack
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from liftos.errors import ConfigError
from liftos.events import RequestSlice
from liftos.integrations.connector import Connector, ConnectorOptions, DateLike, given_args, parse_date_range
from liftos.integrations.cursors import SlicePlan, split_range
from liftos.integrations.endpoints import RawRecord, iterate_pages, key_of
from liftos.integrations.http_core import ApiErrors, Request
from liftos.integrations.klaviyo.auth import KlaviyoAuth
from liftos.integrations.klaviyo.endpoint_table import ENDPOINTS, KLAVIYO_API, LISTING_PLAN
from liftos.integrations.klaviyo.reporting import (
    aggregate_body,
    explode_aggregate,
    join_message_days,
    report_body,
)
from liftos.integrations.klaviyo.settings import (
    AGGREGATE_STEP_DAYS,
    ALL_STREAMS,
    ATTRIBUTED_BY,
    CONVERSION_METRIC,
    ENTITY_COLUMNS,
    LOOKBACK_DAYS,
    MESSAGE_METRICS,
    OUTCOME_STEP_DAYS,
    REPORT_KIND,
    REPORT_STATISTICS,
    SEED_METRICS,
    SENT_BY,
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
        report_window_days: 1 (default): daily rows from metric-aggregates; wider: totals per aligned
            values-report window of that many days.
        timezone: Time zone of the daily store-outcome buckets.
        options: ``lookback_days`` (default 7), ``policy``, ``metrics``, ``timeout_s``, ``limits``
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
        self._metric_ids: dict[str, str] | None = None
        self._currency: str | None = None

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

    async def account_currency(self) -> str:
        """The account's preferred currency (``/api/accounts``, read once): the currency of the daily
        records this connector derives (metric aggregates carry none), so the normalizer converts them.

        Raises:
            ConfigError: the account states no currency.
        """
        if self._currency is None:
            currency = (await self.account_details())[0].currency
            if not currency:
                raise ConfigError("klaviyo: the account states no preferred_currency")
            self._currency = str(currency)
        return self._currency

    async def check(self) -> SourceCheck:
        """The key's account, the pinned revision, and the steady-window headroom it reports."""
        base = await super().check()
        headers = self.http.last_headers
        limit, left = headers.get("RateLimit-Limit"), headers.get("RateLimit-Remaining")
        headroom = f"{left}/{limit} left in the window" if limit and left else None
        return replace(base, api_version=self.credentials.revision, headroom=headroom)

    def all_streams(self) -> Sequence[str]:
        """The default streams and the values reports."""
        return ALL_STREAMS

    def slice_plan(self, stream: str) -> SlicePlan:
        """Listings: not sliced; reports: aligned windows; aggregates: one-year slices; 7-day lookback."""
        self._check_stream(stream)
        if stream in ("campaigns", "flows"):
            return LISTING_PLAN
        if stream in ("store_outcomes", "message_daily"):
            return SlicePlan(step_days=OUTCOME_STEP_DAYS, lookback_days=self.lookback_days)
        return SlicePlan(step_days=self.report_window_days, lookback_days=self.lookback_days, aligned=True)

    async def metric_id(self, *names: str) -> str:
        """The id of the first of ``names`` the account has (the metric listing is read once).

        Raises:
            ConfigError: the account has none of them.
        """
        if self._metric_ids is None:
            endpoint, found = ENDPOINTS["metrics"], {}
            async for page in iterate_pages(self.http, endpoint, endpoint.request()):
                found.update({str(dig(m, ("attributes", "name"))): str(m["id"]) for m in page})
            self._metric_ids = found
        for name in names:
            if name in self._metric_ids:
                return self._metric_ids[name]
        raise ConfigError(f"klaviyo: no {' / '.join(map(repr, names))} metric in this account")

    async def conversion_metric_id(self) -> str:
        """The id of the Placed Order metric (cached)."""
        return await self.metric_id(CONVERSION_METRIC)

    async def fetch(
        self, stream: str, account: str, request_slice: RequestSlice
    ) -> AsyncIterator[list[RawRecord]]:
        """Pages of raw records of ``stream`` (``account`` is the public key)."""
        self._check_stream(stream)
        del account  # one account per API key
        if stream in REPORT_KIND:
            pages = self._report(stream, request_slice)
        elif stream == "message_daily":
            pages = self._message_records(request_slice)
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
        currency = await self.account_currency()
        for piece in split_range(request_slice.start, request_slice.end, OUTCOME_STEP_DAYS):
            body = aggregate_body(metric_id, piece.start, piece.end, self.timezone)
            response = await self.http.send_json(endpoint.request(json=body), endpoint.name)
            rows = explode_aggregate(dig(response, endpoint.records_path), metric_id)
            yield [
                RawRecord(
                    {**row, "currency": currency}, (metric_id, str(row["date"])[:10], str(row["dimensions"]))
                )
                for row in rows
            ]

    async def _message_records(self, request_slice: RequestSlice) -> AsyncIterator[list[RawRecord]]:
        stats = tuple(s for s in request_slice.params.get("statistics", "").split(",") if s)
        rows = await self.message_days(
            request_slice.start, request_slice.end, stats or tuple(MESSAGE_METRICS)
        )
        yield [RawRecord(row, (*_grouping_key(row), row["date"])) for row in rows]

    async def message_days(self, start: date, end: date, statistics: Sequence[str]) -> list[dict[str, Any]]:
        """One record per (day, campaign or flow message) with ``statistics``, from metric-aggregates:
        one call per metric and year (``interval=day``, grouped by ``$message`` / ``$flow``, conversions
        by the attributed message and flow), plus the campaign and flow listings for names."""
        wanted = [s for s in statistics if s in MESSAGE_METRICS]
        unknown = [s for s in statistics if s not in MESSAGE_METRICS and s != "recipients"]
        if unknown:
            raise ConfigError(
                f"klaviyo: no daily metric for {unknown}; daily statistics: {sorted(MESSAGE_METRICS)}"
            )
        if "recipients" in statistics:
            wanted = list(dict.fromkeys([*wanted, "delivered", "bounced"]))
        by_metric: dict[tuple[str, ...], list[str]] = {}
        for statistic in wanted:
            by_metric.setdefault(MESSAGE_METRICS[statistic][0], []).append(statistic)
        series: dict[str, list[dict[str, Any]]] = {}
        for piece in split_range(start, end, AGGREGATE_STEP_DAYS):
            for candidates, group in by_metric.items():
                wanted_measures = sorted({MESSAGE_METRICS[s][1] for s in group})
                by = ATTRIBUTED_BY if MESSAGE_METRICS[group[0]][2] else SENT_BY
                records = await self._aggregate(
                    await self.metric_id(*candidates), piece.start, piece.end, wanted_measures, by
                )
                for statistic in group:
                    series.setdefault(statistic, []).extend(records)
        campaign_of, names = await self._entity_names(start, end)
        measures = {s: MESSAGE_METRICS[s][1] for s in wanted}
        return join_message_days(series, measures, campaign_of, names)

    async def _aggregate(
        self, metric_id: str, start: date, end: date, measures: Sequence[str], by: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Every page of one grouped daily aggregate, exploded to (date, dimensions) records."""
        endpoint, cursor, out = ENDPOINTS["store_outcomes"], None, []
        while True:
            body = aggregate_body(metric_id, start, end, self.timezone, measures, by, cursor)
            response = await self.http.send_json(endpoint.request(json=body), "metric_aggregates")
            out.extend(explode_aggregate(dig(response, endpoint.records_path), metric_id))
            cursor = _cursor_of(dig(response, ("links", "next")))
            if cursor is None:
                return out

    async def _entity_names(self, start: date, end: date) -> tuple[dict[str, str], dict[str, str]]:
        """(campaign message id -> campaign id, campaign or flow id -> name) from the listings."""
        campaign_of, names = {}, {}
        for stream in ("campaigns", "flows"):
            for row in await self.collect(stream, "", RequestSlice(start=start, end=end)):
                names[str(row["id"])] = str(dig(row, ("attributes", "name")) or "")
                for message in dig(row, ("relationships", "campaign-messages", "data")) or []:
                    campaign_of[str(message.get("id"))] = str(row["id"])
        return campaign_of, names

    # -------------------------------------------------------------- notebook API
    def get_campaign_data(
        self,
        date_range: tuple[DateLike, DateLike],
        metrics: Sequence[str] | None = None,
        include_flows: bool = True,
        include_segments: bool = False,
    ) -> pd.DataFrame:
        """Campaign (and flow) statistics per day (or per report window) as a DataFrame.

        Daily rows (``report_window_days=1``, the default) come from metric-aggregates: one call per
        metric and year of history (grouped by message), within Klaviyo's 60/min tier. Wider windows
        read the values reports (they match Klaviyo's UI totals, but allow 2 calls/min and 225/day).

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
        if self.report_window_days == 1:  # the daily shape: metric-aggregates, one call per metric and year
            for row in await self.message_days(start, end, stats):
                kind = "flow" if "flow_id" in row["groupings"] else "campaign"
                if f"{kind}_values" in kinds:
                    rows.append({**row, "date": date.fromisoformat(row["date"]), "kind": kind})
            return rows, entities
        params = {"statistics": ",".join(stats)}
        for stream in kinds:  # totals over long windows: the values reports (2/min, 225/day)
            for piece in split_range(start, end, self.report_window_days, aligned=True):
                found = await self.collect(
                    stream, "", RequestSlice(start=piece.start, end=piece.end, params=params)
                )
                rows.extend({"date": piece.start, "kind": REPORT_KIND[stream], **r} for r in found)
        return rows, entities


def _grouping_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    groupings = row["groupings"]
    return tuple(str(groupings.get(k, "")) for k in sorted(groupings) if k.endswith("_id"))


def _cursor_of(link: Any) -> str | None:
    """The ``page_cursor`` of a ``links.next`` URL (None on the last page)."""
    if not isinstance(link, str) or not link:
        return None
    values = parse_qs(urlsplit(link).query).get("page_cursor") or parse_qs(urlsplit(link).query).get(
        "page[cursor]"
    )
    return values[0] if values else None


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
