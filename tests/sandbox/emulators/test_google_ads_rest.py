"""Google Ads REST emulator: OAuth, discovery, search/searchStream shapes, paging, errors, quota."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from liftos_sandbox.emulators.gaql import GaqlError, parse_gaql
from liftos_sandbox.emulators.google_ads_query import FIELDS
from liftos_sandbox.emulators.google_ads_rest import GoogleAdsConfig
from liftos_sandbox.emulators.ratelimit import Window
from liftos_sandbox.emulators.server import EmulatorConfig
from liftos_sandbox.emulators.source import ServedWorld

from .conftest import FakeClock, Running, running

CID = "4445556666"
Q = (
    "SELECT campaign.id, campaign.name, segments.date, metrics.cost_micros, metrics.impressions, "
    "metrics.clicks, metrics.conversions, metrics.conversions_value FROM campaign "
    "WHERE segments.date BETWEEN '2025-10-01' AND '2025-12-31' ORDER BY segments.date ASC"
)


def _token(url: str, creds: dict[str, Any]) -> str:
    g = creds["google_ads"]
    out = httpx.post(
        f"{url}/token",
        data={
            "grant_type": "refresh_token",
            "client_id": g["client_id"],
            "client_secret": g["client_secret"],
            "refresh_token": g["refresh_token"],
        },
    )
    assert (
        out.status_code == 200 and out.json()["token_type"] == "Bearer" and out.json()["expires_in"] == 3599
    )
    return str(out.json()["access_token"])


def _headers(token: str, creds: dict[str, Any]) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "developer-token": creds["google_ads"]["developer_token"],
        "login-customer-id": creds["google_ads"]["login_customer_id"],
    }


def _post(
    server: Running, creds: dict[str, Any], method: str, body: dict[str, Any], token: str | None = None
) -> httpx.Response:
    headers = _headers(token or _token(server.url, creds), creds)
    return httpx.post(f"{server.url}/v26/customers/{CID}/googleAds:{method}", json=body, headers=headers)


def test_oauth_refresh_errors(server: Running, creds: dict[str, Any]) -> None:
    g = creds["google_ads"]
    bad = httpx.post(
        f"{server.url}/token",
        data={
            "grant_type": "refresh_token",
            "client_id": g["client_id"],
            "client_secret": g["client_secret"],
            "refresh_token": "x",
        },
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_list_accessible_customers(server: Running, creds: dict[str, Any]) -> None:
    out = httpx.get(
        f"{server.url}/v26/customers:listAccessibleCustomers",
        headers={"Authorization": f"Bearer {_token(server.url, creds)}"},
    )
    assert out.json() == {"resourceNames": ["customers/1112223333", f"customers/{CID}"]}


def test_search_stream_shape_and_spend(server: Running, creds: dict[str, Any], served: ServedWorld) -> None:
    out = _post(server, creds, "searchStream", {"query": Q})
    assert out.status_code == 200
    batches = out.json()
    assert isinstance(batches, list) and set(batches[0]) == {"results", "fieldMask", "requestId"}
    assert batches[0]["fieldMask"] == (
        "campaign.id,campaign.name,segments.date,metrics.costMicros,"
        "metrics.impressions,metrics.clicks,metrics.conversions,"
        "metrics.conversionsValue"
    )
    row = batches[0]["results"][0]
    assert row["campaign"]["resourceName"] == f"customers/{CID}/campaigns/{row['campaign']['id']}"
    assert isinstance(row["metrics"]["costMicros"], str) and isinstance(row["metrics"]["impressions"], str)
    assert isinstance(row["metrics"]["conversions"], float)
    assert isinstance(row["metrics"]["conversionsValue"], float)
    total = sum(int(r["metrics"]["costMicros"]) for b in batches for r in b["results"])
    assert total == int(served.daily["google_ads"]["spend_micros"].sum())


def test_search_pages_with_fixed_page_size(served: ServedWorld, creds: dict[str, Any]) -> None:
    with running(served, EmulatorConfig(google_ads=GoogleAdsConfig(page_size=50))) as srv:
        token = _token(srv.url, creds)
        rows, body = [], {"query": Q}
        while True:
            page = _post(srv, creds, "search", body, token).json()
            rows += page["results"]
            assert "fieldMask" in page and "requestId" in page
            if "nextPageToken" not in page:
                break
            body = {"query": Q, "pageToken": page["nextPageToken"]}
        stream = _post(srv, creds, "searchStream", {"query": Q}, token).json()
        assert rows == [r for b in stream for r in b["results"]] and len(rows) > 50
        bad = _post(srv, creds, "search", {"query": Q, "pageToken": "garbage"}, token).json()
        assert bad["error"]["details"][0]["errors"][0]["errorCode"] == {"requestError": "INVALID_PAGE_TOKEN"}
        size = _post(srv, creds, "search", {"query": Q, "pageSize": 10}, token).json()
        assert size["error"]["details"][0]["errors"][0]["errorCode"] == {
            "requestError": "PAGE_SIZE_NOT_SUPPORTED"
        }


def test_segments_apportioned_exactly(server: Running, creds: dict[str, Any]) -> None:
    token = _token(server.url, creds)
    base = (
        "SELECT ad_group.id, segments.date{seg}, metrics.cost_micros, metrics.clicks FROM ad_group "
        "WHERE segments.date BETWEEN '2025-11-01' AND '2025-11-07'"
    )
    plain = _post(server, creds, "searchStream", {"query": base.format(seg="")}, token).json()
    for seg in ("device", "ad_network_type", "click_type"):
        split = _post(
            server, creds, "searchStream", {"query": base.format(seg=f", segments.{seg}")}, token
        ).json()
        sums: dict[tuple[str, str], int] = {}
        for r in split[0]["results"]:
            key = (r["adGroup"]["id"], r["segments"]["date"])
            sums[key] = sums.get(key, 0) + int(r["metrics"]["costMicros"])
        assert sums == {
            (r["adGroup"]["id"], r["segments"]["date"]): int(r["metrics"]["costMicros"])
            for r in plain[0]["results"]
        }


def test_auth_errors(server: Running, creds: dict[str, Any]) -> None:
    expired = _post(server, creds, "search", {"query": Q}, token="ya29.bogus")
    assert expired.status_code == 401 and expired.json()["error"]["status"] == "UNAUTHENTICATED"
    token = _token(server.url, creds)
    no_login = httpx.post(
        f"{server.url}/v26/customers/{CID}/googleAds:search",
        json={"query": Q},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert no_login.status_code == 403
    assert no_login.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "authorizationError": "USER_PERMISSION_DENIED"
    }


def test_token_expires(served: ServedWorld, creds: dict[str, Any]) -> None:
    clock = FakeClock()
    with running(served, clock=clock) as srv:
        token = _token(srv.url, creds)
        assert _post(srv, creds, "search", {"query": Q}, token).status_code == 200
        clock.now += 3600
        out = _post(srv, creds, "search", {"query": Q}, token)
        assert out.status_code == 401
        assert out.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
            "authenticationError": "OAUTH_TOKEN_EXPIRED"
        }


def test_bad_gaql_is_invalid_argument(server: Running, creds: dict[str, Any]) -> None:
    out = _post(server, creds, "searchStream", {"query": "SELECT campaign.bogus FROM campaign"})
    assert out.status_code == 400
    error = out.json()[0]["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    detail = error["details"][0]
    assert detail["@type"].endswith("google.ads.googleads.v26.errors.GoogleAdsFailure")
    assert detail["errors"][0]["errorCode"] == {"queryError": "UNRECOGNIZED_FIELD"}
    open_range = "SELECT segments.date, metrics.clicks FROM campaign WHERE segments.date >= '2025-10-01'"
    assert _post(server, creds, "search", {"query": open_range}).json()["error"]["details"][0]["errors"][0][
        "errorCode"
    ] == {"queryError": "EXPECTED_FILTERS_ON_DATE_RANGE"}


def test_quota_exhaustion(served: ServedWorld, creds: dict[str, Any]) -> None:
    config = EmulatorConfig(google_ads=GoogleAdsConfig(burst=Window(2, 60.0)))
    with running(served, config, clock=FakeClock()) as srv:
        token = _token(srv.url, creds)
        codes = [_post(srv, creds, "search", {"query": Q}, token) for _ in range(3)]
        assert [c.status_code for c in codes] == [200, 200, 429]
        error = codes[-1].json()["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED"
        failure = error["details"][0]["errors"][0]
        assert failure["errorCode"] == {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"}
        assert failure["details"]["quotaErrorDetails"]["retryDelay"].endswith("s")


def test_gaql_parser() -> None:
    q = parse_gaql(
        "SELECT campaign.id FROM campaign WHERE campaign.id IN (1, 2) AND metrics.clicks > 0 "
        "AND segments.date BETWEEN '2025-01-01' AND '2025-01-31' ORDER BY campaign.id DESC LIMIT 5",
        FIELDS,
    )
    assert [c.op for c in q.conditions] == ["IN", ">", "BETWEEN"] and q.limit == 5
    assert q.order_by == (("campaign.id", True),)
    with pytest.raises(GaqlError):
        parse_gaql("SELECT campaign.id FROM keyword_view", FIELDS)


def test_customer_client_lists_the_manager_hierarchy(
    server: Running, creds: dict[str, Any], served: ServedWorld
) -> None:
    """``FROM customer_client`` on the manager: itself at level 0, its client customers at level 1,
    with currency and time zone; ``level`` is int64 (a JSON string) as in the proto3 JSON mapping."""
    manager = creds["google_ads"]["login_customer_id"]
    query = (
        "SELECT customer_client.client_customer, customer_client.id, customer_client.descriptive_name, "
        "customer_client.currency_code, customer_client.time_zone, customer_client.manager, "
        "customer_client.level FROM customer_client WHERE customer_client.level <= 1"
    )
    out = httpx.post(
        f"{server.url}/v26/customers/{manager}/googleAds:searchStream",
        json={"query": query},
        headers=_headers(_token(server.url, creds), creds),
    )
    assert out.status_code == 200, out.text
    rows = [r["customerClient"] for batch in out.json() for r in batch["results"]]
    assert rows[0]["id"] == manager and rows[0]["level"] == "0" and rows[0]["manager"] is True
    clients = {r["id"]: r for r in rows[1:]}
    accounts = served.channel_accounts("google_ads")
    assert set(clients) == set(accounts["account_id"])
    for account in accounts.itertuples():
        client = clients[account.account_id]
        assert client["level"] == "1" and client["manager"] is False
        assert client["clientCustomer"] == f"customers/{account.account_id}"
        assert (client["currencyCode"], client["timeZone"]) == (account.currency, account.timezone)
        assert client["resourceName"] == f"customers/{manager}/customerClients/{account.account_id}"
