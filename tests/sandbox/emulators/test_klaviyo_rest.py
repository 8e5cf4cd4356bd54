"""Klaviyo emulator: SDK campaigns + campaign values report, JSON:API paging, outcome, auth, 429s."""

from __future__ import annotations

from typing import Any

import httpx
from klaviyo_api import KlaviyoAPI
from openapi_client.api_arg_options import USE_DICTIONARY_FOR_RESPONSE_DATA

from liftos_sandbox.emulators.server import EmulatorConfig
from liftos_sandbox.emulators.source import ServedWorld

from .conftest import FakeClock, Running, running

EMAIL = "equals(messages.channel,'email')"


def _headers(creds: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "Authorization": f"Klaviyo-API-Key {creds['klaviyo']['api_key']}",
        "revision": "2026-10-15",
        "accept": "application/vnd.api+json",
        **extra,
    }


def _sdk(server: Running, creds: dict[str, Any]) -> KlaviyoAPI:
    return KlaviyoAPI(
        creds["klaviyo"]["api_key"],
        test_host=server.url,
        max_retries=0,
        options={USE_DICTIONARY_FOR_RESPONSE_DATA: True},
    )


def _placed_order(server: Running, creds: dict[str, Any]) -> str:
    metrics = httpx.get(f"{server.url}/api/metrics", headers=_headers(creds)).json()["data"]
    return next(m["id"] for m in metrics if m["attributes"]["name"] == "Placed Order")


def test_sdk_lists_campaigns_and_runs_values_report(
    server: Running, creds: dict[str, Any], served: ServedWorld
) -> None:
    k = _sdk(server, creds)
    page = k.Campaigns.get_campaigns(filter=EMAIL, page_size=3)
    ids = [c["id"] for c in page["data"]]
    cursor = page["links"]["next"]
    assert cursor is not None
    second = k.Campaigns.get_campaigns(filter=EMAIL, page_size=3, page_cursor=cursor)
    ids += [c["id"] for c in second["data"]]
    assert second["links"]["next"] is None
    expected = served.entities[served.entities["kind"] == "campaign"]["campaign_id"].tolist()
    assert sorted(ids) == sorted(expected)
    body = {
        "data": {
            "type": "campaign-values-report",
            "attributes": {
                "statistics": [
                    "recipients",
                    "opens",
                    "clicks",
                    "conversions",
                    "conversion_value",
                    "open_rate",
                ],
                "timeframe": {"start": "2025-10-01T00:00:00+00:00", "end": "2026-01-01T00:00:00+00:00"},
                "conversion_metric_id": _placed_order(server, creds),
            },
        }
    }
    report = k.Reporting.query_campaign_values(body)
    results = report["data"]["attributes"]["results"]
    assert {r["groupings"]["campaign_id"] for r in results} == set(expected)
    first = results[0]
    assert set(first["groupings"]) == {"campaign_id", "campaign_message_id", "send_channel"}
    assert isinstance(first["statistics"]["recipients"], int) and 0 <= first["statistics"]["open_rate"] <= 1
    daily = served.daily["klaviyo"]
    assert sum(r["statistics"]["recipients"] for r in results) == int(
        daily[daily["kind"] == "campaign"]["recipients"].sum()
    )


def test_flows_and_flow_values(server: Running, creds: dict[str, Any]) -> None:
    flows = httpx.get(f"{server.url}/api/flows", headers=_headers(creds), params={"page[size]": 1}).json()
    assert flows["data"][0]["type"] == "flow" and flows["links"]["next"]
    rest = httpx.get(flows["links"]["next"], headers=_headers(creds)).json()
    assert rest["links"]["next"] is None and len(rest["data"]) == 1
    body = {
        "data": {
            "type": "flow-values-report",
            "attributes": {
                "statistics": ["recipients", "conversion_value"],
                "timeframe": {"key": "last_30_days"},
                "conversion_metric_id": _placed_order(server, creds),
                "group_by": ["flow_id", "flow_message_id"],
            },
        }
    }
    out = httpx.post(f"{server.url}/api/flow-values-reports/", headers=_headers(creds), json=body)
    assert out.status_code == 200
    assert all(
        set(r["groupings"]) == {"flow_id", "flow_message_id"}
        for r in out.json()["data"]["attributes"]["results"]
    )


def test_metric_aggregates_serve_store_outcome(
    server: Running, creds: dict[str, Any], served: ServedWorld
) -> None:
    body = {
        "data": {
            "type": "metric-aggregate",
            "attributes": {
                "metric_id": _placed_order(server, creds),
                "measurements": ["count", "sum_value"],
                "interval": "day",
                "timezone": "America/New_York",
                "filter": [
                    "greater-or-equal(datetime,2025-11-01T00:00:00)",
                    "less-than(datetime,2025-12-01T00:00:00)",
                ],
            },
        }
    }
    out = httpx.post(f"{server.url}/api/metric-aggregates", headers=_headers(creds), json=body).json()
    attrs = out["data"]["attributes"]
    assert len(attrs["dates"]) == 30 and attrs["dates"][0] == "2025-11-01T00:00:00-04:00"
    outcome = served.outcome[
        (served.outcome["date"] >= "2025-11-01") & (served.outcome["date"] < "2025-12-01")
    ]
    assert sum(attrs["data"][0]["measurements"]["count"]) == int(outcome["orders"].sum())
    assert round(sum(attrs["data"][0]["measurements"]["sum_value"]), 2) == round(
        float(outcome["revenue"].sum()), 2
    )
    body["data"]["attributes"]["filter"] = ["greater-or-equal(datetime,2025-11-01T00:00:00)"]
    bad = httpx.post(f"{server.url}/api/metric-aggregates", headers=_headers(creds), json=body)
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "invalid"


def test_channel_filter_required_and_auth(server: Running, creds: dict[str, Any]) -> None:
    missing = httpx.get(f"{server.url}/api/campaigns", headers=_headers(creds))
    assert missing.status_code == 400 and "channel filter" in missing.json()["errors"][0]["detail"]
    sms = httpx.get(
        f"{server.url}/api/campaigns",
        headers=_headers(creds),
        params={"filter": "equals(messages.channel,'sms')"},
    ).json()
    assert sms["data"] == []
    bad_key = httpx.get(
        f"{server.url}/api/campaigns",
        params={"filter": EMAIL},
        headers={**_headers(creds), "Authorization": "Klaviyo-API-Key pk_wrong"},
    )
    assert bad_key.status_code == 401
    assert set(bad_key.json()["errors"][0]) >= {"id", "status", "code", "title", "detail"}
    no_rev = httpx.get(
        f"{server.url}/api/campaigns",
        params={"filter": EMAIL},
        headers={"Authorization": f"Klaviyo-API-Key {creds['klaviyo']['api_key']}"},
    )
    assert no_rev.status_code == 400 and no_rev.json()["errors"][0]["source"] == {"parameter": "revision"}


def test_report_rate_tier_returns_429_with_retry_after(served: ServedWorld, creds: dict[str, Any]) -> None:
    clock = FakeClock()
    with running(served, EmulatorConfig(), clock=clock) as srv:
        body = {
            "data": {
                "type": "campaign-values-report",
                "attributes": {
                    "statistics": ["recipients"],
                    "timeframe": {"key": "last_90_days"},
                    "conversion_metric_id": _placed_order(srv, creds),
                },
            }
        }
        url = f"{srv.url}/api/campaign-values-reports"
        first = httpx.post(url, headers=_headers(creds), json=body)
        assert first.status_code == 200 and first.headers["RateLimit-Limit"] == "1"
        burst = httpx.post(url, headers=_headers(creds), json=body)
        assert burst.status_code == 429 and int(burst.headers["Retry-After"]) >= 1
        assert burst.json()["errors"][0]["code"] == "throttled"
        clock.now += 1.5
        assert httpx.post(url, headers=_headers(creds), json=body).status_code == 200
        clock.now += 1.5
        steady = httpx.post(url, headers=_headers(creds), json=body)  # 2/min steady tier
        assert steady.status_code == 429 and int(steady.headers["Retry-After"]) > 1
