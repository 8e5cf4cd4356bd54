"""Finding: the Klaviyo connector followed ``links.next`` to any host and sent its API key there.

Every request goes to the API's origin (scheme, host, port) or an explicitly allowed one; a next link
elsewhere is a DataError naming the host and is never requested; credentials go only to the API origin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from liftos.errors import DataError
from liftos.integrations import KlaviyoConnector, MetaAdsConnector
from liftos.integrations.http_core import ConnectorLimits
from tests.liftos.integrations.emulator_harness import fast_policy
from tests.security.conftest import Output
from tests.security.hostile import DAY, Servers, collect_error, hostile, leaks

KEY = "pk_Kx7/Qm+Zr=9vLw2Ht5Ny8Pb3Jd6Fs1Ga4"
TOKEN = "EAAGx9/Zq+Tp2Lm=Rw8Vn4Hk1Jc6Ys3Bd7Fe0"


def _klaviyo(servers: Servers, **kwargs: Any) -> KlaviyoConnector:
    return KlaviyoConnector(
        api_key=KEY, public_key="XyZ123", base_url=servers.api, policy=fast_policy(), **kwargs
    )


def _api_port(servers: Servers) -> int:
    return int(servers.api.rsplit(":", 1)[1])


#: Next links a compromised API might send, by name: (link, the origin the refusal must name).
LINKS: dict[str, Callable[[Servers], tuple[str, str]]] = {
    "other port": lambda s: (
        f"{s.attacker}/api/campaigns?page%5Bcursor%5D=b2",
        f"127.0.0.1:{s.attacker_port}",
    ),
    "userinfo trick": lambda s: (
        f"http://127.0.0.1:{_api_port(s)}@127.0.0.1:{s.attacker_port}/api/campaigns",
        f"127.0.0.1:{s.attacker_port}",
    ),
    "other scheme, same host and port": lambda s: (
        f"https://127.0.0.1:{_api_port(s)}/api/campaigns",
        f"https://127.0.0.1:{_api_port(s)}",
    ),
}


def _listing_then(link: Callable[[Servers], tuple[str, str]]) -> Any:
    async def handler(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request
        if len(servers.api_seen) == 1:
            page = {"data": [{"type": "campaign", "id": "c1"}], "links": {"next": link(servers)[0]}}
            return web.json_response(page)
        return web.json_response({"data": [], "links": {"next": None}})

    return handler


@pytest.mark.parametrize("name", sorted(LINKS))
async def test_a_next_link_off_the_api_origin_is_refused_not_requested(name: str, output: Output) -> None:
    with hostile(_listing_then(LINKS[name])) as servers:
        connector = _klaviyo(servers)
        error, _ = await collect_error(connector, "campaigns", "XyZ123", DataError)
    assert servers.attacker_seen == []
    assert len(servers.api_seen) == 1  # the first page only: the link was never requested
    message = str(error)
    assert "refusing to send a request to host '127.0.0.1'" in message
    assert LINKS[name](servers)[1] in message
    assert not leaks(message + output(), [KEY])


async def test_a_values_report_next_link_elsewhere_gets_neither_key_nor_report_body() -> None:
    async def handler(request: web.Request, servers: Servers) -> web.StreamResponse:
        if request.path == "/api/metrics":
            return web.json_response({"data": [{"id": "M1", "attributes": {"name": "Placed Order"}}]})
        results = {"data": {"attributes": {"results": []}}, "links": {"next": f"{servers.attacker}/steal"}}
        return web.json_response(results)

    with hostile(handler) as servers:
        connector = _klaviyo(servers)
        await collect_error(connector, "campaign_values", "XyZ123", DataError, "refusing to send a request")
    assert servers.attacker_seen == []
    assert [seen.path_qs for seen in servers.api_seen] == ["/api/metrics", "/api/campaign-values-reports"]


async def test_a_redirect_is_not_followed() -> None:
    async def handler(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request
        raise web.HTTPTemporaryRedirect(f"{servers.attacker}/api/campaigns")

    with hostile(handler) as servers:
        connector = _klaviyo(servers)
        await collect_error(connector, "campaigns", "XyZ123", DataError, "HTTP 307")
    assert servers.attacker_seen == []


async def test_an_allowed_origin_is_followed_without_credentials() -> None:
    """Credentials are attached per origin: an explicitly allowed other origin gets none."""
    with hostile(_listing_then(LINKS["other port"])) as servers:
        connector = _klaviyo(servers, limits=ConnectorLimits(allowed_origins=(servers.attacker,)))
        rows = await connector.collect("campaigns", "XyZ123", DAY)
        await connector.aclose()
    assert [row["id"] for row in rows] == ["c1"]
    assert servers.api_seen[0].headers["Authorization"] == f"Klaviyo-API-Key {KEY}"
    assert len(servers.attacker_seen) == 1
    reached = servers.attacker_seen[0]
    assert "Authorization" not in reached.headers
    assert not leaks(repr(reached), [KEY])


async def test_meta_pages_by_cursor_on_its_own_origin_whatever_paging_next_says() -> None:
    async def handler(request: web.Request, servers: Servers) -> web.StreamResponse:
        after = request.query.get("after")
        paging: dict[str, Any] = {"cursors": {"after": "c2"}}
        if after is None:
            paging["next"] = f"{servers.attacker}/v26.0/act_1/insights?after=c2"
        return web.json_response({"data": [{"ad_id": after or "first"}], "paging": paging})

    with hostile(handler) as servers:
        meta = MetaAdsConnector(
            access_token=TOKEN,
            ad_account_id="act_1",
            base_url=servers.api,
            use_async=False,
            policy=fast_policy(),
        )
        rows = await meta.collect("insights", "act_1", DAY)
        await meta.aclose()
    assert [row["ad_id"] for row in rows] == ["first", "c2"]
    assert servers.attacker_seen == []
