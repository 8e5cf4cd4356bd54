"""The Google Ads API surface as data: error and endpoint tables, and how an error names its code and wait."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from liftos.integrations.cursors import SlicePlan
from liftos.integrations.endpoints import Endpoint
from liftos.integrations.google_ads.settings import LOOKBACK_DAYS, STEP_DAYS
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
from liftos.integrations.paginators import PageTokenPaginator, dig

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


def _error_body(body: Any) -> Any:
    return body[0] if isinstance(body, list) and body else body


def error_code(response: httpx.Response, body: Any) -> str | None:
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


def retry_hint(response: httpx.Response, body: Any) -> float | None:
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


#: How the Google Ads API reports failures.
GOOGLE_API = ApiErrors(GOOGLE_ERRORS, error_code, retry_hint)
#: How the OAuth token endpoint reports failures (a refused refresh token is a configuration error).
TOKEN_API = ApiErrors(TOKEN_ERRORS)
