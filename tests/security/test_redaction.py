"""Finding: secrets in logs. The Google token client had no secrets to scrub, so a token endpoint that
echoes its form put ``client_secret=…&refresh_token=…`` into the ingestor's ``source disabled`` line;
URL-encoded secrets were missed; redaction ran after the 300-character cut; Meta's appsecret_proof was
in every per-request INFO line. Every client knows the secrets it may see, redaction happens before any
cut and catches encoded and truncated forms, and per-request lines are DEBUG and carry no query."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web

from liftos.errors import ConfigError, DataError, LiftOSError, TransientError
from liftos.integrations import GoogleAdsConnector, KlaviyoConnector, MetaAdsConnector
from liftos.integrations.http_core import redact
from liftos_ingestor import service
from liftos_ingestor.landing_tracker import PublishGate
from tests.liftos.integrations.emulator_harness import fast_policy
from tests.security.conftest import Output
from tests.security.hostile import DAY, RecordingLog, Servers, collect_error, hostile, leaks

KLAVIYO_KEY = "pk_Kx7/Qm+Zr=9vLw2Ht5Ny8Pb3Jd6Fs1Ga4"
META_TOKEN = "EAAGx9/Zq+Tp2Lm=Rw8Vn4Hk1Jc6Ys3Bd7Fe0"
META_SECRET = "9f3b2e7a1c4d8f6b0a5e3c2d1b7f9e8a"
META_PROOF = hmac.new(META_SECRET.encode(), META_TOKEN.encode(), hashlib.sha256).hexdigest()
GOOGLE = {
    "client_id": "1234-app.apps.googleusercontent.com",
    "client_secret": "GOCSPX-Wq8/Rt+Zy2=Ux5Pv9Ks3Lm",
    "refresh_token": "1//0gTq7/Hx+Wz=Nc4Rb8Mv2Kp6",
    "developer_token": "dTk-9xQ/2+ZmLw7=RvBn",
}
GOOGLE_SECRETS = [GOOGLE["client_secret"], GOOGLE["refresh_token"], GOOGLE["developer_token"]]
#: Where an echoed secret starts in an error body: as sent (None), and 10 characters before the
#: 300-character cut of a message (the old code redacted after cutting, so that prefix leaked).
OFFSETS = [None, 290]


def _echo(body: bytes, anchor: str, at: int | None) -> str:
    """An error body that echoes ``body`` raw, JSON-escaped and percent-encoded, padded so that
    ``anchor`` (a secret as it appears in ``body``) starts at index ``at``."""
    text = body.decode()
    pad = 0 if at is None else at - text.index(anchor)
    assert pad >= 0
    return "x" * pad + text + " " + json.dumps(text) + " " + quote(text, safe="")


def _google(servers: Servers) -> GoogleAdsConnector:
    return GoogleAdsConnector(
        **GOOGLE,
        customer_id="1234567890",
        base_url=servers.api,
        token_url=f"{servers.api}/token",
        policy=fast_policy(max_attempts=2),
    )


class _Poller:
    gate = PublishGate()

    def __init__(self) -> None:
        self.errors: list[str] = []

    async def poll(self, connector: Any) -> Any:
        try:
            return await connector.collect("ad_group_daily", "1234567890", DAY)
        except LiftOSError as error:
            self.errors += [str(error), repr(error)]
            raise


@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("at", OFFSETS)
async def test_a_token_endpoint_echoing_its_form_leaks_nothing(
    status: int, at: int | None, output: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    """400 (refused grant: the source is disabled) and 500 (retried, then rescheduled)."""

    async def token_echo(request: web.Request, servers: Servers) -> web.StreamResponse:
        del servers
        return web.Response(
            status=status, text=_echo(await request.read(), quote_plus(GOOGLE["client_secret"]), at)
        )

    async def no_wait(stop: asyncio.Event, seconds: float, gate: Any = None) -> None:
        del seconds, gate
        stop.set()

    monkeypatch.setattr(service, "_sleep", no_wait)
    log, poller = RecordingLog(), _Poller()
    with hostile(token_echo) as servers:
        connector = _google(servers)
        await service._poll_forever("google_ads", connector, poller, 900.0, log, asyncio.Event())  # type: ignore[arg-type]
    form = servers.api_seen[0].body.decode()
    assert quote_plus(GOOGLE["client_secret"]) in form  # the endpoint really was sent (and echoed) them
    expected = ConfigError if status == 400 else TransientError
    assert any(expected.__name__ in e for e in poller.errors)
    disabled = [line for line in log.lines if "source disabled" in line or "poll interrupted" in line]
    assert len(disabled) == 1
    everything = "\n".join([*log.lines, *poller.errors, output()])
    assert not leaks(everything, GOOGLE_SECRETS), everything


@pytest.mark.parametrize("at", OFFSETS)
async def test_an_api_echoing_the_key_in_an_error_leaks_nothing(at: int | None, output: Output) -> None:
    async def key_echo(request: web.Request, servers: Servers) -> web.StreamResponse:
        del servers
        return web.Response(
            status=400, text=_echo(request.headers["Authorization"].encode(), KLAVIYO_KEY, at)
        )

    with hostile(key_echo) as servers:
        connector = KlaviyoConnector(api_key=KLAVIYO_KEY, public_key="XyZ123", base_url=servers.api)
        error, _ = await collect_error(connector, "campaigns", "XyZ123", DataError)
    assert "HTTP 400 from campaigns" in str(error)
    assert not leaks(str(error) + repr(error) + output(), [KLAVIYO_KEY])


def _meta(servers: Servers) -> MetaAdsConnector:
    return MetaAdsConnector(
        access_token=META_TOKEN,
        app_secret=META_SECRET,
        ad_account_id="act_1",
        base_url=servers.api,
        use_async=False,
        policy=fast_policy(max_attempts=2),
    )


async def test_meta_request_lines_are_debug_and_carry_no_token_secret_or_proof(
    output: Output, caplog: pytest.LogCaptureFixture
) -> None:
    async def insights(request: web.Request, servers: Servers) -> web.StreamResponse:
        del servers
        assert request.query["appsecret_proof"] == META_PROOF
        return web.json_response({"data": [{"ad_id": "1"}], "paging": {"cursors": {"after": "c"}}})

    with hostile(insights) as servers:
        meta = _meta(servers)
        assert len(await meta.collect("insights", "act_1", DAY)) == 1
        await meta.aclose()
    lines = [r for r in caplog.records if r.name == "liftos.integrations.http"]
    assert [r.levelno for r in lines] == [logging.DEBUG]
    assert (
        "GET http://127.0.0.1:" in lines[0].getMessage()
        and "/v26.0/act_1/insights -> 200" in lines[0].getMessage()
    )
    # httpx's and httpcore's own lines carry URLs and headers; only closing the pool happens outside a request
    third_party = [r.getMessage() for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]
    assert [m for m in third_party if not m.startswith("close.")] == []
    assert not leaks(output(), [META_TOKEN, META_SECRET, META_PROOF])


@pytest.mark.parametrize("anchor", [META_PROOF, META_TOKEN], ids=["proof", "token"])
@pytest.mark.parametrize("at", OFFSETS)
async def test_meta_errors_echoing_the_proof_and_token_leak_neither(
    anchor: str, at: int | None, output: Output
) -> None:
    async def echo(request: web.Request, servers: Servers) -> web.StreamResponse:
        del servers
        sent = f"appsecret_proof={request.query['appsecret_proof']}&{request.headers['Authorization']}"
        return web.Response(status=503, text=_echo(sent.encode(), anchor, at))

    with hostile(echo) as servers:
        meta = _meta(servers)
        error, _ = await collect_error(meta, "insights", "act_1", TransientError)
    assert "HTTP 503 from insights: " in str(error)
    assert not leaks(str(error) + output(), [META_TOKEN, META_SECRET, META_PROOF])


@pytest.mark.parametrize(
    "form",
    [
        lambda s: s,
        lambda s: quote(s, safe=""),
        lambda s: re.sub("%[0-9A-F]{2}", lambda hexa: hexa.group().lower(), quote(s, safe="")),
        lambda s: quote(quote(s, safe=""), safe=""),
        lambda s: quote_plus(s),
        lambda s: json.dumps(s)[1:-1].replace("/", "\\/"),
        lambda s: s[:7],
        lambda s: quote(s[:7], safe=""),
    ],
    ids=["raw", "percent", "lower-case hex", "twice", "form", "json-escaped", "cut", "encoded and cut"],
)
def test_redact_catches_every_form_of_a_secret(form: Any) -> None:
    secret = GOOGLE["refresh_token"]
    text = f"refresh_token={form(secret)}&grant_type=refresh_token"
    assert redact(text, [secret]) == "refresh_token=***&grant_type=refresh_token"
