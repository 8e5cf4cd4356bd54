"""Klaviyo connector: campaigns and flows, their values reports, and the store's daily orders/revenue.

Credentials (arguments win over environment variables)::

    LIFTOS_KLAVIYO__API_KEY (private key, ``pk_…``), LIFTOS_KLAVIYO__PUBLIC_KEY (the account / site id),
    LIFTOS_KLAVIYO__BASE_URL (default https://a.klaviyo.com), LIFTOS_KLAVIYO__REVISION (default 2026-10-15)

Every request carries ``Authorization: Klaviyo-API-Key …`` and the pinned ``revision`` header.
Streams:

- ``campaigns`` / ``flows``: JSON:API listings (``links.next`` paging), full refresh every poll.
- ``campaign_values`` / ``flow_values``: values reports (conversion metric: Placed Order) over
  *aligned* windows of ``report_window_days`` (default 1: one report per day, so every record is
  one entity-day). Aligned windows never overlap between runs, so a lookback re-read rewrites the
  same keys instead of double counting (a known Klaviyo report pitfall). The reporting endpoints
  allow 225 calls a day; a long backfill with daily windows therefore spreads over days at the
  real limits, and a 429 whose ``Retry-After`` exceeds the policy's ``max_hint_s`` ends the poll
  with ``TransientError(retry_after=…)`` so the caller resumes later from the committed cursor.
- ``store_outcomes``: the store's daily orders (``count``) and revenue (``sum_value``) of the
  Placed Order metric through ``metric-aggregates`` (the business outcome). The response is columnar
  (``dates[]`` + measurement arrays); each day becomes one record
  ``{"date", "metric_id", "dimensions", "measurements": {"count", "sum_value"}}`` with the values
  exactly as sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

import httpx
import pandas as pd
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from liftos.errors import ConfigError, DataError
from liftos.events import RawEvent, RequestSlice
from liftos.integrations.connector import Connector, DateLike, given_args, parse_date_range
from liftos.integrations.cursors import SlicePlan, split_range
from liftos.integrations.endpoints import Endpoint, RawRecord, iterate_pages, key_of
from liftos.integrations.http_core import (
    DEFAULT_ERRORS,
    THROTTLE,
    Action,
    ConnectorLimits,
    ErrorKey,
    ErrorRule,
    HttpClient,
    HttpMetrics,
    NullMetrics,
    Request,
    RetryPolicy,
    make_async_client,
)
from liftos.integrations.paginators import NextLinkPaginator, dig
from liftos.transformations import values as tv
from liftos.transformations.context import MappingContext
from liftos.transformations.raw_events import OutputRow, register_mapper, skip
from liftos.transformations.schemas import SourceSchema, register_source_schema

__all__ = [
    "DEFAULT_SCHEMA_MAPPING",
    "ENDPOINTS",
    "KLAVIYO_ERRORS",
    "REPORT_STATISTICS",
    "KlaviyoConnector",
    "KlaviyoCredentials",
    "email_cost",
    "normalize_klaviyo_outcome",
    "normalize_klaviyo_report",
]

DEFAULT_BASE_URL = "https://a.klaviyo.com"
DEFAULT_REVISION = "2026-10-15"
LOOKBACK_DAYS = 7
OUTCOME_STEP_DAYS = 365  # metric-aggregates accept at most one year
CONVERSION_METRIC = "Placed Order"
JSONAPI = "application/vnd.api+json"
#: Statistics read by the report streams.
REPORT_STATISTICS = (
    "recipients",
    "delivered",
    "bounced",
    "opens",
    "opens_unique",
    "clicks",
    "clicks_unique",
    "unsubscribes",
    "conversions",
    "conversion_value",
)
#: Seed metric names → report statistics.
SEED_METRICS = {"bounces": "bounced", "revenue": "conversion_value", "placed_order_count": "conversions"}
_ENTITY_COLUMNS = ("campaign_name", "sent_at")

_CONFIG = ErrorRule(Action.FAIL_CONFIG, "auth")
#: Klaviyo error codes merged onto the default table (an API key cannot be refreshed).
KLAVIYO_ERRORS: Mapping[ErrorKey, ErrorRule] = {
    **DEFAULT_ERRORS,
    401: _CONFIG,
    "throttled": THROTTLE,
    "not_authenticated": _CONFIG,
    "authentication_failed": _CONFIG,
    "permission_denied": ErrorRule(Action.FAIL_CONFIG, "permission"),
}

_LISTING = SlicePlan(step_days=1, lookback_days=0, sliced=False)
#: The endpoint table (report windows are set per connector: see ``report_window_days``).
ENDPOINTS: Mapping[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint(
            "campaigns",
            "GET",
            "/api/campaigns",
            {"filter": "equals(messages.channel,'email')"},
            paginator=NextLinkPaginator,
            slicing=_LISTING,
        ),
        Endpoint("flows", "GET", "/api/flows", paginator=NextLinkPaginator, slicing=_LISTING),
        Endpoint("metrics", "GET", "/api/metrics", paginator=NextLinkPaginator, slicing=_LISTING),
        Endpoint(
            "campaign_values",
            "POST",
            "/api/campaign-values-reports",
            paginator=NextLinkPaginator,
            records_path=("data", "attributes", "results"),
            key_fields=("groupings.campaign_id", "groupings.campaign_message_id", "groupings.send_channel"),
        ),
        Endpoint(
            "flow_values",
            "POST",
            "/api/flow-values-reports",
            paginator=NextLinkPaginator,
            records_path=("data", "attributes", "results"),
            key_fields=("groupings.flow_id", "groupings.flow_message_id", "groupings.send_channel"),
        ),
        Endpoint("store_outcomes", "POST", "/api/metric-aggregates", records_path=("data", "attributes")),
    )
}
_REPORT_KIND = {"campaign_values": "campaign", "flow_values": "flow"}
_STREAMS = ("campaigns", "flows", "campaign_values", "flow_values", "store_outcomes")


class KlaviyoCredentials(BaseSettings):
    """Klaviyo settings from arguments or ``LIFTOS_KLAVIYO__*`` variables."""

    model_config = SettingsConfigDict(env_prefix="LIFTOS_KLAVIYO__", extra="ignore", frozen=True)

    api_key: SecretStr | None = None
    public_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    revision: str = DEFAULT_REVISION


class _KlaviyoAuth:
    """Private API key + pinned revision; keys cannot be refreshed."""

    def __init__(self, creds: KlaviyoCredentials) -> None:
        if creds.api_key is None:
            raise ConfigError("Klaviyo api_key is missing (argument or LIFTOS_KLAVIYO__API_KEY)")
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


def _error_code(response: httpx.Response, body: Any) -> str | None:
    del response
    errors = dig(body, ("errors",))
    first = errors[0] if isinstance(errors, list) and errors else None
    code = dig(first, ("code",))
    return None if code is None else str(code)


def _midnight(day: date) -> str:
    return datetime.combine(day, time.min).isoformat()


def report_body(
    kind: str, metric_id: str, start: date, end: date, statistics: Sequence[str]
) -> dict[str, Any]:
    """A values-report request body for ``start..end`` (inclusive days; end sent as next midnight)."""
    timeframe = {"start": _midnight(start) + "+00:00", "end": _midnight(end + timedelta(days=1)) + "+00:00"}
    return {
        "data": {
            "type": f"{kind}-values-report",
            "attributes": {
                "statistics": list(statistics),
                "timeframe": timeframe,
                "conversion_metric_id": metric_id,
                "group_by": [f"{kind}_id", f"{kind}_message_id", "send_channel"],
            },
        }
    }


def aggregate_body(metric_id: str, start: date, end: date, timezone: str) -> dict[str, Any]:
    """A daily metric-aggregates request body (count and sum_value) for ``start..end``."""
    window = [
        f"greater-or-equal(datetime,{_midnight(start)})",
        f"less-than(datetime,{_midnight(end + timedelta(days=1))})",
    ]
    return {
        "data": {
            "type": "metric-aggregate",
            "attributes": {
                "metric_id": metric_id,
                "measurements": ["count", "sum_value"],
                "interval": "day",
                "filter": window,
                "timezone": timezone,
            },
        }
    }


def explode_aggregate(attributes: Any, metric_id: str) -> list[dict[str, Any]]:
    """One record per (date, dimension set) of a columnar metric-aggregate result."""
    dates = dig(attributes, ("dates",))
    series = dig(attributes, ("data",))
    if not isinstance(dates, list) or not isinstance(series, list):
        raise DataError(f"klaviyo: metric-aggregates answered without dates/data: {str(attributes)[:200]}")
    out = []
    for entry in series:
        values = entry.get("measurements", {})
        for index, stamp in enumerate(dates):
            out.append(
                {
                    "date": stamp,
                    "metric_id": metric_id,
                    "dimensions": entry.get("dimensions", []),
                    "measurements": {name: column[index] for name, column in values.items()},
                }
            )
    return out


class KlaviyoConnector(Connector):
    """Klaviyo email campaigns/flows and the store outcome.

    Args:
        api_key: Private API key (``pk_…``).
        public_key: Public key / site id; the account id of every record.
        base_url: API host (an emulator URL in tests).
        revision: Pinned API revision.
        report_window_days: Width of the aligned values-report windows (1 = daily records).
        lookback_days: Days re-read on every poll.
        timezone: Time zone of the daily store-outcome buckets.
        policy: Retry policy.
        metrics: Metric hooks.
        timeout_s: HTTP timeout per network operation (seconds).
        limits: Page, body, deadline and Retry-After bounds.
    """

    source: ClassVar[str] = "klaviyo"
    streams: ClassVar[tuple[str, ...]] = _STREAMS

    def __init__(
        self,
        api_key: str | None = None,
        public_key: str | None = None,
        base_url: str | None = None,
        *,
        revision: str | None = None,
        report_window_days: int = 1,
        lookback_days: int = LOOKBACK_DAYS,
        timezone: str = "UTC",
        policy: RetryPolicy | None = None,
        metrics: HttpMetrics | None = None,
        timeout_s: float = 60.0,
        limits: ConnectorLimits | None = None,
    ) -> None:
        super().__init__(policy, metrics, timeout_s, limits)
        given = {"api_key": api_key, "public_key": public_key, "base_url": base_url, "revision": revision}
        self.credentials = KlaviyoCredentials(**given_args(given))
        self._auth = _KlaviyoAuth(self.credentials)
        self.report_window_days = report_window_days
        self.lookback_days = lookback_days
        self.timezone = timezone
        self._metric_id: str | None = None

    def __repr__(self) -> str:
        creds = self.credentials
        return f"KlaviyoConnector(base_url={creds.base_url!r}, public_key={creds.public_key!r})"

    def _make_http(self) -> HttpClient:
        return HttpClient(
            source=self.source,
            base_url=self.credentials.base_url.rstrip("/"),
            auth=self._auth,
            errors=KLAVIYO_ERRORS,
            error_code=_error_code,
            policy=self.policy,
            client=make_async_client(self.timeout_s),
            metrics=self.metrics or NullMetrics(),
            limits=self.limits,
        )

    async def accounts(self) -> list[str]:
        """The public key (one Klaviyo account per API key); else the key's account from /api/accounts."""
        if self.credentials.public_key:
            return [self.credentials.public_key]
        body = await self.http.send_json(Request("GET", "/api/accounts"), "accounts")
        found = [str(a.get("id")) for a in dig(body, ("data",)) or [] if isinstance(a, dict)]
        if not found:
            raise ConfigError("klaviyo: no account visible to this API key; set public_key")
        return found

    def slice_plan(self, stream: str) -> SlicePlan:
        """Listings: not sliced; reports: aligned windows; outcomes: one-year slices; 7-day lookback."""
        self._check_stream(stream)
        if stream in ("campaigns", "flows"):
            return _LISTING
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
        if stream in _REPORT_KIND:
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
        endpoint, kind = ENDPOINTS[stream], _REPORT_KIND[stream]
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
        wanted = list(metrics or (*_ENTITY_COLUMNS, *REPORT_STATISTICS))
        stats = tuple(dict.fromkeys(SEED_METRICS.get(m, m) for m in wanted if m not in _ENTITY_COLUMNS))
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
                rows.extend({"date": piece.start, "kind": _REPORT_KIND[stream], **r} for r in found)
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


# ------------------------------------------------------------------ normalization (raw → one schema)
#: Email engagement statistics kept as row extras (counts).
EXTRA_STATISTICS = (
    "recipients",
    "delivered",
    "bounced",
    "opens",
    "opens_unique",
    "clicks_unique",
    "unsubscribes",
)


def email_cost(recipients: float, context: MappingContext) -> float:
    """Estimated email spend (account currency): recipients x the context's cost per recipient, in cents."""
    return round(recipients * context.email_cost_per_recipient, 2)


def normalize_klaviyo_report(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One values-report result (campaign or flow message × one-day window) → one NormalizedRow.

    Klaviyo reports no spend: ``spend`` is the documented estimate recipients x
    ``context.email_cost_per_recipient``. ``impressions`` = recipients, ``clicks`` = clicks,
    ``conversions`` / ``revenue`` = the report's conversions / conversion_value (Placed Order).
    The day is the request window (``request_slice.start``; the payload carries none). Klaviyo
    records carry no currency: the account lookup of the context, else the reporting currency.
    """
    kind = _REPORT_KIND[event.stream]
    on = tv.single_day(event.request_slice.start, event.request_slice.end, "report window")
    groupings, stats = tv.dig(event.payload, "groupings"), tv.dig(event.payload, "statistics")
    if not isinstance(groupings, dict) or not isinstance(stats, dict):
        raise DataError("expected groupings and statistics objects")
    recipients = tv.count(stats.get("recipients"), "statistics.recipients")
    fields = {
        "date": on,
        "channel": KlaviyoConnector.source,
        "platform": tv.name(groupings.get("send_channel"), "groupings.send_channel") or "email",
        "campaign_id": tv.ident(groupings.get(f"{kind}_id"), f"groupings.{kind}_id"),
        "campaign": tv.name(groupings.get(f"{kind}_name"), f"groupings.{kind}_name"),
        "ad_group_id": tv.ident(
            groupings.get(f"{kind}_message_id"), f"groupings.{kind}_message_id", required=False
        ),
        "ad_group": tv.name(groupings.get(f"{kind}_message_name"), f"groupings.{kind}_message_name"),
        "spend": email_cost(recipients, context),
        "impressions": recipients,
        "clicks": tv.count(stats.get("clicks"), "statistics.clicks"),
        "conversions": tv.number(stats.get("conversions"), "statistics.conversions"),
        "revenue": tv.number(stats.get("conversion_value"), "statistics.conversion_value"),
        "extras": {k: tv.number(stats[k], f"statistics.{k}") for k in EXTRA_STATISTICS if k in stats},
    }
    return [tv.build_marketing_row(event, context, context.currency_of(event.account_id), fields)]


def normalize_klaviyo_outcome(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One day of the Placed Order aggregate → one StoreOutcomeRow (orders = count, revenue = sum_value).

    The date is the bucket's local date (the aggregate's time zone); revenue is converted from the
    account currency (context lookup, else reporting) to the reporting currency.
    """
    p = event.payload
    if p.get("dimensions"):
        raise DataError("store outcome split by dimensions; expected one series per day")
    measurements = p.get("measurements")
    if not isinstance(measurements, dict):
        raise DataError("expected a measurements object")
    return [
        tv.build_outcome_row(
            event,
            context,
            context.currency_of(event.account_id),
            tv.day(p.get("date"), "date"),
            tv.count(measurements.get("count"), "measurements.count"),
            tv.number(measurements.get("sum_value"), "measurements.sum_value"),
        )
    ]


def _cost_estimate(frame: pd.DataFrame, context: MappingContext) -> pd.DataFrame:
    """Adds ``cost_estimate`` (account currency) = recipients x cost per recipient, rounded to cents."""
    if "recipients" not in frame.columns or "cost_estimate" in frame.columns:
        return frame
    recipients = pd.to_numeric(frame["recipients"], errors="coerce")
    return frame.assign(cost_estimate=(recipients * context.email_cost_per_recipient).round(2))


#: Default DataFrame mapping of ``get_campaign_data`` frames (seed metric names).
DEFAULT_SCHEMA_MAPPING: Mapping[str, tuple[str, ...]] = {
    "date": ("date",),
    "campaign_id": ("campaign_id",),
    "campaign": ("campaign_name",),
    "ad_group_id": ("message_id",),
    "spend": ("cost_estimate",),
    "impressions": ("recipients",),
    "clicks": ("clicks",),
    "conversions": ("placed_order_count", "conversions"),
    "revenue": ("revenue", "conversion_value"),
}

for _stream in ("campaign_values", "flow_values"):
    register_mapper(KlaviyoConnector.source, _stream, normalize_klaviyo_report)
for _stream in ("campaigns", "flows", "metrics"):
    register_mapper(KlaviyoConnector.source, _stream, skip)  # metadata listings: no metrics
register_mapper(KlaviyoConnector.source, "store_outcomes", normalize_klaviyo_outcome)
register_source_schema(
    SourceSchema(
        source=KlaviyoConnector.source,
        mapping=DEFAULT_SCHEMA_MAPPING,
        platform_columns=("send_channel",),
        default_platform="email",
        derive=_cost_estimate,
    )
)
