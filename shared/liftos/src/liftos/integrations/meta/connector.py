"""The Meta Ads connector: ad-account discovery and insights via async report runs, and its DataFrames."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, ClassVar, Unpack

import orjson
import pandas as pd

from liftos.errors import ConfigError, DataError
from liftos.events import RequestSlice
from liftos.integrations.connector import Connector, ConnectorOptions, DateLike, given_args, parse_date_range
from liftos.integrations.cursors import SlicePlan, split_range
from liftos.integrations.endpoints import RawRecord, iterate_pages, key_of
from liftos.integrations.http_core import ApiErrors, Request
from liftos.integrations.meta.auth import MetaAuth
from liftos.integrations.meta.endpoint_table import ENDPOINTS, META_API
from liftos.integrations.meta.settings import (
    DEFAULT_INSIGHTS_FIELDS,
    JOB_DONE,
    JOB_FAILED,
    JOB_TIMEOUT_S,
    LEVELS,
    LOOKBACK_DAYS,
    NUMERIC_FIELDS,
    POLL_MAX_S,
    PURCHASE_TYPES,
    SEED_BREAKDOWN_ALIASES,
    SEED_FIELD_ALIASES,
    SOURCE,
    STEP_DAYS,
    TIME_INCREMENTS,
    MetaCredentials,
)
from liftos.integrations.paginators import dig
from liftos.integrations.source_check import AccountInfo, SourceCheck


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
        ad_account_id: ``act_<id>`` (or bare id) to read; None (and no ``accounts`` setting) reads
            every ad account the token can read (``/me/adaccounts``).
        base_url: Graph host (an emulator URL in tests).
        api_version: Graph version, e.g. ``v26.0``.
        job_timeout_s: Seconds an async report run may take before it is split.
        poll_interval_s: First wait before polling a run (seconds); grows 1.5× per poll up to 15 s
            (default ``LIFTOS_META__POLL_INTERVAL_S`` or 2 s).
        use_async: Read insights through async report runs (True) or synchronous GETs
            (default ``LIFTOS_META__USE_ASYNC`` or True).
        options: ``lookback_days`` (default 28), ``policy``, ``metrics``, ``timeout_s``, ``limits``
            (:class:`~liftos.integrations.connector.ConnectorOptions`).
    """

    source: ClassVar[str] = SOURCE
    streams: ClassVar[tuple[str, ...]] = ("insights",)
    api_errors: ClassVar[ApiErrors] = META_API
    default_lookback_days: ClassVar[int] = LOOKBACK_DAYS

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
        **options: Unpack[ConnectorOptions],
    ) -> None:
        given = {
            "access_token": access_token,
            "app_id": app_id,
            "app_secret": app_secret,
            "ad_account_id": ad_account_id,
            "base_url": base_url,
            "api_version": api_version,
        }
        self.credentials = MetaCredentials(**given_args(given))
        super().__init__(self.credentials.base_url, MetaAuth(self.credentials), **options)
        self.job_timeout_s = job_timeout_s
        self.poll_interval_s = (
            self.credentials.poll_interval_s if poll_interval_s is None else poll_interval_s
        )
        self.use_async = self.credentials.use_async if use_async is None else use_async

    @property
    def configured_account(self) -> str | None:
        """The listed ad accounts (``accounts`` / ``ad_account_id``), comma-joined, if any."""
        return ",".join(self._listed()) or None

    @property
    def _version(self) -> str:
        return self.credentials.api_version

    # -------------------------------------------------------------- accounts and streams
    def _listed(self) -> list[str]:
        """The accounts the settings list (``accounts``, or the single ``ad_account_id``)."""
        listed = [*self.credentials.accounts, *filter(None, [self.credentials.ad_account_id])]
        return list(dict.fromkeys(_act(a) for a in listed))

    async def accounts(self) -> list[str]:
        """``act_…`` ids: the listed accounts, else every ad account the token can read."""
        return self._listed() or [info.account_id for info in await self._token_accounts()]

    async def _token_accounts(self) -> list[AccountInfo]:
        endpoint = ENDPOINTS["adaccounts"]
        found: list[AccountInfo] = []
        async for page in iterate_pages(self.http, endpoint, endpoint.request(version=self._version)):
            found.extend(
                AccountInfo(
                    _act(str(row.get("id") or row.get("account_id"))),
                    str(row.get("name") or ""),
                    row.get("currency"),
                    row.get("timezone_name"),
                )
                for row in page
            )
        return found

    async def account_details(self) -> list[AccountInfo]:
        """The accounts to read with currency and time zone (``/me/adaccounts``).

        Raises:
            ConfigError: a listed account is not readable with this token.
        """
        readable = {info.account_id: info for info in await self._token_accounts()}
        listed = self._listed()
        missing = [a for a in listed if a not in readable]
        if missing:
            raise ConfigError(f"meta: the token cannot read {', '.join(missing)}")
        return [readable[a] for a in listed] if listed else list(readable.values())

    async def check(self) -> SourceCheck:
        """Accounts, the token's granted permissions (``ads_read`` needed) and the app's usage."""
        base = await super().check()
        if not base.ok:
            return base
        endpoint = ENDPOINTS["permissions"]
        granted: list[str] = []
        async for page in iterate_pages(self.http, endpoint, endpoint.request(version=self._version)):
            granted.extend(str(p.get("permission")) for p in page if p.get("status") == "granted")
        problems = [] if {"ads_read", "ads_management"} & set(granted) else ["token lacks ads_read"]
        return replace(
            base,
            ok=not problems,
            api_version=self._version,
            scopes=tuple(sorted(granted)),
            headroom=_usage(self.http.last_headers.get("x-app-usage")),
            problems=tuple(problems),
        )

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
            if state == JOB_DONE and int(dig(status, ("async_percent_completion",)) or 0) >= 100:
                return
            if state in JOB_FAILED:
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


def _usage(header: str | None) -> str | None:
    """``x-app-usage`` as headroom: ``97 % left`` of the app's call budget."""
    if not header:
        return None
    try:
        used = max(float(v) for v in orjson.loads(header).values())
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        return None
    return f"{max(0.0, 100.0 - used):.0f} % left"


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
        (lvl for lvl in LEVELS[:3] if f"{lvl}_name" in wanted or f"{lvl}_id" in wanted), "ad"
    )
    if chosen not in LEVELS:
        raise ConfigError(f"level must be one of {LEVELS}, not {chosen!r}")
    ids = [
        "account_id",
        "account_currency",
        *[f"{lvl}_id" for lvl in reversed(LEVELS[LEVELS.index(chosen) : 3])],
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
    for column in (c for c in NUMERIC_FIELDS if c in frame.columns):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if "actions" in frame.columns:
        frame["conversions"] = frame["actions"].map(_purchase_value)
    if "action_values" in frame.columns:
        frame["conversion_values"] = frame["action_values"].map(_purchase_value)
    renames = {v: k for k, v in SEED_BREAKDOWN_ALIASES.items() if k in breakdown}
    return frame.rename(columns=renames)
