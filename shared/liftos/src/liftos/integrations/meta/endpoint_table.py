"""The Graph API surface as data: the error and endpoint tables, and how an error names its code and wait."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from liftos.integrations.cursors import SlicePlan
from liftos.integrations.endpoints import Endpoint
from liftos.integrations.http_core import (
    AUTH,
    DEFAULT_ERRORS,
    SERVER_ERROR,
    THROTTLE,
    Action,
    ApiErrors,
    ErrorKey,
    ErrorRule,
    parse_retry_after,
)
from liftos.integrations.meta.settings import LOOKBACK_DAYS, PAGE_SIZE, STEP_DAYS
from liftos.integrations.paginators import BodyCursorPaginator, dig

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
            {"fields": "id,account_id,name,currency,timezone_name,account_status"},
            paginator=lambda: BodyCursorPaginator(page_size=100),
        ),
        Endpoint("permissions", "GET", "/{version}/me/permissions", paginator=lambda: BodyCursorPaginator()),
        Endpoint(
            "insights", "GET", "/{version}/{account}/insights", paginator=_CURSOR, slicing=_INSIGHTS_PLAN
        ),
        Endpoint("insights_job", "POST", "/{version}/{account}/insights", records_path=()),
        Endpoint("report_run", "GET", "/{version}/{run_id}", records_path=()),
        Endpoint("report_results", "GET", "/{version}/{run_id}/insights", paginator=_CURSOR),
    )
}


def error_code(response: httpx.Response, body: Any) -> str | None:
    del response
    code = dig(body, ("error", "code"))
    return None if code is None else str(code)


def retry_hint(response: httpx.Response, body: Any) -> float | None:
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


#: How the Graph API reports failures.
META_API = ApiErrors(META_ERRORS, error_code, retry_hint)
