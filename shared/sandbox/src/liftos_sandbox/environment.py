"""Pointing the connectors at a running sandbox: the ``LIFTOS_*`` variables they read."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from liftos.clock import ClockSettings
from liftos_sandbox.world import WorldSpec

__all__ = ["clock_environment", "connector_environment", "sandbox_argv"]


def sandbox_argv(
    port: int,
    spec: WorldSpec,
    *,
    fault_rate: float = 0.0,
    latency_ms: float = 0.0,
    rate_limits: bool = False,
    clock: ClockSettings | None = None,
) -> list[str]:
    """Command line of ``liftos sandbox`` serving the world of ``spec`` on loopback ``port``.

    ``rate_limits=False`` lifts Klaviyo's documented rate tiers (a daily reports backfill would take
    hours under them, as on the real platform). An accelerated ``clock`` serves it live: today moves
    from ``clock.origin_day`` at ``clock.origin_unix`` up to ``spec.end``.
    """
    live: list[str] = []
    if clock is not None and clock.origin_day is not None:
        live = [
            "--live",
            "--days-per-minute", repr(clock.days_per_minute),
            "--today", clock.origin_day.isoformat(),
            "--origin-unix", repr(clock.origin_unix),
        ]  # fmt: skip
    return [
        sys.executable, "-m", "liftos.cli", "sandbox",
        "--port", str(port),
        "--seed", str(spec.seed),
        "--scenario", spec.scenario,
        "--start", spec.start.isoformat(),
        "--end", spec.end.isoformat(),
        "--entities", str(spec.entities_per_channel),
        "--fault-rate", str(fault_rate),
        "--latency-ms", str(latency_ms),
        "--rate-limits" if rate_limits else "--no-rate-limits",
        *(["--drift-start", spec.drift_start.isoformat()] if spec.drift_start else []),
        *live,
    ]  # fmt: skip


def connector_environment(credentials: Mapping[str, Mapping[str, str]], base_url: str) -> dict[str, str]:
    """Environment for the ingestor (or a notebook) to read the sandbox at ``base_url``.

    Args:
        credentials: ``World.credentials()`` (platform → credential name → value).
        base_url: Where ``liftos sandbox --port`` serves, e.g. ``http://127.0.0.1:8765``.

    Returns:
        ``LIFTOS_<PLATFORM>__<NAME>`` variables with the credentials and each platform's base URL
        (Google also gets its OAuth token endpoint).
    """
    environment = {
        f"LIFTOS_{platform.upper()}__{name.upper()}": value
        for platform, values in credentials.items()
        for name, value in values.items()
    }
    for platform in credentials:
        environment[f"LIFTOS_{platform.upper()}__BASE_URL"] = base_url
    environment["LIFTOS_GOOGLE_ADS__TOKEN_URL"] = f"{base_url}/token"
    return environment


def clock_environment(clock: ClockSettings) -> dict[str, str]:
    """``LIFTOS_CLOCK__*`` variables that put a service on ``clock`` (the live sandbox's)."""
    values = {"ORIGIN_UNIX": repr(clock.origin_unix), "DAYS_PER_MINUTE": repr(clock.days_per_minute)}
    if clock.origin_day is not None:
        values["ORIGIN_DAY"] = clock.origin_day.isoformat()
    if clock.last_day is not None:
        values["LAST_DAY"] = clock.last_day.isoformat()
    return {f"LIFTOS_CLOCK__{name}": value for name, value in values.items()}
