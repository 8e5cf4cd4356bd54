"""Klaviyo within its real rate limits: calls and emulated wall time of the seed call and of a backfill.

Usage: .venv/bin/python bench/klaviyo_limits.py [--fault-rate 0.3] [--days 365]

Serves the Klaviyo emulator with its documented tiers on (metric-aggregates 3/s and 60/min, values
reports 1/s, 2/min and 225/day) and a share of faulted requests, on an emulated clock: every wait the
connector takes (Retry-After, backoff) advances the clock instead of sleeping, so a backfill that
would take hours on the real API is measured in seconds. Prints, for the seed call
``get_campaign_data(one quarter, include_flows=True)`` and for a backfill of DAYS days of the
ingestor's streams (campaigns, flows, message_daily, store_outcomes): HTTP requests (retries
included), rows, emulated wall time and real time.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from aiohttp import web

from liftos.integrations import MemoryCursorStore, RetryPolicy, sync_connector
from liftos.integrations.klaviyo import KlaviyoConnector
from liftos_sandbox import WorldSpec
from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig
from liftos_sandbox.emulators.ratelimit import EmulatedClock
from liftos_sandbox.emulators.server import EmulatorConfig, build_app
from liftos_sandbox.world import simulate_world

T = TypeVar("T")
END = date(2025, 12, 31)


async def measured(
    fault_rate: float, days: int, work: Callable[[KlaviyoConnector], Awaitable[T]]
) -> tuple[T, int, float, float]:
    """(result, requests, emulated seconds, real seconds) of ``work`` against a fresh emulator."""
    clock = EmulatedClock()
    world = simulate_world(WorldSpec(seed=7, start=END - timedelta(days=days + 30), end=END))
    config = EmulatorConfig(klaviyo=KlaviyoConfig(rate_limits=True), fault_rate=fault_rate)
    runner = web.AppRunner(build_app(world, config, clock=clock))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    creds: dict[str, Any] = dict(world.credentials()["klaviyo"])
    connector = KlaviyoConnector(
        **creds, base_url=f"http://127.0.0.1:{port}", policy=RetryPolicy(sleep=clock.sleep), timeout_s=10
    )
    began = time.perf_counter()
    try:
        result = await work(connector)
    finally:
        await connector.aclose()
        await runner.cleanup()
    return result, connector.stats["requests"], clock.elapsed, time.perf_counter() - began


async def seed_call(connector: KlaviyoConnector) -> int:
    start = END - timedelta(days=90)
    frame = await asyncio.to_thread(connector.get_campaign_data, date_range=(start, END), include_flows=True)
    return len(frame)


async def backfill(connector: KlaviyoConnector, days: int) -> int:
    records = 0

    async def publish(batch: Any) -> None:
        nonlocal records
        records += len(batch)

    await sync_connector(
        connector, publish=publish, store=MemoryCursorStore(), since=END - timedelta(days=days - 1), until=END
    )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    rows, calls, emulated, real = asyncio.run(measured(args.fault_rate, 120, seed_call))
    print(
        f"seed call get_campaign_data(one quarter, include_flows=True): {calls} requests, {rows} rows, "
        f"emulated {emulated:.0f} s, real {real:.1f} s (fault rate {args.fault_rate:.0%})"
    )
    records, calls, emulated, real = asyncio.run(
        measured(args.fault_rate, args.days, lambda c: backfill(c, args.days))
    )
    print(
        f"backfill of {args.days} days (campaigns, flows, message_daily, store_outcomes): {calls} requests, "
        f"{records} records, emulated {emulated:.0f} s, real {real:.1f} s (fault rate {args.fault_rate:.0%})"
    )


if __name__ == "__main__":
    main()
