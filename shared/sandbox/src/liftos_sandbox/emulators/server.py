"""One aiohttp application serving the Meta, Google Ads and Klaviyo emulators on one port.

Their URL spaces do not collide: Meta ``/v{N}.0/…``, Google ``/v{N}/customers…`` and the OAuth token
paths, Klaviyo ``/api/…``. A middleware adds latency and deterministic faults (`faults.py`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from aiohttp import web

from liftos.runtime import check_port_free
from liftos_sandbox.emulators.faults import FaultInjector, FaultKind
from liftos_sandbox.emulators.google_ads_rest import TOKEN_PATHS, GoogleAdsConfig, GoogleAdsEmulator
from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig, KlaviyoEmulator
from liftos_sandbox.emulators.meta_graph import MetaConfig, MetaEmulator
from liftos_sandbox.emulators.source import ServedWorld, WorldLike, serve_world

__all__ = ["EMULATORS_KEY", "EmulatorConfig", "build_app", "platform_of", "serve"]

EMULATORS_KEY: web.AppKey[dict[str, Any]] = web.AppKey("emulators", dict)
_META = re.compile(r"^/v\d+\.\d+/")
_GOOGLE = re.compile(r"^/v\d+/customers")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _FaultSource(Protocol):
    def fault_response(self, kind: FaultKind, request: web.Request) -> web.Response | None: ...


@dataclass(frozen=True)
class EmulatorConfig:
    """Server-wide knobs: fault rate (0-1 per request), latency (ms) and the timeout delay (s)."""

    meta: MetaConfig = field(default_factory=MetaConfig)
    google_ads: GoogleAdsConfig = field(default_factory=GoogleAdsConfig)
    klaviyo: KlaviyoConfig = field(default_factory=KlaviyoConfig)
    fault_rate: float = 0.0
    latency_ms: float = 0.0
    timeout_delay_s: float = 35.0


def platform_of(path: str) -> str | None:
    """Which emulator serves ``path`` ('oauth' for token endpoints, None when unknown)."""
    if path in TOKEN_PATHS:
        return "oauth"
    if _META.match(path):
        return "meta"
    if _GOOGLE.match(path):
        return "google_ads"
    if path.startswith("/api/"):
        return "klaviyo"
    return None


async def _truncated(request: web.Request, inner: web.StreamResponse) -> web.StreamResponse:
    """Send half the body under a full Content-Length, then drop the connection."""
    body = inner.body if isinstance(inner, web.Response) and isinstance(inner.body, bytes) else b"{}"
    response = web.StreamResponse(status=inner.status, headers={"Content-Type": inner.content_type})
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return response


def _malformed(inner: web.StreamResponse) -> web.Response:
    """A complete 200 response whose JSON body is cut short (invalid JSON)."""
    body = inner.body if isinstance(inner, web.Response) and isinstance(inner.body, bytes) else b"{}"
    return web.Response(body=body[: max(len(body) // 2, 1)], status=200, content_type=inner.content_type)


def _middleware(
    config: EmulatorConfig, injector: FaultInjector, emulators: dict[str, _FaultSource]
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        platform = platform_of(request.path)
        if config.latency_ms > 0:
            await asyncio.sleep(config.latency_ms / 1000.0)
        if platform is None or platform == "oauth":
            return await handler(request)
        kind = injector.decide(platform, request.path)
        if kind is None:
            return await handler(request)
        special = emulators[platform].fault_response(kind, request)
        if special is not None:
            return special
        if kind is FaultKind.TIMEOUT:
            await asyncio.sleep(config.timeout_delay_s)
            return await handler(request)
        inner = await handler(request)
        return await _truncated(request, inner) if kind is FaultKind.TRUNCATED else _malformed(inner)

    return middleware


def build_app(
    world: WorldLike | ServedWorld,
    config: EmulatorConfig | None = None,
    clock: Callable[[], float] | None = None,
) -> web.Application:
    """The aiohttp application serving all three platforms from ``world``."""
    config = config or EmulatorConfig()
    served = world if isinstance(world, ServedWorld) else serve_world(world)
    clock_kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
    emulators: dict[str, Any] = {
        "meta": MetaEmulator(served, config.meta, **clock_kw),
        "google_ads": GoogleAdsEmulator(served, config.google_ads, **clock_kw),
        "klaviyo": KlaviyoEmulator(served, config.klaviyo, **clock_kw),
    }
    injector = FaultInjector(served.seed, config.fault_rate)
    app = web.Application(middlewares=[_middleware(config, injector, emulators)])  # type: ignore[list-item]
    app[EMULATORS_KEY] = {**emulators, "world": served, "faults": injector}
    for emulator in emulators.values():
        emulator.add_routes(app)
    return app


def serve(
    port: int,
    host: str = "127.0.0.1",
    seed: int = 0,
    scenario: str = "default",
    fault_rate: float = 0.0,
    latency_ms: float = 0.0,
    start: date | None = None,
    end: date | None = None,
    entities: int | None = None,
    rate_limits: bool = True,
    revoked: tuple[str, ...] = (),
) -> None:
    """Simulate the world for (seed, scenario, start, end, entities) and serve it until SIGINT/SIGTERM.

    ``rate_limits=False`` lifts Klaviyo's documented rate tiers (its reports tier allows 2 calls a
    minute, as on the real platform). ``revoked`` names platforms (``meta``, ``google_ads``,
    ``klaviyo``) whose credentials are refused as revoked.
    """
    from liftos_sandbox.world import WorldSpec, simulate_world  # the simulator is optional at import

    check_port_free(
        host, port, "the sandbox emulators", fix="stop what listens there or choose another --port"
    )

    spec_kwargs: dict[str, Any] = {"seed": seed, "scenario": scenario}
    if start is not None:
        spec_kwargs["start"] = start
    if end is not None:
        spec_kwargs["end"] = end
    if entities is not None:
        spec_kwargs["entities_per_channel"] = entities
    world = simulate_world(WorldSpec(**spec_kwargs))
    unknown = set(revoked) - {"meta", "google_ads", "klaviyo"}
    if unknown:
        raise ValueError(f"cannot revoke unknown platforms {sorted(unknown)}")
    config = EmulatorConfig(
        meta=MetaConfig(revoked="meta" in revoked),
        google_ads=GoogleAdsConfig(revoked="google_ads" in revoked),
        klaviyo=KlaviyoConfig(rate_limits=rate_limits, revoked="klaviyo" in revoked),
        fault_rate=fault_rate,
        latency_ms=latency_ms,
    )
    app = build_app(world, config)
    web.run_app(app, host=host, port=port, print=lambda text: print(text, flush=True))  # noqa: T201
