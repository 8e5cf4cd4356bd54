"""Benchmark: time to serve a 1,000-row Meta insights page from the emulator (target < 50 ms).

Run: ``.venv/bin/python bench/sandbox_emulator.py`` (simulates a 3-year, 200-entity world first).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import date

from aiohttp.test_utils import TestClient, TestServer

from liftos_sandbox.emulators.server import build_app
from liftos_sandbox.world import WorldSpec, simulate_world


async def _measure(rounds: int = 30) -> list[float]:
    world = simulate_world(
        WorldSpec(seed=11, start=date(2023, 1, 1), end=date(2025, 12, 31), entities_per_channel=200)
    )
    app = build_app(world)
    token = world.credentials()["meta"]["access_token"]
    account = str(world.accounts[world.accounts["channel"] == "meta"]["account_id"].iloc[0])
    params = {
        "access_token": token,
        "level": "ad",
        "time_increment": "1",
        "limit": "1000",
        "time_range": json.dumps({"since": "2023-01-01", "until": "2025-12-31"}),
        "fields": "account_id,campaign_id,campaign_name,adset_id,ad_id,ad_name,spend,impressions,"
        "clicks,actions,action_values,account_currency",
    }
    timings = []
    async with TestClient(TestServer(app)) as client:
        first = await client.get(f"/v26.0/{account}/insights", params=params)
        body = await first.json()
        after = body["paging"]["cursors"]["after"]
        assert len(body["data"]) == 1000
        for _ in range(rounds):
            start = time.perf_counter()
            response = await client.get(f"/v26.0/{account}/insights", params={**params, "after": after})
            payload = await response.read()
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status == 200 and payload
    return timings


def main() -> None:
    """Print median / p95 latency of a 1,000-row page (ms)."""
    timings = sorted(asyncio.run(_measure()))
    median, p95 = statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]
    print(f"meta insights 1,000-row page: median {median:.1f} ms, p95 {p95:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
