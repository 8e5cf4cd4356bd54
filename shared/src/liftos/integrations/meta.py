"""Meta Marketing API (Graph) connector: ad-account discovery and insights via async report runs.

Credentials (arguments win over environment variables)::

    LIFTOS_META__ACCESS_TOKEN, LIFTOS_META__APP_ID, LIFTOS_META__APP_SECRET,
    LIFTOS_META__AD_ACCOUNT_ID (optional; discovered through /me/adaccounts when unset),
    LIFTOS_META__BASE_URL (default https://graph.facebook.com), LIFTOS_META__API_VERSION (default v26.0)

Insights are read as async report runs (POST → poll ``async_status`` → stream the result pages). A run
that fails, is skipped, or does not finish within ``job_timeout_s`` is split into two half date
ranges, recursively; a one-day range that still fails is read with a synchronous GET. Throttles
arrive as HTTP 400 with codes 4 / 17 / 32 / 613 / 80000-80014 in the body and are retried with
backoff (honouring ``estimated_time_to_regain_access``). Error 190 (token) is checked once with a
cheap probe: if the probe is refused too, the token is bad → ``ConfigError``, with no retry storm.
Action types (``actions``, ``action_values``) stay raw in the payload; DataFrames add
``conversions`` / ``conversion_values`` from one canonical purchase type (Meta repeats the same
value under several alias types).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

import httpx
import orjson
import pandas as pd
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from liftos.errors import ConfigError, DataError
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
    NullMetrics,
    Request,
    RetryPolicy,
    make_async_client,
    parse_retry_after,
)
from liftos.integrations.paginators import BodyCursorPaginator, dig
from liftos.transformations import values as tv
from liftos.transformations.context import MappingContext, register_purchase_action_type
from liftos.transformations.raw_events import OutputRow, register_mapper
from liftos.transformations.schemas import SourceSchema, register_source_schema

__all__ = [
    "CANONICAL_PURCHASE_TYPE",
    "DEFAULT_INSIGHTS_FIELDS",
    "DEFAULT_SCHEMA_MAPPING",
    "ENDPOINTS",
    "META_ERRORS",
    "MetaAdsConnector",
    "MetaCredentials",
    "normalize_meta_record",
]

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v26.0"
PAGE_SIZE = 1000
LOOKBACK_DAYS = 28  # Meta freezes insights 28 days after the fact
STEP_DAYS = 30
JOB_TIMEOUT_S = 900.0
POLL_START_S, POLL_MAX_S = 2.0, 15.0
DEFAULT_INSIGHTS_FIELDS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "spend",
    "impressions",
    "clicks",
    "reach",
    "actions",
    "action_values",
    "date_start",
    "date_stop",
)
PURCHASE_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
SEED_FIELD_ALIASES = {"conversions": "actions", "conversion_values": "action_values"}
SEED_BREAKDOWN_ALIASES = {"placement": "publisher_platform"}
TIME_INCREMENTS = {
    "day": "1",
    "daily": "1",
    "week": "7",
    "weekly": "7",
    "month": "monthly",
    "all": "all_days",
}
_DONE, _FAILED = "Job Completed", ("Job Failed", "Job Skipped")
_NUMERIC = ("spend", "impressions", "clicks", "reach", "frequency", "cpm", "cpc", "ctr", "inline_link_clicks")
_LEVELS = ("ad", "adset", "campaign", "account")

_TOKEN = ErrorRule(Action.REFRESH_AUTH, "auth")
#: Graph error codes (inside HTTP 400/500 bodies) merged onto the default table.
META_ERRORS: Mapping[ErrorKey, ErrorRule] = {
    **DEFAULT_ERRORS,
    **{str(code): THROTTLE for code in (4, 17, 32, 341, 613, *range(80000, 80015))},
    **{str(code): SERVER_ERROR for code in (1, 2)},
    "190": _TOKEN,
    "102": AUTH,
    **{str(code): ErrorRule(Action.FAIL_CONFIG, "permission") for code in (10, 200, 270, 2635)},
    "100": ErrorRule(Action.FAIL_DATA, "invalid_parameter"),
}

_CURSOR = lambda: BodyCursorPaginator(page_size=PAGE_SIZE)  # noqa: E731
_INSIGHTS_PLAN = SlicePlan(step_days=STEP_DAYS, lookback_days=LOOKBACK_DAYS)
#: The endpoint table.
ENDPOINTS: Mapping[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint(
            "adaccounts",
            "GET",
            "/{version}/me/adaccounts",
            {"fields": "id,account_id,currency"},
            paginator=lambda: BodyCursorPaginator(page_size=100),
        ),
        Endpoint(
            "insights", "GET", "/{version}/{account}/insights", paginator=_CURSOR, slicing=_INSIGHTS_PLAN
        ),
        Endpoint("insights_job", "POST", "/{version}/{account}/insights", records_path=()),
        Endpoint("report_run", "GET", "/{version}/{run_id}", records_path=()),
        Endpoint("report_results", "GET", "/{version}/{run_id}/insights", paginator=_CURSOR),
    )
}


class MetaCredentials(BaseSettings):
    """Meta settings from arguments or ``LIFTOS_META__*`` variables (secrets as SecretStr)."""

    model_config = SettingsConfigDict(env_prefix="LIFTOS_META__", extra="ignore", frozen=True)

    access_token: SecretStr | None = None
    app_id: str | None = None
    app_secret: SecretStr | None = None
    ad_account_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    poll_interval_s: float = POLL_START_S
    use_async: bool = True


class _MetaAuth:
    """Bearer token + appsecret_proof; a 190 is verified once with a cheap probe."""

    def __init__(self, creds: MetaCredentials) -> None:
        if creds.access_token is None:
            raise ConfigError("Meta access_token is missing (argument or LIFTOS_META__ACCESS_TOKEN)")
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


def _error_code(response: httpx.Response, body: Any) -> str | None:
    del response
    code = dig(body, ("error", "code"))
    return None if code is None else str(code)


def _retry_hint(response: httpx.Response, body: Any) -> float | None:
    """Retry-After, else the longest ``estimated_time_to_regain_access`` (minutes) of the BUC header."""
    del body
    hint = parse_retry_after(response.headers.get("Retry-After"))
    raw = response.headers.get("x-business-use-case-usage")
    if hint is not None or not raw:
        return hint
    try:
        usage = orjson.loads(raw)
        minutes = max(float(e.get("estimated_time_to_regain_access", 0)) for v in usage.values() for e in v)
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        return None
    return minutes * 60.0 if minutes > 0 else None


@dataclass(frozen=True)
class InsightsQuery:
    """Insights parameters beyond the date range (all strings, as Graph takes them)."""

    level: str = "ad"
    fields: tuple[str, ...] = DEFAULT_INSIGHTS_FIELDS
    breakdowns: tuple[str, ...] = ()
    time_increment: str = "1"

    def params(self, since: date, until: date) -> dict[str, str]:
        """Graph query parameters for ``since..until``."""
        params = {
            "level": self.level,
            "fields": ",".join(self.fields),
            "time_increment": self.time_increment,
            "time_range": orjson.dumps({"since": since.isoformat(), "until": until.isoformat()}).decode(),
        }
        if self.breakdowns:
            params["breakdowns"] = ",".join(self.breakdowns)
        return params

    def as_slice_params(self) -> dict[str, str]:
        """The query as RequestSlice params (provenance in the envelope)."""
        return {
            "level": self.level,
            "fields": ",".join(self.fields),
            "breakdowns": ",".join(self.breakdowns),
            "time_increment": self.time_increment,
        }

    @classmethod
    def from_slice_params(cls, params: Mapping[str, str]) -> InsightsQuery:
        """Inverse of :meth:`as_slice_params` (missing keys take the defaults)."""
        base = cls()
        return cls(
            level=params.get("level", base.level),
            fields=tuple(f for f in params.get("fields", ",".join(base.fields)).split(",") if f),
            breakdowns=tuple(b for b in params.get("breakdowns", "").split(",") if b),
            time_increment=params.get("time_increment", base.time_increment),
        )

    def key_fields(self) -> tuple[str, ...]:
        """Payload fields of the natural key at this level and breakdown."""
        level_id = "account_id" if self.level == "account" else f"{self.level}_id"
        return ("account_id", level_id, "date_start", "date_stop", *self.breakdowns)


class _JobFailed(Exception):
    """An async report run failed, was skipped or did not finish in time."""


class MetaAdsConnector(Connector):
    """Meta Ads insights. Streams: ``insights`` (ad-level, daily, default fields).

    Args:
        access_token: Graph user or system-user token.
        app_id: App id (kept for reference; Graph reads it from the token).
        app_secret: App secret; when set every request carries ``appsecret_proof``.
        ad_account_id: ``act_<id>`` (or bare id) to read; None discovers the token's accounts.
        base_url: Graph host (an emulator URL in tests).
        api_version: Graph version, e.g. ``v26.0``.
        job_timeout_s: Seconds an async report run may take before it is split.
        poll_interval_s: First wait before polling a run (seconds); grows 1.5× per poll up to 15 s
            (default ``LIFTOS_META__POLL_INTERVAL_S`` or 2 s).
        use_async: Read insights through async report runs (True) or synchronous GETs
            (default ``LIFTOS_META__USE_ASYNC`` or True).
        policy: Retry policy (inject a fast sleep in tests).
        metrics: Metric hooks.
        timeout_s: HTTP timeout per network operation (seconds).
        limits: Page, body, deadline and Retry-After bounds.
    """

    source: ClassVar[str] = "meta"
    streams: ClassVar[tuple[str, ...]] = ("insights",)

    def __init__(
        self,
        access_token: str | None = None,
        app_id: str | None = None,
        app_secret: str | None = None,
        ad_account_id: str | None = None,
        base_url: str | None = None,
        *,
        api_version: str | None = None,
        job_timeout_s: float = JOB_TIMEOUT_S,
        poll_interval_s: float | None = None,
        use_async: bool | None = None,
        lookback_days: int = LOOKBACK_DAYS,
        policy: RetryPolicy | None = None,
        metrics: HttpMetrics | None = None,
        timeout_s: float = 60.0,
        limits: ConnectorLimits | None = None,
    ) -> None:
        super().__init__(policy, metrics, timeout_s, limits)
        given = {
            "access_token": access_token,
            "app_id": app_id,
            "app_secret": app_secret,
            "ad_account_id": ad_account_id,
            "base_url": base_url,
            "api_version": api_version,
        }
        self.credentials = MetaCredentials(**given_args(given))
        self._auth = _MetaAuth(self.credentials)
        self.job_timeout_s = job_timeout_s
        self.poll_interval_s = (
            self.credentials.poll_interval_s if poll_interval_s is None else poll_interval_s
        )
        self.use_async = self.credentials.use_async if use_async is None else use_async
        self.lookback_days = lookback_days

    def __repr__(self) -> str:
        creds = self.credentials
        return f"MetaAdsConnector(base_url={creds.base_url!r}, ad_account_id={creds.ad_account_id!r})"

    def _make_http(self) -> HttpClient:
        return HttpClient(
            source=self.source,
            base_url=self.credentials.base_url.rstrip("/"),
            auth=self._auth,
            errors=META_ERRORS,
            error_code=_error_code,
            retry_hint=_retry_hint,
            policy=self.policy,
            client=make_async_client(self.timeout_s),
            metrics=self.metrics or NullMetrics(),
            limits=self.limits,
        )

    @property
    def _version(self) -> str:
        return self.credentials.api_version

    # -------------------------------------------------------------- accounts and streams
    async def accounts(self) -> list[str]:
        """``act_…`` ids: the configured account, else every account of the token."""
        if self.credentials.ad_account_id:
            return [_act(self.credentials.ad_account_id)]
        endpoint = ENDPOINTS["adaccounts"]
        found: list[str] = []
        async for page in iterate_pages(self.http, endpoint, endpoint.request(version=self._version)):
            found.extend(_act(str(row.get("id") or row.get("account_id"))) for row in page)
        return found

    def slice_plan(self, stream: str) -> SlicePlan:
        """Insights: 30-day slices, 28-day lookback (configurable)."""
        self._check_stream(stream)
        return SlicePlan(step_days=STEP_DAYS, lookback_days=self.lookback_days)

    async def fetch(
        self, stream: str, account: str, request_slice: RequestSlice
    ) -> AsyncIterator[list[RawRecord]]:
        """Pages of insights rows; ``request_slice.params`` may override level/fields/breakdowns."""
        self._check_stream(stream)
        query = InsightsQuery.from_slice_params(request_slice.params)
        keys = query.key_fields()
        async for page in self._insights(_act(account), query, request_slice.start, request_slice.end):
            yield [
                RawRecord(row, (query.level, ",".join(query.breakdowns), *key_of(row, keys))) for row in page
            ]

    async def _insights(
        self, account: str, query: InsightsQuery, since: date, until: date
    ) -> AsyncIterator[list[dict[str, Any]]]:
        if not self.use_async:
            async for page in self._sync_insights(account, query, since, until):
                yield page
            return
        try:
            run_id = await self._report_run(account, query, since, until)
        except _JobFailed:
            async for page in self._fallback(account, query, since, until):
                yield page
            return
        results = ENDPOINTS["report_results"]
        request = results.request(version=self._version, run_id=run_id)
        async for page in iterate_pages(self.http, results, request):
            yield page

    async def _fallback(
        self, account: str, query: InsightsQuery, since: date, until: date
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Split a failed run's range in two halves; a single day falls back to a sync GET."""
        if since == until:
            async for page in self._sync_insights(account, query, since, until):
                yield page
            return
        middle = since + timedelta(days=(until - since).days // 2)
        for start, end in ((since, middle), (middle + timedelta(days=1), until)):
            async for page in self._insights(account, query, start, end):
                yield page

    async def _sync_insights(
        self, account: str, query: InsightsQuery, since: date, until: date
    ) -> AsyncIterator[list[dict[str, Any]]]:
        endpoint = ENDPOINTS["insights"]
        request = endpoint.request(version=self._version, account=account).with_params(
            **query.params(since, until)
        )
        async for page in iterate_pages(self.http, endpoint, request):
            yield page

    async def _report_run(self, account: str, query: InsightsQuery, since: date, until: date) -> str:
        """Start a run and wait until it completed; returns its id (results are paged by the caller)."""
        start = ENDPOINTS["insights_job"]
        request = Request(
            "POST", start.path.format(version=self._version, account=account), data=query.params(since, until)
        )
        body = await self.http.send_json(request, start.name)
        run_id = str(dig(body, ("report_run_id",)) or "")
        if not run_id:
            raise DataError(f"meta: report run start returned no report_run_id: {str(body)[:200]}")
        await self._wait_for(run_id)
        return run_id

    async def _wait_for(self, run_id: str) -> None:
        """Poll the run until ``Job Completed`` at 100 % (virtual time counts toward the timeout)."""
        endpoint, waited, interval = ENDPOINTS["report_run"], 0.0, self.poll_interval_s
        while waited <= self.job_timeout_s:
            await self.policy.sleep(interval)
            waited += interval
            status = await self.http.send_json(
                endpoint.request(version=self._version, run_id=run_id), endpoint.name
            )
            state = str(dig(status, ("async_status",)) or "")
            if state == _DONE and int(dig(status, ("async_percent_completion",)) or 0) >= 100:
                return
            if state in _FAILED:
                raise _JobFailed(f"report run {run_id}: {state}")
            interval = min(interval * 1.5, POLL_MAX_S)
        raise _JobFailed(f"report run {run_id} did not finish within {self.job_timeout_s:.0f} s")

    # -------------------------------------------------------------- notebook API
    def get_campaign_data(
        self,
        date_range: tuple[DateLike, DateLike],
        fields: Sequence[str] | None = None,
        breakdown: Sequence[str] | None = None,
        time_increment: str | int = "day",
        level: str | None = None,
    ) -> pd.DataFrame:
        """Insights for every account as a DataFrame, one row per object × time bucket × breakdown.

        Args:
            date_range: ``(start, end)`` inclusive, ISO strings or dates.
            fields: Seed names accepted: ``conversions`` → ``actions``, ``conversion_values`` →
                ``action_values``; ids and dates are always added.
            breakdown: e.g. ``["age", "gender", "placement", "device_platform"]`` (placement →
                ``publisher_platform``).
            time_increment: ``day`` | ``week`` | ``month`` | ``all`` | days as an int.
            level: ``ad`` | ``adset`` | ``campaign`` | ``account``; default: the deepest name asked.

        Returns:
            Raw Graph rows with numeric columns as numbers and ``conversions`` /
            ``conversion_values`` (float, account currency) from the canonical purchase type.
        """
        query = _seed_query(fields, breakdown, time_increment, level)
        start, end = parse_date_range(date_range)
        rows = self._run(lambda: self._collect_all(query, start, end))
        return _frame(rows, breakdown or ())

    async def _collect_all(self, query: InsightsQuery, start: date, end: date) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for account in await self.accounts():
            for piece in split_range(start, end, STEP_DAYS):
                request_slice = RequestSlice(start=piece.start, end=piece.end, params=query.as_slice_params())
                rows.extend(await self.collect("insights", account, request_slice))
        return rows


def _act(account: str) -> str:
    return account if account.startswith("act_") else f"act_{account}"


def _seed_query(
    fields: Sequence[str] | None,
    breakdown: Sequence[str] | None,
    time_increment: str | int,
    level: str | None,
) -> InsightsQuery:
    wanted = [SEED_FIELD_ALIASES.get(f, f) for f in (fields or DEFAULT_INSIGHTS_FIELDS)]
    chosen = level or next(
        (lvl for lvl in _LEVELS[:3] if f"{lvl}_name" in wanted or f"{lvl}_id" in wanted), "ad"
    )
    if chosen not in _LEVELS:
        raise ConfigError(f"level must be one of {_LEVELS}, not {chosen!r}")
    ids = [
        "account_id",
        "account_currency",
        *[f"{lvl}_id" for lvl in reversed(_LEVELS[_LEVELS.index(chosen) : 3])],
    ]
    merged = tuple(dict.fromkeys([*ids, *wanted, "date_start", "date_stop"]))
    breakdowns = tuple(SEED_BREAKDOWN_ALIASES.get(b, b) for b in (breakdown or ()))
    increment = (
        str(time_increment)
        if isinstance(time_increment, int)
        else TIME_INCREMENTS.get(time_increment, time_increment)
    )
    return InsightsQuery(level=chosen, fields=merged, breakdowns=breakdowns, time_increment=increment)


def _purchase_value(actions: Any) -> float:
    if not isinstance(actions, list):
        return 0.0
    by_type = {a.get("action_type"): a.get("value") for a in actions if isinstance(a, dict)}
    for kind in PURCHASE_TYPES:
        if kind in by_type:
            return float(str(by_type[kind]))
    return 0.0


def _frame(rows: list[dict[str, Any]], breakdown: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for column in (c for c in _NUMERIC if c in frame.columns):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if "actions" in frame.columns:
        frame["conversions"] = frame["actions"].map(_purchase_value)
    if "action_values" in frame.columns:
        frame["conversion_values"] = frame["action_values"].map(_purchase_value)
    renames = {v: k for k, v in SEED_BREAKDOWN_ALIASES.items() if k in breakdown}
    return frame.rename(columns=renames)


# ------------------------------------------------------------------ normalization (raw → one schema)
#: Default canonical purchase action type: ``omni_purchase`` (Meta's de-duplicated cross-surface
#: purchase). Its aliases (``purchase``, ``offsite_conversion.fb_pixel_purchase``, ``onsite_web_*`` …)
#: repeat the same purchases and are never added to it. Configure another one per deployment through
#: ``MappingContext.purchase_action_types["meta"]``.
CANONICAL_PURCHASE_TYPE = "omni_purchase"
#: Insights breakdown fields; present ones form the row's ``breakdown`` (``name=value|…``, sorted).
BREAKDOWN_FIELDS = (
    "age",
    "gender",
    "country",
    "region",
    "dma",
    "publisher_platform",
    "platform_position",
    "device_platform",
    "impression_device",
)
_EXTRA_FIELDS = ("reach", "inline_link_clicks")


def _action(actions: Any, kind: str | None, field: str) -> float:
    """The ``value`` of the one ``kind`` entry of an actions array (0 when absent)."""
    if actions is None or kind is None:
        return 0.0
    if not isinstance(actions, list):
        raise DataError(f"{field}: expected a list of actions, got {type(actions).__name__}")
    for entry in actions:
        if isinstance(entry, dict) and entry.get("action_type") == kind:
            return tv.number(entry.get("value"), f"{field}[{kind}]")
    return 0.0


def _breakdown(payload: Mapping[str, Any]) -> str:
    parts = []
    for key in BREAKDOWN_FIELDS:
        value = payload.get(key)
        if value is not None:
            parts.append(f"{key}={tv.name(value, key)}")
    return "|".join(parts)


def normalize_meta_record(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One insights row → one NormalizedRow (one day; amounts converted to the reporting currency).

    Spend is the row's ``spend`` (account currency units); conversions / revenue are the count /
    value of the canonical purchase type in ``actions`` / ``action_values``; ``platform`` is the
    ``publisher_platform`` breakdown value, else ``meta``.
    """
    p = event.payload
    on = tv.single_day(
        tv.day(p.get("date_start"), "date_start"),
        tv.day(p.get("date_stop", p.get("date_start")), "date_stop"),
        "insights row",
    )
    kind = context.purchase_type(MetaAdsConnector.source)
    currency = context.currency_of(event.account_id, p.get("account_currency"))
    extras = {k: tv.number(p[k], k) for k in _EXTRA_FIELDS if p.get(k) is not None}
    fields = {
        "date": on,
        "channel": MetaAdsConnector.source,
        "platform": tv.name(p.get("publisher_platform"), "publisher_platform") or MetaAdsConnector.source,
        "account": tv.name(p.get("account_name"), "account_name"),
        "campaign_id": tv.ident(p.get("campaign_id"), "campaign_id", required=False),
        "campaign": tv.name(p.get("campaign_name"), "campaign_name"),
        "ad_group_id": tv.ident(p.get("adset_id"), "adset_id", required=False),
        "ad_group": tv.name(p.get("adset_name"), "adset_name"),
        "ad_id": tv.ident(p.get("ad_id"), "ad_id", required=False),
        "ad": tv.name(p.get("ad_name"), "ad_name"),
        "breakdown": _breakdown(p),
        "spend": tv.number(p.get("spend"), "spend"),
        "impressions": tv.count(p.get("impressions"), "impressions"),
        "clicks": tv.count(p.get("clicks"), "clicks"),
        "conversions": _action(p.get("actions"), kind, "actions"),
        "revenue": _action(p.get("action_values"), kind, "action_values"),
        "extras": extras,
    }
    return [tv.build_marketing_row(event, context, currency, fields)]


def _canonical_actions(values: pd.Series, context: MappingContext) -> pd.Series:
    kind = context.purchase_type(MetaAdsConnector.source)
    return values.map(
        lambda actions: _action(actions, kind, "actions") if isinstance(actions, list) else None
    )


#: Default DataFrame mapping of ``get_campaign_data`` frames (target → candidate columns).
DEFAULT_SCHEMA_MAPPING: Mapping[str, tuple[str, ...]] = {
    "date": ("date_start",),
    "account_id": ("account_id",),
    "account": ("account_name",),
    "campaign_id": ("campaign_id",),
    "campaign": ("campaign_name",),
    "ad_group_id": ("adset_id",),
    "ad_group": ("adset_name",),
    "ad_id": ("ad_id",),
    "ad": ("ad_name",),
    "currency": ("account_currency",),
    "spend": ("spend",),
    "impressions": ("impressions",),
    "clicks": ("clicks",),
    "conversions": ("actions", "conversions"),
    "revenue": ("action_values", "conversion_values"),
}

register_purchase_action_type(MetaAdsConnector.source, CANONICAL_PURCHASE_TYPE)
register_mapper(MetaAdsConnector.source, "insights", normalize_meta_record)
register_source_schema(
    SourceSchema(
        source=MetaAdsConnector.source,
        aliases=("facebook",),
        mapping=DEFAULT_SCHEMA_MAPPING,
        converters={"actions": _canonical_actions, "action_values": _canonical_actions},
        breakdown_columns=(*BREAKDOWN_FIELDS, *SEED_BREAKDOWN_ALIASES),
        platform_columns=("publisher_platform", "placement"),
        default_platform=MetaAdsConnector.source,
    )
)
