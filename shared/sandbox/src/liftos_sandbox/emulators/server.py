"""One aiohttp application serving the Meta, Google Ads and Klaviyo emulators on one port.

Their URL spaces do not collide: Meta ``/v{N}.0/…``, Google ``/v{N}/customers…`` and the OAuth token
paths, Klaviyo ``/api/…``. A middleware adds latency and deterministic faults (`faults.py`).

A live world (:class:`liftos_sandbox.live.LiveWorld`) is re-snapshotted before every request: when its
clock entered a new day (or more of today went by) every emulator reloads. ``GET /sandbox/clock`` says
where the clock stands; ``GET /sandbox/truth?start=&end=`` gives the ground truth of a window that has
begun, with what the emulators served for it so far.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from aiohttp import web

from liftos.runtime import check_port_free
from liftos_sandbox.emulators.faults import FaultInjector, FaultKind
from liftos_sandbox.emulators.google_ads_rest import TOKEN_PATHS, GoogleAdsConfig, GoogleAdsEmulator
from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig, KlaviyoEmulator
from liftos_sandbox.emulators.meta_graph import MetaConfig, MetaEmulator
from liftos_sandbox.emulators.source import ServedWorld, WorldLike, serve_world

if TYPE_CHECKING:
    from liftos_sandbox.live import LiveWorld

__all__ = ["EMULATORS_KEY", "EmulatorConfig", "LiveOptions", "build_app", "platform_of", "serve"]

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


class _Reloadable(Protocol):
    def reload(self, world: ServedWorld) -> None: ...


def _follow_clock(live: LiveWorld | None, app: web.Application) -> None:
    """Reload every emulator when the live world's snapshot changed (no-op for a fixed world)."""
    if live is None:
        return
    served, changed = live.snapshot()
    if not changed:
        return
    state = app[EMULATORS_KEY]
    for name in ("meta", "google_ads", "klaviyo"):
        emulator: _Reloadable = state[name]
        emulator.reload(served)
    state["world"] = served


def _middleware(
    config: EmulatorConfig,
    injector: FaultInjector,
    emulators: dict[str, _FaultSource],
    live: LiveWorld | None = None,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        _follow_clock(live, request.app)
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


def _json(payload: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")


def _sandbox_routes(app: web.Application, live: LiveWorld) -> None:
    """``/sandbox/clock`` and ``/sandbox/truth`` of a live world."""

    async def clock(_: web.Request) -> web.Response:
        return _json(live.clock_state())

    async def truth(request: web.Request) -> web.Response:
        try:
            start = date.fromisoformat(request.query["start"]) if "start" in request.query else None
            end = date.fromisoformat(request.query["end"]) if "end" in request.query else None
            return _json(live.truth(start, end))
        except ValueError as error:
            return _json({"error": str(error)}, status=400)

    app.router.add_get("/sandbox/clock", clock)
    app.router.add_get("/sandbox/truth", truth)


def build_app(
    world: WorldLike | ServedWorld,
    config: EmulatorConfig | None = None,
    clock: Callable[[], float] | None = None,
    live: LiveWorld | None = None,
) -> web.Application:
    """The aiohttp application serving all three platforms from ``world`` (or, when ``live`` is given,
    from ``live``'s world as its clock moves; ``world`` is then ignored)."""
    config = config or EmulatorConfig()
    if live is not None:
        served = live.snapshot()[0]
    else:
        served = world if isinstance(world, ServedWorld) else serve_world(world)
    clock_kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
    emulators: dict[str, Any] = {
        "meta": MetaEmulator(served, config.meta, **clock_kw),
        "google_ads": GoogleAdsEmulator(served, config.google_ads, **clock_kw),
        "klaviyo": KlaviyoEmulator(served, config.klaviyo, **clock_kw),
    }
    injector = FaultInjector(served.seed, config.fault_rate)
    middleware = _middleware(config, injector, emulators, live)
    app = web.Application(middlewares=[middleware])  # type: ignore[list-item]
    app[EMULATORS_KEY] = {**emulators, "world": served, "faults": injector}
    for emulator in emulators.values():
        emulator.add_routes(app)
    if live is not None:
        _sandbox_routes(app, live)
    return app


@dataclass(frozen=True)
class LiveOptions:
    """A moving clock for :func:`serve`: today starts at ``today`` (default: 90 days before the last
    day) at wall time ``origin_unix`` (default: now) and advances ``days_per_minute`` days a minute
    until the world's last day."""

    days_per_minute: float
    today: date | None = None
    origin_unix: float | None = None


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
    live: LiveOptions | None = None,
    drift_start: date | None = None,
) -> None:
    """Simulate the world for (seed, scenario, start, end, entities) and serve it until SIGINT/SIGTERM.

    ``rate_limits=False`` lifts Klaviyo's documented rate tiers (its reports tier allows 2 calls a
    minute, as on the real platform). ``revoked`` names platforms (``meta``, ``google_ads``,
    ``klaviyo``) whose credentials are refused as revoked. ``live`` makes today move
    (:class:`LiveOptions`; ``end`` is then the day the clock stops at).
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
    if drift_start is not None:
        spec_kwargs["drift_start"] = drift_start
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
    app = build_app(world, config, live=_live_world(world, live))
    web.run_app(app, host=host, port=port, print=lambda text: print(text, flush=True))  # noqa: T201


def _live_world(world: Any, options: LiveOptions | None) -> LiveWorld | None:
    """The live world of ``options`` over ``world`` (None for a fixed world)."""
    if options is None:
        return None
    from liftos_sandbox.live import LiveWorld, live_clock

    spec = world.spec
    today = options.today or max(spec.end - timedelta(days=90), spec.start + timedelta(days=1))
    clock = live_clock(today, spec.end, options.days_per_minute, options.origin_unix)
    live = LiveWorld(world, clock)
    print(  # noqa: T201
        f"live clock: today {today} at unix {clock.origin_unix:.1f}, {options.days_per_minute:g} days/min,"
        f" stops at the end of {spec.end}",
        flush=True,
    )
    return live
