"""The Klaviyo API surface as data: the error table, the endpoint table, and how an error names its code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from liftos.integrations.cursors import SlicePlan
from liftos.integrations.endpoints import Endpoint
from liftos.integrations.http_core import DEFAULT_ERRORS, THROTTLE, Action, ApiErrors, ErrorKey, ErrorRule
from liftos.integrations.paginators import NextLinkPaginator, dig

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

LISTING_PLAN = SlicePlan(step_days=1, lookback_days=0, sliced=False)
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
            slicing=LISTING_PLAN,
        ),
        Endpoint("flows", "GET", "/api/flows", paginator=NextLinkPaginator, slicing=LISTING_PLAN),
        Endpoint("metrics", "GET", "/api/metrics", paginator=NextLinkPaginator, slicing=LISTING_PLAN),
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


def error_code(response: httpx.Response, body: Any) -> str | None:
    del response
    errors = dig(body, ("errors",))
    first = errors[0] if isinstance(errors, list) and errors else None
    code = dig(first, ("code",))
    return None if code is None else str(code)


#: How the Klaviyo API reports failures.
KLAVIYO_API = ApiErrors(KLAVIYO_ERRORS, error_code)
