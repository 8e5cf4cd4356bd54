"""Meta Graph emulator: SDK paging, shapes, breakdown exactness, async runs, auth, throttling."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.api import FacebookAdsApi

from liftos_sandbox.emulators.meta_graph import MetaConfig
from liftos_sandbox.emulators.meta_insights import PURCHASE_ALIASES
from liftos_sandbox.emulators.ratelimit import Window
from liftos_sandbox.emulators.server import EmulatorConfig
from liftos_sandbox.emulators.source import ServedWorld

from .conftest import FakeClock, Running, running

ACT = "act_100000000000001"
RANGE = json.dumps({"since": "2025-10-01", "until": "2025-12-31"})


def _sdk(server: Running, token: str) -> FacebookAdsApi:
    api = FacebookAdsApi.init(access_token=token, api_version="v26.0", crash_log=False)
    api._session.GRAPH = server.url
    return api


def _get(server: Running, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.url}/v26.0/{path}", params=params, timeout=10)


def test_sdk_pages_through_account_insights(
    server: Running, creds: dict[str, Any], served: ServedWorld
) -> None:
    api = _sdk(server, creds["meta"]["access_token"])
    cursor = AdAccount(ACT, api=api).get_insights(
        fields=["ad_id", "campaign_name", "spend", "impressions", "actions", "action_values"],
        params={
            "level": "ad",
            "time_range": {"since": "2025-10-01", "until": "2025-12-31"},
            "time_increment": 1,
            "limit": 100,
        },
    )
    rows = [dict(row) for row in cursor]
    daily = served.daily["meta"]
    expected = daily[daily["account_id"] == ACT]
    assert len(rows) == len(expected) > 100  # several pages
    assert sum(Decimal(r["spend"]) for r in rows) == Decimal(int(expected["spend_cents"].sum())) / 100


def test_sdk_async_report_run(server: Running, creds: dict[str, Any]) -> None:
    api = _sdk(server, creds["meta"]["access_token"])
    run = AdAccount(ACT, api=api).get_insights(
        fields=["spend"],
        params={
            "level": "campaign",
            "time_range": {"since": "2025-11-01", "until": "2025-11-30"},
            "time_increment": 1,
            "limit": 7,
        },
        is_async=True,
    )
    assert isinstance(run, AdReportRun)
    statuses = []
    for _ in range(10):
        run.api_get()
        statuses.append((run["async_status"], run["async_percent_completion"]))
        if run["async_status"] == "Job Completed":
            break
    assert statuses[0][0] == "Job Not Started" and statuses[-1] == ("Job Completed", 100)
    rows = list(run.get_result(params={"limit": 7}))
    assert len(rows) > 7 and all("spend" in r for r in rows)


def test_insights_shape_and_paging_envelope(server: Running, creds: dict[str, Any]) -> None:
    token = creds["meta"]["access_token"]
    first = _get(
        server,
        f"{ACT}/insights",
        access_token=token,
        level="ad",
        time_range=RANGE,
        time_increment="1",
        limit="5",
        fields="account_id,account_currency,campaign_id,"
        "campaign_name,adset_id,adset_name,ad_id,ad_name,spend,impressions,clicks,actions,"
        "action_values",
        action_attribution_windows='["1d_click","7d_click","28d_view"]',
    )
    assert first.status_code == 200
    body = first.json()
    row = body["data"][0]
    assert isinstance(row["spend"], str) and isinstance(row["impressions"], str)
    assert row["account_id"] == ACT.removeprefix("act_") and row["account_currency"] == "USD"
    assert row["date_start"] == row["date_stop"] == "2025-10-01"
    purchases = [a for a in row.get("actions", []) if a["action_type"] in PURCHASE_ALIASES]
    if purchases:
        assert {a["value"] for a in purchases} == {purchases[0]["value"]}
        assert {"1d_click", "7d_click"} <= set(purchases[0]) and "28d_view" not in purchases[0]
    assert set(body["paging"]["cursors"]) == {"before", "after"} and "next" in body["paging"]
    nxt = httpx.get(body["paging"]["next"], timeout=10).json()
    assert nxt["data"][0] != row and "previous" in nxt["paging"]


def test_last_page_has_no_next(server: Running, creds: dict[str, Any]) -> None:
    body = _get(server, "me/adaccounts", access_token=creds["meta"]["access_token"], limit="1").json()
    assert "next" in body["paging"]
    last = _get(
        server,
        "me/adaccounts",
        access_token=creds["meta"]["access_token"],
        limit="1",
        after=body["paging"]["cursors"]["after"],
    ).json()
    assert last["data"][0]["id"] == "act_100000000000002" and "next" not in last["paging"]


def test_breakdown_rows_sum_exactly(server: Running, creds: dict[str, Any]) -> None:
    token = creds["meta"]["access_token"]
    plain = _get(
        server,
        f"{ACT}/insights",
        access_token=token,
        level="campaign",
        time_range=RANGE,
        time_increment="7",
        limit="5000",
        fields="campaign_id,spend,impressions,clicks",
    ).json()["data"]
    for breakdowns in ('["age","gender"]', '["publisher_platform","device_platform"]'):
        broken = _get(
            server,
            f"{ACT}/insights",
            access_token=token,
            level="campaign",
            time_range=RANGE,
            time_increment="7",
            limit="5000",
            breakdowns=breakdowns,
            fields="campaign_id,spend,impressions,clicks",
        ).json()["data"]
        for metric in ("spend", "impressions", "clicks"):
            totals: dict[tuple[str, str], Decimal] = {}
            for r in broken:
                key = (r["campaign_id"], r["date_start"])
                totals[key] = totals.get(key, Decimal(0)) + Decimal(r.get(metric, "0"))
            assert totals == {(r["campaign_id"], r["date_start"]): Decimal(r[metric]) for r in plain}


def test_object_insights_and_unknown_object(server: Running, creds: dict[str, Any]) -> None:
    token = creds["meta"]["access_token"]
    rows = _get(
        server, "23850000000000001/insights", access_token=token, time_range=RANGE, fields="campaign_id,spend"
    ).json()["data"]
    assert len(rows) == 1 and rows[0]["campaign_id"] == "23850000000000001"
    missing = _get(server, "999/insights", access_token=token)
    assert missing.status_code == 400 and missing.json()["error"]["error_subcode"] == 33


def test_auth_failures(server: Running) -> None:
    bad = _get(server, f"{ACT}/insights", access_token="nope")
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == 190 and error["type"] == "OAuthException" and "fbtrace_id" in error
    assert _get(server, "me/adaccounts").json()["error"]["code"] == 104


def test_throttling_is_400_with_code_and_usage_headers(served: ServedWorld, creds: dict[str, Any]) -> None:
    clock = FakeClock()
    config = EmulatorConfig(meta=MetaConfig(account_window=Window(3, 300.0)))
    with running(served, config, clock=clock) as srv:
        token = creds["meta"]["access_token"]
        responses = [_get(srv, f"{ACT}/insights", access_token=token) for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 400]
        error = responses[-1].json()["error"]
        assert error["code"] == 80000 and error["error_subcode"] == 2446079
        usage = json.loads(responses[-1].headers["x-business-use-case-usage"])
        assert usage[ACT.removeprefix("act_")][0]["estimated_time_to_regain_access"] > 0
        assert json.loads(responses[0].headers["x-fb-ads-insights-throttle"])["acc_id_util_pct"] > 0
        clock.now += 301
        assert _get(srv, f"{ACT}/insights", access_token=token).status_code == 200


def test_invalid_params(server: Running, creds: dict[str, Any]) -> None:
    token = creds["meta"]["access_token"]
    assert _get(server, f"{ACT}/insights", access_token=token, fields="bogus").json()["error"]["code"] == 100
    old = _get(
        server,
        f"{ACT}/insights",
        access_token=token,
        time_range=json.dumps({"since": "2020-01-01", "until": "2020-01-02"}),
    )
    assert old.json()["error"]["code"] == 3018
    assert (
        httpx.get(f"{server.url}/v12.0/me/adaccounts", params={"access_token": token}).json()["error"]["code"]
        == 2635
    )
