"""Meta Graph (Marketing) API emulator: ad-account discovery, insights (sync + async), errors.

Routes (``{v}`` is e.g. ``v26.0``):

- ``GET  /{v}/me/adaccounts`` — paged list of the token's ad accounts;
- ``GET  /{v}/me/permissions`` — the token's granted permissions (``ads_read`` …);
- ``GET  /{v}/act_{id}/insights`` and ``/{v}/{campaign|adset|ad id}/insights`` — sync insights;
- ``POST`` to the same paths — starts an async report run, ``{"report_run_id": …}``;
- ``GET  /{v}/{report_run_id}`` — ``async_status`` / ``async_percent_completion``, advancing per poll;
- ``GET  /{v}/{report_run_id}/insights`` — the run's rows, paged like sync insights;
- ``GET  /{v}/act_{id}`` — the ad account node.

Numbers are strings, paging is ``paging.cursors.{before,after}`` plus ``paging.next`` only when
another page exists, errors are the Graph ``{"error": {…}}`` envelope, throttles are HTTP 400
with codes 4 / 17 / 80000 and every response carries the usage headers.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from aiohttp import web
from multidict import MultiDict

from liftos_sandbox.emulators.faults import FaultKind
from liftos_sandbox.emulators.meta_insights import (
    InsightsQuery,
    MetaError,
    decode_cursor,
    encode_cursor,
    parse_insights_query,
    render_rows,
    select_insights,
)
from liftos_sandbox.emulators.ratelimit import Clock, FixedWindowLimiter, Window
from liftos_sandbox.emulators.responses import json_response
from liftos_sandbox.emulators.source import ServedWorld

__all__ = ["MetaConfig", "MetaEmulator"]

_STATUSES = ("Job Not Started", "Job Started", "Job Running", "Job Running", "Job Completed")
_CACHE_SIZE = 32


@dataclass(frozen=True)
class MetaConfig:
    """Knobs of the Meta emulator (limits are calls per window, window in seconds)."""

    versions: tuple[int, ...] = tuple(range(21, 28))
    account_window: Window = field(default_factory=lambda: Window(limit=3000, seconds=300.0))
    app_window: Window = field(default_factory=lambda: Window(limit=50_000, seconds=3600.0))
    user_window: Window = field(default_factory=lambda: Window(limit=20_000, seconds=3600.0))
    async_polls: int = 4
    default_limit: int = 25
    max_limit: int = 5000
    revoked: bool = False
    permissions: tuple[str, ...] = ("ads_read", "business_management", "public_profile")


@dataclass
class _Job:
    run_id: str
    query: InsightsQuery
    polls: int = 0


@dataclass
class MetaEmulator:
    """Serves one `ServedWorld`'s Meta channel. Stateful only for async jobs and rate counters."""

    world: ServedWorld
    config: MetaConfig = MetaConfig()
    clock: Clock | None = None
    _jobs: dict[str, _Job] = field(default_factory=dict)
    _cache: OrderedDict[InsightsQuery, pd.DataFrame] = field(default_factory=OrderedDict)
    _run_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _trace: itertools.count[int] = field(default_factory=itertools.count)
    _limiters: dict[str, FixedWindowLimiter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clock = self.clock or time.monotonic
        self._limiters = {
            "account": FixedWindowLimiter((self.config.account_window,), clock=clock),
            "app": FixedWindowLimiter((self.config.app_window,), clock=clock),
            "user": FixedWindowLimiter((self.config.user_window,), clock=clock),
        }
        self._accounts = self.world.channel_accounts("meta").set_index("account_id", drop=False)
        self._daily = self.world.daily.get("meta", pd.DataFrame())
        self._nodes = self._index_nodes()

    def reload(self, world: ServedWorld) -> None:
        """Serve ``world`` from now on (the live clock moved: a new day, restated values); cached
        query results are dropped, report runs already submitted keep their query."""
        self.world = world
        self._daily = world.daily.get("meta", pd.DataFrame())
        self._cache.clear()

    # ----------------------------------------------------------------- routing
    def add_routes(self, app: web.Application) -> None:
        """Register the Graph routes on ``app``."""
        app.router.add_get(r"/v{version:\d+\.\d+}/me/adaccounts", self.adaccounts)
        app.router.add_get(r"/v{version:\d+\.\d+}/me/permissions", self.permissions)
        app.router.add_route("*", r"/v{version:\d+\.\d+}/{node:[A-Za-z0-9_]+}/insights", self.insights)
        app.router.add_get(r"/v{version:\d+\.\d+}/{node:[A-Za-z0-9_]+}", self.node)
        app.router.add_get(r"/v{version:\d+\.\d+}/{node:[A-Za-z0-9_]+}/", self.node)

    def _index_nodes(self) -> dict[str, tuple[str, str]]:
        """object id -> (level, account_id) for campaigns, ad sets and ads."""
        entities = self.world.channel_entities("meta")
        nodes: dict[str, tuple[str, str]] = {}
        for level, column in (("campaign", "campaign_id"), ("adset", "group_id"), ("ad", "ad_id")):
            for object_id, account in zip(entities[column], entities["account_id"], strict=True):
                if object_id:
                    nodes[str(object_id)] = (level, str(account))
        return nodes

    # ----------------------------------------------------------------- errors / headers
    def error(self, error: MetaError, headers: Mapping[str, str] | None = None) -> web.Response:
        """The Graph error envelope."""
        body: dict[str, Any] = {"message": error.message, "type": error.kind, "code": error.code}
        if error.subcode is not None:
            body["error_subcode"] = error.subcode
        if error.transient:
            body["is_transient"] = True
        body["fbtrace_id"] = self._trace_id()
        out = dict(headers or {})
        if error.code == 190:
            out["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'
        return json_response({"error": body}, status=error.status, headers=out)

    def _trace_id(self) -> str:
        digest = hashlib.blake2b(f"{self.world.seed}:{next(self._trace)}".encode(), digest_size=8)
        return "A" + digest.hexdigest()[:20]

    def _usage_headers(self, account_id: str | None) -> dict[str, str]:
        """x-app-usage, x-ad-account-usage, x-business-use-case-usage, x-fb-ads-insights-throttle."""
        app_pct = round(self._limiters["app"].usage("app"), 2)
        headers = {
            "x-app-usage": json.dumps(
                {"call_count": int(app_pct), "total_time": int(app_pct), "total_cputime": int(app_pct)}
            )
        }
        if account_id is None:
            return headers
        acc_pct = round(self._limiters["account"].usage(account_id), 2)
        _, reset = self._limiters["account"].remaining(account_id)
        regain = 0 if acc_pct < 100 else max(1, int(reset // 60) + 1)
        headers["x-ad-account-usage"] = json.dumps(
            {
                "acc_id_util_pct": acc_pct,
                "reset_time_duration": int(reset),
                "ads_api_access_tier": "standard_access",
            }
        )
        headers["x-business-use-case-usage"] = json.dumps(
            {
                account_id.removeprefix("act_"): [
                    {
                        "type": "ads_insights",
                        "call_count": int(acc_pct),
                        "total_cputime": int(acc_pct),
                        "total_time": int(acc_pct),
                        "estimated_time_to_regain_access": regain,
                        "ads_api_access_tier": "standard_access",
                    }
                ]
            }
        )
        headers["x-fb-ads-insights-throttle"] = json.dumps(
            {"app_id_util_pct": app_pct, "acc_id_util_pct": acc_pct, "ads_api_access_tier": "standard_access"}
        )
        return headers

    def throttle_error(self, account_id: str | None) -> MetaError:
        """The per-ad-account insights throttle (#80000)."""
        del account_id
        return MetaError(
            "(#80000) There have been too many calls from this ad-account. Wait a bit and try "
            "again. For more info, please refer to https://developers.facebook.com/docs/"
            "graph-api/overview/rate-limiting#ads-insights.",
            code=80000,
            subcode=2446079,
        )

    def fault_response(self, kind: FaultKind, request: web.Request) -> web.Response | None:
        """Platform-specific response for a throttle / 5xx / token-expiry fault (None: not ours)."""
        account = self._account_of(request.match_info.get("node", ""))
        if kind is FaultKind.THROTTLE:
            return self.error(self.throttle_error(account), self._usage_headers(account))
        if kind is FaultKind.SERVER_ERROR:
            return self.error(
                MetaError(
                    "An unexpected error has occurred. Please retry your request later.",
                    code=2,
                    status=500,
                    transient=True,
                )
            )
        if kind is FaultKind.TOKEN_EXPIRY:
            return self.error(
                MetaError(
                    "Error validating access token: Session has expired on Wednesday, "
                    "31-Dec-25 00:00:00 PST. The current time is later.",
                    code=190,
                    subcode=463,
                )
            )
        return None

    # ----------------------------------------------------------------- request plumbing
    async def _params(self, request: web.Request) -> MultiDict[str]:
        params: MultiDict[str] = MultiDict(request.query)
        if request.method == "POST" and request.can_read_body:
            params.extend({k: str(v) for k, v in (await request.post()).items()})
        return params

    def _authorise(self, request: web.Request, params: Mapping[str, str]) -> None:
        """Token check: access_token param or ``Authorization: OAuth|Bearer``; appsecret_proof if sent."""
        version = request.match_info.get("version", "")
        if int(version.split(".")[0]) not in self.config.versions:
            raise MetaError(
                f"(#2635) You are calling a deprecated version of the Ads API. Please update to "
                f"the latest version: v{max(self.config.versions)}.0.",
                code=2635,
            )
        token = params.get("access_token") or request.headers.get("Authorization", "").partition(" ")[2]
        expected = self.world.credentials["meta"]["access_token"]
        if not token:
            raise MetaError("An access token is required to request this resource.", code=104)
        if not hmac.compare_digest(token, expected):
            raise MetaError("Invalid OAuth access token - Cannot parse access token", code=190)
        if self.config.revoked:
            raise MetaError(
                "Error validating access token: The session has been invalidated because the user "
                "changed their password or Facebook has changed the session for security reasons.",
                code=190,
                subcode=460,
            )
        proof = params.get("appsecret_proof")
        if proof is not None:
            secret = self.world.credentials["meta"]["app_secret"].encode()
            if proof != hmac.new(secret, token.encode(), hashlib.sha256).hexdigest():
                raise MetaError("Invalid appsecret_proof provided in the API argument", code=100)

    def _account_of(self, node: str) -> str | None:
        if node in self._accounts.index:
            return node
        if node in self._nodes:
            return self._nodes[node][1]
        if node in self._jobs:
            return self._jobs[node].query.account_id
        return None

    def _rate_check(self, account_id: str | None, token: str) -> None:
        """Count the call; raise the platform's throttle error when a budget is exhausted."""
        if self._limiters["app"].hit("app") is not None:
            raise MetaError("(#4) Application request limit reached", code=4, subcode=1504022, transient=True)
        if self._limiters["user"].hit(token) is not None:
            raise MetaError("(#17) User request limit reached", code=17, subcode=2446079, transient=True)
        if account_id is not None and self._limiters["account"].hit(account_id) is not None:
            raise self.throttle_error(account_id)

    def _limit(self, params: Mapping[str, str]) -> int:
        raw = params.get("limit", str(self.config.default_limit))
        if not raw.isdigit() or int(raw) < 1:
            raise MetaError("(#100) Param limit must be a positive integer")
        return min(int(raw), self.config.max_limit)

    # ----------------------------------------------------------------- paging
    def _page(
        self, request: web.Request, params: Mapping[str, str], total: int, data: Any, bounds: tuple[int, int]
    ) -> dict[str, Any]:
        """Wrap ``data`` (rows bounds[0]..bounds[1]-1 of ``total``) in Graph paging."""
        start, end = bounds
        if start >= end:
            return {"data": data}
        paging: dict[str, Any] = {
            "cursors": {"before": encode_cursor(start), "after": encode_cursor(end - 1)}
        }
        base = {k: v for k, v in params.items() if k not in ("after", "before")}
        if end < total:
            paging["next"] = str(request.url.with_query({**base, "after": encode_cursor(end - 1)}))
        if start > 0:
            paging["previous"] = str(request.url.with_query({**base, "before": encode_cursor(start)}))
        return {"data": data, "paging": paging}

    def _bounds(self, params: Mapping[str, str], total: int) -> tuple[int, int]:
        limit = self._limit(params)
        if params.get("after"):
            start = decode_cursor(params["after"]) + 1
            return start, min(start + limit, total)
        if params.get("before"):
            end = decode_cursor(params["before"])
            return max(0, end - limit), end
        return 0, min(limit, total)

    # ----------------------------------------------------------------- handlers
    async def adaccounts(self, request: web.Request) -> web.Response:
        """``GET /me/adaccounts``: the ad accounts the token can read."""
        try:
            params = await self._params(request)
            self._authorise(request, params)
            self._rate_check(None, params.get("access_token", ""))
            fields = [f for f in params.get("fields", "").split(",") if f] or ["account_id", "id"]
            rows = [self._account_node(a, fields) for a in self._accounts["account_id"]]
            bounds = self._bounds(params, len(rows))
            body = self._page(request, params, len(rows), rows[bounds[0] : bounds[1]], bounds)
            return json_response(body, headers=self._usage_headers(None))
        except MetaError as error:
            return self.error(error, self._usage_headers(None))

    async def permissions(self, request: web.Request) -> web.Response:
        """``GET /me/permissions``: ``{"data": [{"permission", "status"}]}`` of the token."""
        try:
            params = await self._params(request)
            self._authorise(request, params)
            self._rate_check(None, params.get("access_token", ""))
        except MetaError as error:
            return self.error(error, self._usage_headers(None))
        rows = [{"permission": p, "status": "granted"} for p in self.config.permissions]
        return json_response({"data": rows}, headers=self._usage_headers(None))

    def _account_node(self, account_id: str, fields: list[str]) -> dict[str, Any]:
        row = self._accounts.loc[account_id]
        values = {
            "id": account_id,
            "account_id": account_id.removeprefix("act_"),
            "name": row["name"],
            "currency": row["currency"],
            "timezone_name": row["timezone"],
            "account_status": 1,
        }
        return {f: values[f] for f in fields if f in values}

    async def node(self, request: web.Request) -> web.Response:
        """``GET /{id}``: a report run's status, or an ad account node."""
        node = request.match_info["node"]
        account = self._account_of(node)
        try:
            params = await self._params(request)
            self._authorise(request, params)
            self._rate_check(account, params.get("access_token", ""))
            if node in self._jobs:
                return json_response(self._job_status(self._jobs[node]), headers=self._usage_headers(account))
            if node in self._accounts.index:
                fields = [f for f in params.get("fields", "").split(",") if f] or ["id"]
                return json_response(self._account_node(node, fields), headers=self._usage_headers(account))
            raise self._unknown(node)
        except MetaError as error:
            return self.error(error, self._usage_headers(account))

    @staticmethod
    def _unknown(node: str) -> MetaError:
        return MetaError(
            f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded "
            "due to missing permissions, or does not support this operation. Please read the "
            "Graph API documentation at https://developers.facebook.com/docs/graph-api",
            code=100,
            subcode=33,
            kind="GraphMethodException",
        )

    def _job_status(self, job: _Job) -> dict[str, Any]:
        """Status advances one step per poll: Not Started → Started → Running (… 100%) → Completed."""
        job.polls += 1
        steps = max(self.config.async_polls, 1)
        step = min(job.polls, steps)
        status = _STATUSES[-1] if step >= steps else _STATUSES[min(step - 1, len(_STATUSES) - 2)]
        percent = 100 if step >= steps - 1 else int(100 * (step - 1) / max(steps - 1, 1))
        return {
            "id": job.run_id,
            "account_id": job.query.account_id.removeprefix("act_"),
            "async_percent_completion": percent,
            "async_status": status,
            "date_start": job.query.since.isoformat(),
            "date_stop": job.query.until.isoformat(),
            "emails": [],
            "friendly_name": "",
            "is_bookmarked": False,
            "is_running": status != "Job Completed",
            "schedule_id": "0",
            "time_completed": 0,
            "time_ref": 0,
        }

    async def insights(self, request: web.Request) -> web.Response:
        """Sync insights (GET), async start (POST), or a finished run's rows (GET /{run}/insights)."""
        node = request.match_info["node"]
        account = self._account_of(node)
        try:
            params = await self._params(request)
            self._authorise(request, params)
            self._rate_check(account, params.get("access_token", ""))
            query = self._job_query(node) if node in self._jobs else self._query(node, account, params)
            if request.method == "POST" and node not in self._jobs:
                run_id = str(6_100_000_000_000_000 + self.world.seed * 100_000 + next(self._run_ids))
                self._jobs[run_id] = _Job(run_id, query)
                return json_response({"report_run_id": run_id}, headers=self._usage_headers(account))
            if request.method != "GET":
                raise MetaError("(#100) Unsupported method for this edge", code=100)
            return self._insights_page(request, params, query)
        except MetaError as error:
            return self.error(error, self._usage_headers(account))

    def _job_query(self, run_id: str) -> InsightsQuery:
        job = self._jobs[run_id]
        if job.polls < self.config.async_polls:
            raise MetaError(
                "(#100) The report is not ready yet; poll the report run until async_status is Job Completed",
                code=100,
                subcode=1487534,
            )
        return job.query

    def _query(self, node: str, account: str | None, params: Mapping[str, str]) -> InsightsQuery:
        if account is None:
            raise self._unknown(node)
        level = "account" if node == account else self._nodes[node][0]
        return parse_insights_query(params, level, node, account, self.world.today)

    def select(self, query: InsightsQuery) -> pd.DataFrame:
        """`select_insights` with a small LRU cache, so paging a large result stays cheap."""
        frame = self._cache.get(query)
        if frame is None:
            frame = select_insights(self._daily, query)
            self._cache[query] = frame
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        self._cache.move_to_end(query)
        return frame

    def _insights_page(
        self, request: web.Request, params: Mapping[str, str], query: InsightsQuery
    ) -> web.Response:
        frame = self.select(query)
        bounds = self._bounds(params, len(frame))
        account = self._accounts.loc[query.account_id]
        rows = render_rows(
            frame.iloc[bounds[0] : bounds[1]],
            query,
            {
                "account_id": query.account_id,
                "name": str(account["name"]),
                "currency": str(account["currency"]),
            },
        )
        body = self._page(request, params, len(frame), rows, bounds)
        return json_response(body, headers=self._usage_headers(query.account_id))
