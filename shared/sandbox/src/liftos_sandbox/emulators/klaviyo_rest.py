"""Klaviyo API emulator (JSON:API, revision-headed).

Routes: ``GET /api/accounts`` (the key's account: time zone, currency), ``GET /api/campaigns``
(channel filter required), ``GET /api/flows``, ``GET /api/metrics``,
``POST /api/metric-aggregates`` (the store's Placed Order count / revenue per day: the business
outcome), ``POST /api/campaign-values-reports``, ``POST /api/flow-values-reports``. Trailing
slashes are accepted. Auth is ``Authorization: Klaviyo-API-Key pk_…``; ``revision`` is required.
Rate limits follow the documented tiers (fixed 1 s burst / 60 s steady windows; reports also a
daily cap) and exceed with HTTP 429 + ``Retry-After``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from aiohttp import web

from liftos_sandbox.emulators.faults import FaultKind
from liftos_sandbox.emulators.klaviyo_filters import FilterError, parse_filter
from liftos_sandbox.emulators.klaviyo_reports import (
    STATISTICS,
    KlaviyoInputError,
    aggregate_by_message,
    aggregate_metric,
    report_statistics,
    resolve_timeframe,
)
from liftos_sandbox.emulators.ratelimit import Clock, FixedWindowLimiter, Window
from liftos_sandbox.emulators.responses import json_response
from liftos_sandbox.emulators.source import ServedWorld

__all__ = ["TIERS", "KlaviyoConfig", "KlaviyoEmulator"]

JSONAPI = "application/vnd.api+json"
TIERS: dict[str, tuple[Window, ...]] = {
    "XS": (Window(1, 1.0), Window(15, 60.0)),
    "S": (Window(3, 1.0), Window(60, 60.0)),
    "M": (Window(10, 1.0), Window(150, 60.0)),
    "L": (Window(75, 1.0), Window(700, 60.0)),
    "REPORT": (Window(1, 1.0), Window(2, 60.0), Window(225, 86_400.0)),
}
_ENDPOINT_TIER = {
    "accounts": "S",
    "campaigns": "M",
    "flows": "M",
    "metrics": "M",
    "metric-aggregates": "S",
    "campaign-values-reports": "REPORT",
    "flow-values-reports": "REPORT",
}
_METRICS = (
    "Placed Order",
    "Received Email",
    "Opened Email",
    "Clicked Email",
    "Bounced Email",
    "Unsubscribed from Email Marketing",
)
#: Daily column of the World behind each email metric (counts per message and day).
_METRIC_COLUMNS = {
    "Received Email": "delivered",
    "Opened Email": "opens",
    "Clicked Email": "clicks",
    "Bounced Email": "bounces",
    "Unsubscribed from Email Marketing": "unsubscribes",
}
_REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.pre)?$")


@dataclass(frozen=True)
class KlaviyoConfig:
    """Knobs of the Klaviyo emulator; ``rate_limits=False`` disables the tiers (tests, demos)."""

    rate_limits: bool = True
    report_page_size: int = 500
    metrics_page_size: int = 200
    revoked: bool = False


@dataclass
class KlaviyoEmulator:
    """Serves one `ServedWorld`'s Klaviyo account and the store outcome."""

    world: ServedWorld
    config: KlaviyoConfig = field(default_factory=KlaviyoConfig)
    clock: Clock = time.monotonic
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self._limiters = {
            name: FixedWindowLimiter(windows, clock=self.clock) for name, windows in TIERS.items()
        }
        self._daily = self.world.daily.get("klaviyo", pd.DataFrame(columns=["kind", "date"]))
        self._entities = self.world.channel_entities("klaviyo")
        self._metric_ids = {name: self._short_id(name) for name in _METRICS}

    def reload(self, world: ServedWorld) -> None:
        """Serve ``world`` from now on (the live clock moved: a new day, today's orders so far)."""
        self.world = world
        self._daily = world.daily.get("klaviyo", pd.DataFrame(columns=["kind", "date"]))

    def add_routes(self, app: web.Application) -> None:
        """Register the /api routes (with and without trailing slash)."""
        for path, method, handler in (
            ("accounts", "GET", self.accounts),
            ("campaigns", "GET", self.campaigns),
            ("flows", "GET", self.flows),
            ("metrics", "GET", self.metrics),
            ("metric-aggregates", "POST", self.metric_aggregates),
            ("campaign-values-reports", "POST", self.campaign_values),
            ("flow-values-reports", "POST", self.flow_values),
        ):
            app.router.add_route(method, f"/api/{path}", handler)
            app.router.add_route(method, f"/api/{path}/", handler)

    def _short_id(self, name: str) -> str:
        digest = hashlib.blake2b(f"{self.world.seed}:{name}".encode(), digest_size=6).digest()
        return base64.b32encode(digest).decode()[:6].replace("=", "X")

    # ----------------------------------------------------------------- errors
    def error(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        source: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """The JSON:API ``{"errors": [...]}`` body."""
        uid = hashlib.blake2b(f"{self.world.seed}:e{next(self._ids)}".encode(), digest_size=16).hexdigest()
        err: dict[str, Any] = {
            "id": f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}",
            "status": status,
            "code": code,
            "title": title,
            "detail": detail,
        }
        if source:
            err["source"] = dict(source)
        return json_response({"errors": [err]}, status=status, headers=headers, content_type=JSONAPI)

    def throttled(self, retry_after: float) -> web.Response:
        """429 with Retry-After (seconds)."""
        seconds = max(int(retry_after), 1)
        return self.error(
            429,
            "throttled",
            "Request was throttled.",
            f"Request was throttled. Expected available in {seconds} seconds.",
            {"pointer": "/data/"},
            {"Retry-After": str(seconds)},
        )

    def fault_response(self, kind: FaultKind, request: web.Request) -> web.Response | None:
        """Throttle / 5xx fault responses (None for kinds the server handles)."""
        del request
        if kind is FaultKind.THROTTLE:
            return self.throttled(1)
        if kind is FaultKind.SERVER_ERROR:
            return self.error(
                503,
                "service_unavailable",
                "Service unavailable.",
                "The service is temporarily unavailable. Please try again later.",
            )
        return None

    def _gate(self, request: web.Request, endpoint: str) -> tuple[web.Response | None, dict[str, str]]:
        """Auth, revision and rate-limit checks → (error response or None, RateLimit-* headers)."""
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if not key:
            return self.error(
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                "Missing or invalid authorization scheme. Please use Klaviyo-API-Key.",
            ), {}
        expected = self.world.credentials["klaviyo"]["api_key"]
        valid = scheme == "Klaviyo-API-Key" and hmac.compare_digest(key.strip(), expected)
        if not valid or self.config.revoked:
            return self.error(
                401,
                "authentication_failed",
                "Incorrect authentication credentials.",
                "Incorrect authentication credentials.",
            ), {}
        if not _REVISION.match(request.headers.get("revision", "")):
            return self.error(
                400,
                "invalid",
                "Invalid input.",
                "A valid revision header (YYYY-MM-DD) is required.",
                {"parameter": "revision"},
            ), {}
        if not self.config.rate_limits:
            return None, {}
        limiter = self._limiters[_ENDPOINT_TIER[endpoint]]
        retry = limiter.hit(f"{key}:{endpoint}")
        if retry is not None:
            return self.throttled(retry), {}
        left, reset = limiter.remaining(f"{key}:{endpoint}")
        return None, {
            "RateLimit-Limit": str(limiter.windows[0].limit),
            "RateLimit-Remaining": str(left),
            "RateLimit-Reset": str(max(int(reset), 1)),
        }

    # ----------------------------------------------------------------- paging
    @staticmethod
    def _cursor_of(raw: str | None) -> int:
        if not raw:
            return 0
        for token in ("page[cursor]=", "page%5Bcursor%5D=", "page_cursor="):
            if token in raw:  # clients that pass the whole links.next URL
                raw = raw.split(token)[-1].split("&")[0]
        try:
            return int(base64.urlsafe_b64decode(raw.encode() + b"==").decode().removeprefix("bz"))
        except ValueError as error:
            raise KlaviyoInputError("Invalid page cursor.", "page[cursor]") from error

    @staticmethod
    def _cursor(offset: int) -> str:
        return base64.urlsafe_b64encode(f"bz{offset}".encode()).decode().rstrip("=")

    def _links(
        self, request: web.Request, offset: int, end: int, total: int, param: str = "page[cursor]"
    ) -> dict[str, str | None]:
        query = {k: v for k, v in request.query.items() if k != param}
        nxt = str(request.url.with_query({**query, param: self._cursor(end)})) if end < total else None
        return {
            "self": str(request.url),
            "next": nxt,
            "prev": None
            if offset == 0
            else str(request.url.with_query({**query, param: self._cursor(max(offset - (end - offset), 0))})),
        }

    def _page(
        self, request: web.Request, items: list[dict[str, Any]], size: int, headers: dict[str, str]
    ) -> web.Response:
        offset = self._cursor_of(request.query.get("page[cursor]"))
        end = min(offset + size, len(items))
        body = {"data": items[offset:end], "links": self._links(request, offset, end, len(items))}
        return json_response(body, headers=headers, content_type=JSONAPI)

    def _page_size(self, request: web.Request, default: int, maximum: int) -> int:
        raw = request.query.get("page[size]", str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= maximum:
            raise KlaviyoInputError(f"page[size] must be between 1 and {maximum}.", "page[size]")
        return int(raw)

    # ----------------------------------------------------------------- resources
    def _base(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    def _campaign(self, row: Mapping[Any, Any], base: str) -> dict[str, Any]:
        sent = datetime.combine(pd.Timestamp(row["start_date"]).date(), datetime.min.time()).replace(hour=14)
        stamp = sent.isoformat() + "+00:00"
        created = (sent - timedelta(days=3)).isoformat() + "+00:00"
        cid, mid = str(row["campaign_id"]), self._message_id(str(row["campaign_id"]))
        return {
            "type": "campaign",
            "id": cid,
            "attributes": {
                "name": row["campaign_name"],
                "status": "Sent",
                "archived": False,
                "audiences": {"included": [self._short_id("list")], "excluded": []},
                "send_options": {"use_smart_sending": True},
                "tracking_options": {
                    "add_tracking_params": False,
                    "custom_tracking_params": None,
                    "is_tracking_clicks": True,
                    "is_tracking_opens": True,
                },
                "send_strategy": {
                    "method": "static",
                    "datetime": stamp,
                    "options": {"is_local": False, "send_past_recipients_immediately": None},
                },
                "created_at": created,
                "scheduled_at": created,
                "updated_at": stamp,
                "send_time": stamp,
            },
            "relationships": {
                "campaign-messages": {
                    "data": [{"type": "campaign-message", "id": mid}],
                    "links": {
                        "self": f"{base}/api/campaigns/{cid}/relationships/campaign-messages/",
                        "related": f"{base}/api/campaigns/{cid}/campaign-messages/",
                    },
                },
                "tags": {
                    "data": [],
                    "links": {
                        "self": f"{base}/api/campaigns/{cid}/relationships/tags/",
                        "related": f"{base}/api/campaigns/{cid}/tags/",
                    },
                },
            },
            "links": {"self": f"{base}/api/campaigns/{cid}/"},
        }

    def _message_id(self, entity_id: str) -> str:
        return "01M" + hashlib.blake2b(entity_id.encode(), digest_size=12).hexdigest()[:23].upper()

    def _flow(self, row: Mapping[Any, Any], base: str) -> dict[str, Any]:
        stamp = (
            datetime.combine(pd.Timestamp(row["start_date"]).date(), datetime.min.time()).isoformat()
            + "+00:00"
        )
        fid = str(row["campaign_id"])
        return {
            "type": "flow",
            "id": fid,
            "attributes": {
                "name": row["campaign_name"],
                "status": "live",
                "archived": False,
                "created": stamp,
                "updated": stamp,
                "trigger_type": "Added to List",
            },
            "relationships": {
                "flow-actions": {
                    "links": {
                        "self": f"{base}/api/flows/{fid}/relationships/flow-actions/",
                        "related": f"{base}/api/flows/{fid}/flow-actions/",
                    }
                }
            },
            "links": {"self": f"{base}/api/flows/{fid}/"},
        }

    async def accounts(self, request: web.Request) -> web.Response:
        """``GET /api/accounts``: the one account of the API key (time zone, preferred currency)."""
        refused, headers = self._gate(request, "accounts")
        if refused is not None:
            return refused
        record = self.world.channel_accounts("klaviyo").iloc[0]
        public = str(record["account_id"])
        item = {
            "type": "account",
            "id": public,
            "attributes": {
                "test_account": False,
                "contact_information": {
                    "default_sender_name": str(record["name"]),
                    "default_sender_email": "hello@example.com",
                    "website_url": "https://example.com",
                    "organization_name": str(record["name"]),
                    "street_address": {"address1": "", "city": "", "country": "", "zip": ""},
                },
                "industry": "Retail",
                "timezone": str(record["timezone"]),
                "preferred_currency": str(record["currency"]),
                "public_api_key": public,
                "locale": "en-US",
            },
            "links": {"self": f"{self._base(request)}/api/accounts/{public}/"},
        }
        links = {"self": str(request.url), "next": None, "prev": None}
        return json_response({"data": [item], "links": links}, headers=headers, content_type=JSONAPI)

    async def campaigns(self, request: web.Request) -> web.Response:
        """``GET /api/campaigns``: requires ``filter=equals(messages.channel,'email'|'sms'|…)``."""
        refused, headers = self._gate(request, "campaigns")
        if refused is not None:
            return refused
        try:
            predicates = parse_filter(request.query.get("filter", ""))
            channel = next((p.value for p in predicates if p.field == "messages.channel"), None)
            if channel is None:
                raise KlaviyoInputError(
                    "A channel filter is required to list campaigns. Please try again with "
                    "either of the following filters: equals(messages.channel,'email'), "
                    "equals(messages.channel,'sms'), equals(messages.channel,'mobile_push')",
                    "filter",
                )
            rows = (
                self._entities[self._entities["kind"] == "campaign"]
                if channel == "email"
                else self._entities[:0]
            )
            items = [self._campaign(r, self._base(request)) for r in rows.to_dict("records")]
            return self._page(request, items, self._page_size(request, 100, 100), headers)
        except (KlaviyoInputError, FilterError) as error:
            return self._input_error(error)

    async def flows(self, request: web.Request) -> web.Response:
        """``GET /api/flows``."""
        refused, headers = self._gate(request, "flows")
        if refused is not None:
            return refused
        try:
            rows = self._entities[self._entities["kind"] == "flow"]
            items = [self._flow(r, self._base(request)) for r in rows.to_dict("records")]
            return self._page(request, items, self._page_size(request, 50, 50), headers)
        except KlaviyoInputError as error:
            return self._input_error(error)

    async def metrics(self, request: web.Request) -> web.Response:
        """``GET /api/metrics``: Placed Order (the store) and the email engagement metrics."""
        refused, headers = self._gate(request, "metrics")
        if refused is not None:
            return refused
        base = self._base(request)
        created = f"{self.world.today.replace(year=self.world.today.year - 4)}T00:00:00+00:00"
        integration = {
            "object": "integration",
            "id": "0eMvjm",
            "key": "shopify",
            "name": "Shopify",
            "category": "eCommerce",
        }
        items = [
            {
                "type": "metric",
                "id": mid,
                "attributes": {
                    "name": name,
                    "created": created,
                    "updated": created,
                    "integration": integration
                    if name == "Placed Order"
                    else {
                        "object": "integration",
                        "id": "0rG4eQ",
                        "key": "klaviyo",
                        "name": "Klaviyo",
                        "category": "Internal",
                    },
                },
                "relationships": {
                    "flows": {
                        "links": {
                            "self": f"{base}/api/metrics/{mid}/relationships/flows/",
                            "related": f"{base}/api/metrics/{mid}/flows/",
                        }
                    }
                },
                "links": {"self": f"{base}/api/metrics/{mid}/"},
            }
            for name, mid in self._metric_ids.items()
        ]
        try:
            return self._page(request, items, self.config.metrics_page_size, headers)
        except KlaviyoInputError as error:
            return self._input_error(error)

    def _input_error(self, error: Exception) -> web.Response:
        pointer = getattr(error, "pointer", "filter")
        source = {"parameter": pointer} if not pointer.startswith("/") else {"pointer": pointer}
        return self.error(400, "invalid", "Invalid input.", str(getattr(error, "detail", error)), source)

    # ----------------------------------------------------------------- POST bodies
    @staticmethod
    async def _attributes(request: web.Request, kind: str) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as error:
            raise KlaviyoInputError("JSON parse error.", "/data") from error
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != kind:
            raise KlaviyoInputError(f"Expected data.type '{kind}'.", "/data/type")
        attributes = data.get("attributes")
        if not isinstance(attributes, dict):
            raise KlaviyoInputError("attributes are required.", "/data/attributes")
        return attributes

    def _metric_series(self, metric_id: str) -> pd.DataFrame:
        """Daily (date, count, sum_value) of one metric."""
        name = self._metric_name(metric_id)
        if name == "Placed Order":
            out = self.world.outcome.rename(columns={"orders": "count", "revenue": "sum_value"})
            return out[["date", "count", "sum_value"]]
        cells = self._message_cells(name)
        daily = cells.groupby("date")["count"].sum()
        return pd.DataFrame({"date": daily.index, "count": daily.to_numpy(), "sum_value": 0.0})

    def _metric_name(self, metric_id: str) -> str:
        name = next((n for n, i in self._metric_ids.items() if i == metric_id), None)
        if name is None:
            raise KlaviyoInputError(f"Metric '{metric_id}' does not exist.", "/data/attributes/metric_id")
        return name

    def _message_cells(self, name: str) -> pd.DataFrame:
        """(date, message, flow, count, sum_value) of one metric per message and day; Placed Order
        counts the orders (and value) credited to each message."""
        daily = self._daily
        is_flow = daily["kind"] == "flow"
        base = pd.DataFrame(
            {
                "date": daily["date"],
                "message": daily["campaign_id"].astype(str).map(self._message_id),
                "flow": daily["campaign_id"].astype(str).where(is_flow, ""),
            }
        )
        if name == "Placed Order":
            return base.assign(
                count=np.rint(daily["conv_micro"].to_numpy() / 1e6), sum_value=daily["revenue_cents"] / 100.0
            )
        column = (
            daily["recipients"] - daily["bounces"]
            if name == "Received Email"
            else daily[_METRIC_COLUMNS[name]]
        )
        return base.assign(count=column.to_numpy(), sum_value=0.0)

    @staticmethod
    def _datetime_window(filters: Any) -> tuple[date, date]:
        """[first, last] days from ``greater-or-equal(datetime,…)`` and ``less-than(datetime,…)``."""
        items = filters if isinstance(filters, list) else [filters]
        lo = hi = None
        for predicate in (p for text in items if isinstance(text, str) for p in parse_filter(text)):
            if predicate.field == "datetime" and isinstance(predicate.value, datetime):
                if predicate.op in ("greater-or-equal", "greater-than"):
                    lo = predicate.value
                elif predicate.op in ("less-than", "less-or-equal"):
                    hi = predicate.value
        if lo is None or hi is None:
            raise KlaviyoInputError(
                "filter must include greater-or-equal(datetime,…) and less-than(datetime,…).",
                "/data/attributes/filter",
            )
        if hi - lo > timedelta(days=366):
            raise KlaviyoInputError("The date range cannot exceed 1 year.", "/data/attributes/filter")
        last = hi.date() if hi.time() != datetime.min.time() else hi.date() - timedelta(days=1)
        return lo.date(), last

    async def metric_aggregates(self, request: web.Request) -> web.Response:
        """``POST /api/metric-aggregates``: count / sum_value / unique per interval."""
        refused, headers = self._gate(request, "metric-aggregates")
        if refused is not None:
            return refused
        try:
            attrs = await self._attributes(request, "metric-aggregate")
            measurements = attrs.get("measurements") or []
            if not measurements or any(m not in ("count", "sum_value", "unique") for m in measurements):
                raise KlaviyoInputError(
                    "measurements must be a list of count, sum_value, unique.",
                    "/data/attributes/measurements",
                )
            first, last = self._datetime_window(attrs.get("filter"))
            result = self._aggregate(attrs, first, last, measurements)
            offset = self._cursor_of(attrs.get("page_cursor"))
        except (KlaviyoInputError, FilterError) as error:
            return self._input_error(error)
        size = int(attrs.get("page_size") or 500)
        end = min(offset + size, len(result["data"]))
        page = {"dates": result["dates"], "data": result["data"][offset:end]}
        uid = hashlib.blake2b(f"{attrs}".encode(), digest_size=16).hexdigest()
        links = {
            "self": str(request.url),
            "next": str(request.url.with_query({"page_cursor": self._cursor(end)}))
            if end < len(result["data"])
            else None,
            "prev": None,
        }
        return json_response(
            {
                "data": {"type": "metric-aggregate", "id": uid, "attributes": page, "links": links},
                "links": links,
            },
            headers=headers,
            content_type=JSONAPI,
        )

    def _aggregate(
        self, attrs: Mapping[str, Any], first: date, last: date, measurements: list[str]
    ) -> dict[str, Any]:
        interval, timezone = str(attrs.get("interval") or "day"), str(attrs.get("timezone") or "UTC")
        by = attrs.get("by") or []
        if not by:
            series = self._metric_series(str(attrs.get("metric_id")))
            return aggregate_metric(series, first, last, interval, measurements, timezone)
        if interval != "day":
            raise KlaviyoInputError(
                "The emulator groups by message for interval 'day' only.", "/data/attributes"
            )
        name = self._metric_name(str(attrs.get("metric_id")))
        total = self._metric_series(str(attrs.get("metric_id"))) if name == "Placed Order" else None
        return aggregate_by_message(self._message_cells(name), total, first, last, by, measurements, timezone)

    async def campaign_values(self, request: web.Request) -> web.Response:
        """``POST /api/campaign-values-reports``."""
        return await self._values(request, "campaign")

    async def flow_values(self, request: web.Request) -> web.Response:
        """``POST /api/flow-values-reports``."""
        return await self._values(request, "flow")

    async def _values(self, request: web.Request, kind: str) -> web.Response:
        refused, headers = self._gate(request, f"{kind}-values-reports")
        if refused is not None:
            return refused
        try:
            attrs = await self._attributes(request, f"{kind}-values-report")
            results, ids = self._values_results(attrs, kind)
            offset = self._cursor_of(request.query.get("page_cursor"))
        except (KlaviyoInputError, FilterError) as error:
            return self._input_error(error)
        end = min(offset + self.config.report_page_size, len(results))
        links = self._links(request, offset, end, len(results), param="page_cursor")
        rel = {f"{kind}s": {"data": [{"type": kind, "id": i} for i in ids]}}
        body = {
            "data": {
                "type": f"{kind}-values-report",
                "id": self._short_id(str(attrs)),
                "attributes": {"results": results[offset:end]},
                "relationships": rel,
                "links": {"self": str(request.url)},
            },
            "links": links,
        }
        return json_response(body, headers=headers, content_type=JSONAPI)

    def _values_results(self, attrs: Mapping[str, Any], kind: str) -> tuple[list[dict[str, Any]], list[str]]:
        statistics = attrs.get("statistics") or []
        if not statistics or any(s not in STATISTICS for s in statistics):
            raise KlaviyoInputError(
                "statistics must be a non-empty list of supported statistics.", "/data/attributes/statistics"
            )
        if attrs.get("conversion_metric_id") not in self._metric_ids.values():
            raise KlaviyoInputError(
                "conversion_metric_id must be an existing metric.", "/data/attributes/conversion_metric_id"
            )
        group_by = attrs.get("group_by") or [f"{kind}_id", f"{kind}_message_id", "send_channel"]
        if f"{kind}_id" not in group_by or f"{kind}_message_id" not in group_by:
            raise KlaviyoInputError(
                f"group_by must include {kind}_id and {kind}_message_id.", "/data/attributes/group_by"
            )
        first, last = resolve_timeframe(attrs.get("timeframe"), self.world.today)
        frame = report_statistics(self._daily, kind, first, last, statistics)
        wanted = self._filtered_ids(attrs.get("filter"), kind)
        results = []
        for rec in frame.to_dict("records"):
            if wanted is not None and rec["campaign_id"] not in wanted:
                continue
            eid = str(rec["campaign_id"])
            groupings = {
                f"{kind}_id": eid,
                f"{kind}_message_id": self._message_id(eid),
                "send_channel": "email",
                f"{kind}_message_name": f"{rec['campaign_name']} email",
                f"{kind}_name": rec["campaign_name"],
            }
            results.append(
                {
                    "groupings": {g: groupings[g] for g in group_by if g in groupings},
                    "statistics": {s: rec[s] for s in statistics},
                }
            )
        return results, sorted({str(r["groupings"][f"{kind}_id"]) for r in results})

    @staticmethod
    def _filtered_ids(text: Any, kind: str) -> set[str] | None:
        if not text:
            return None
        ids: set[str] | None = None
        for predicate in parse_filter(str(text)):
            if predicate.field == f"{kind}_id":
                values = predicate.value if isinstance(predicate.value, tuple) else (str(predicate.value),)
                ids = set(values) if ids is None else ids & set(values)
            elif predicate.field == "send_channel":
                values = predicate.value if isinstance(predicate.value, tuple) else (str(predicate.value),)
                if "email" not in values:
                    ids = set()
        return ids
