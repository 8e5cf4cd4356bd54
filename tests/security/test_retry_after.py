"""Finding: ``Retry-After: 1000000000``, ``inf`` or a year-9999 date parked a source for decades, ``nan``
hung a run, ``3599`` was obeyed nine times inside one request. Server hints are clamped to
``max_retry_after_s``, non-finite ones count as absent, in-process waits stay inside the request
deadline, and the ingestor never parks a source for longer than the ceiling."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import orjson
import pytest
from aiohttp import web

from liftos.errors import TransientError
from liftos.integrations import GoogleAdsConnector, KlaviyoConnector, MemoryCursorStore, MetaAdsConnector
from liftos.integrations.http_core import ConnectorLimits, RetryPolicy
from liftos.integrations.sync import sync_connector
from liftos_ingestor import service
from liftos_ingestor.landing_tracker import PublishGate
from tests.security.hostile import DAY, RecordingLog, Servers, collect_error, hostile

KEY = "pk_Kx7/Qm+Zr=9vLw2Ht5Ny8Pb3Jd6Fs1Ga4"
CEILING = ConnectorLimits().max_retry_after_s
HOSTILE_HINTS = ["1000000000", "inf", "-inf", "nan", "1e400", "-5", "Fri, 31 Dec 9999 23:59:59 GMT"]


class FakeTime:
    """An injected sleep that advances an injected clock (no real time passes)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def clock(self) -> float:
        return self.now

    def policy(self) -> RetryPolicy:
        return RetryPolicy(sleep=self.sleep, clock=self.clock, jitter=lambda: 0.5, max_attempts=4)


def _throttled(retry_after: str) -> Any:
    async def handler(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request, servers
        return web.json_response(
            {"errors": [{"code": "throttled"}]}, status=429, headers={"Retry-After": retry_after}
        )

    return handler


def _klaviyo(servers: Servers, time: FakeTime, **limits: Any) -> KlaviyoConnector:
    return KlaviyoConnector(
        api_key=KEY,
        public_key="XyZ123",
        base_url=servers.api,
        policy=time.policy(),
        limits=ConnectorLimits(**limits),
    )


def _bounded(seconds: float | None) -> bool:
    return seconds is None or (math.isfinite(seconds) and 0 <= seconds <= CEILING)


@pytest.mark.parametrize("value", HOSTILE_HINTS)
async def test_a_hostile_retry_after_is_clamped_or_ignored(value: str) -> None:
    time = FakeTime()
    with hostile(_throttled(value)) as servers:
        connector = _klaviyo(servers, time)
        error, _ = await collect_error(connector, "campaigns", "XyZ123", TransientError)
    assert all(_bounded(s) for s in time.sleeps), time.sleeps
    assert _bounded(error.retry_after)
    assert len(servers.api_seen) <= 4
    assert service.retry_delay(error.retry_after, 900.0, CEILING) <= CEILING


async def test_vendor_hints_are_clamped_too() -> None:
    """Meta's ``estimated_time_to_regain_access`` and Google's ``retryDelay`` pass the same ceiling."""

    async def handler(request: web.Request, servers: Servers) -> web.StreamResponse:
        del servers
        if request.path == "/token":
            return web.json_response({"access_token": "ya29.short-lived", "expires_in": 3600})
        if "googleAds:search" in request.path:  # searchStream, then the paged search fallback
            failure = {"details": {"quotaErrorDetails": {"retryDelay": "99999999999s"}}}
            error = {"status": "RESOURCE_EXHAUSTED", "details": [{"errors": [failure]}]}
            return web.json_response([{"error": error}], status=429)
        usage = orjson.dumps({"1": [{"estimated_time_to_regain_access": 1e300}]}).decode()
        body = {"error": {"code": 17, "message": "User request limit reached"}}
        return web.json_response(body, status=400, headers={"x-business-use-case-usage": usage})

    time = FakeTime()
    with hostile(handler) as servers:
        meta = MetaAdsConnector(
            access_token="EAAGx9/Zq+Tp2Lm=Rw8Vn4Hk1Jc6Ys3Bd7Fe0",
            ad_account_id="act_1",
            base_url=servers.api,
            use_async=False,
            policy=time.policy(),
        )
        google = GoogleAdsConnector(
            client_id="id",
            client_secret="GOCSPX-Wq8/Rt+Zy2=Ux5Pv9Ks3Lm",
            refresh_token="1//0gTq7/Hx+Wz=Nc4Rb8Mv2Kp6",
            customer_id="1234567890",
            base_url=servers.api,
            token_url=f"{servers.api}/token",
            policy=time.policy(),
        )
        errors = [
            (await collect_error(meta, "insights", "act_1", TransientError))[0],
            (await collect_error(google, "ad_group_daily", "1234567890", TransientError))[0],
        ]
    assert [getattr(error, "retry_after", None) for error in errors] == [CEILING, CEILING]
    assert time.sleeps == []


async def test_in_process_waits_stay_inside_the_request_deadline() -> None:
    """``Retry-After: 3599`` forever: never slept past the request deadline (default 1800 s: not at all)."""
    for deadline, slept in ((ConnectorLimits().request_deadline_s, []), (5000.0, [3599.0])):
        time = FakeTime()
        with hostile(_throttled("3599")) as servers:
            connector = _klaviyo(servers, time, request_deadline_s=deadline)
            error, _ = await collect_error(
                connector, "campaigns", "XyZ123", TransientError, "would pass the request deadline"
            )
        assert time.sleeps == slept and sum(time.sleeps) <= deadline
        assert error.retry_after == 3599.0  # the caller reschedules instead


class _OneStream:
    """The ingestor's poller reduced to one stream and an in-memory cursor store."""

    gate = PublishGate()

    async def poll(self, connector: Any) -> Any:
        async def publish(batch: Any) -> None:
            del batch

        return await sync_connector(
            connector,
            publish=publish,
            store=MemoryCursorStore(),
            since=DAY.start,
            until=DAY.end,
            streams=["campaigns"],
            accounts=["XyZ123"],
        )


@pytest.mark.parametrize("value", ["1000000000", "Fri, 31 Dec 9999 23:59:59 GMT", "inf", "nan"])
async def test_the_ingestor_parks_a_source_no_longer_than_the_ceiling(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def sleep(stop: asyncio.Event, seconds: float, gate: Any = None) -> None:
        waits.append(seconds)
        stop.set()

    monkeypatch.setattr(service, "_sleep", sleep)
    ceiling = 3600.0
    time = FakeTime()
    with hostile(_throttled(value)) as servers:
        connector = _klaviyo(servers, time, max_retry_after_s=ceiling)
        await service._poll_forever(
            "klaviyo", connector, _OneStream(), 900.0, RecordingLog(), asyncio.Event(), ceiling
        )  # type: ignore[arg-type]
    assert len(waits) == 1
    assert waits[0] == (ceiling if value[0] in "1F" else 60.0)  # a finite hint: clamped; non-finite: none
