"""Throughput of the dev-only embedded warehouse through clickhouse-connect's HTTP client.

Starts ``python -m liftos_devstack.warehouse_server`` on a free port with a fresh store, then measures:
insert_df of N marketing rows (~15 columns), small point queries per second (sync, one client), the same
with the async client and 8 concurrent queries, and a GROUP BY over the N rows.

    .venv/bin/python bench/warehouse_throughput.py [--rows 1000000] [--point-queries 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import clickhouse_connect
import numpy as np
import pandas as pd

DDL = """
CREATE TABLE marketing (
    event_time DateTime64(3, 'UTC'),
    day Date,
    source LowCardinality(String),
    account_id LowCardinality(String),
    campaign_id String,
    ad_group_id String,
    channel LowCardinality(String),
    country LowCardinality(String),
    device LowCardinality(String),
    impressions Int64,
    clicks Int64,
    conversions Int64,
    spend Float64,
    revenue Decimal(18, 4),
    is_brand Bool,
    creative Nullable(String),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (source, account_id, campaign_id, ad_group_id, event_time)
"""


def marketing_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    event_time = start + pd.to_timedelta(rng.integers(0, 365 * 86_400_000, n), unit="ms")
    return pd.DataFrame(
        {
            "event_time": event_time,
            "day": event_time.tz_convert(None).normalize().date,
            "source": pd.Series(rng.choice(["google_ads", "meta_ads", "tiktok", "shopify"], n)),
            "account_id": pd.Series(rng.choice([f"acct-{i}" for i in range(20)], n)),
            "campaign_id": pd.Series([f"cmp-{i}" for i in rng.integers(0, 500, n)]),
            "ad_group_id": pd.Series([f"ag-{i}" for i in rng.integers(0, 5_000, n)]),
            "channel": pd.Series(rng.choice(["search", "social", "video", "display"], n)),
            "country": pd.Series(rng.choice(["US", "GB", "DE", "FR", "NL"], n)),
            "device": pd.Series(rng.choice(["mobile", "desktop", "tablet"], n)),
            "impressions": rng.integers(0, 100_000, n),
            "clicks": rng.integers(0, 5_000, n),
            "conversions": rng.integers(0, 200, n),
            "spend": rng.random(n) * 1_000,
            "revenue": (rng.random(n) * 5_000).round(4),
            "is_brand": rng.random(n) < 0.2,
            "creative": pd.Series([None if i % 4 == 0 else f"cr-{i % 97}" for i in range(n)]),
            "version": np.full(n, 1, dtype=np.uint64),
        }
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ping(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"warehouse exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as resp:
                if resp.read() == b"Ok.\n":
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("warehouse did not start")


async def async_point_queries(port: int, total: int, concurrency: int) -> float:
    client = await clickhouse_connect.get_async_client(host="127.0.0.1", port=port)
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await client.query(
                "SELECT sum(clicks) FROM marketing WHERE campaign_id = {c:String} AND day = {d:Date}",
                parameters={"c": f"cmp-{i % 500}", "d": "2024-06-01"},
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - started
    await client.close()
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--point-queries", type=int, default=2_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="liftos-wh-bench-") as tmp:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "liftos_devstack.warehouse_server", "--path", str(Path(tmp) / "store"),
             "--port", str(port), "--log-level", "WARNING"],
            env=os.environ.copy(),
        )  # fmt: skip
        try:
            wait_ping(port, proc)
            client = clickhouse_connect.get_client(host="127.0.0.1", port=port)
            client.command(DDL)
            df = marketing_frame(args.rows)
            print(f"rows={args.rows} columns={len(df.columns)} cpu={os.cpu_count()}")

            started = time.perf_counter()
            client.insert_df("marketing", df)
            elapsed = time.perf_counter() - started
            print(f"insert_df (compress=lz4 default):  {elapsed:6.2f} s  {args.rows / elapsed:12,.0f} rows/s")

            plain = clickhouse_connect.get_client(host="127.0.0.1", port=port, compress=False)
            plain.command("TRUNCATE TABLE marketing")
            started = time.perf_counter()
            plain.insert_df("marketing", df)
            elapsed = time.perf_counter() - started
            print(f"insert_df (compress=False):        {elapsed:6.2f} s  {args.rows / elapsed:12,.0f} rows/s")
            assert plain.command("SELECT count() FROM marketing") == args.rows

            n = args.point_queries
            started = time.perf_counter()
            for i in range(n):
                client.query(
                    "SELECT sum(clicks) FROM marketing WHERE campaign_id = {c:String} AND day = {d:Date}",
                    parameters={"c": f"cmp-{i % 500}", "d": "2024-06-01"},
                )
            elapsed = time.perf_counter() - started
            print(
                f"point queries, sync, sequential:   {n / elapsed:10,.0f} q/s  ({elapsed / n * 1e3:.2f} ms)"
            )

            started = time.perf_counter()
            for _ in range(n):
                client.query("SELECT 1")
            elapsed = time.perf_counter() - started
            print(
                f"SELECT 1, sync, sequential:        {n / elapsed:10,.0f} q/s  ({elapsed / n * 1e3:.2f} ms)"
            )

            rate = asyncio.run(async_point_queries(port, n, 8))
            print(f"point queries, async, 8 in flight: {rate:10,.0f} q/s")

            group_sql = (
                "SELECT source, channel, toStartOfWeek(day) AS week, sum(spend) AS spend, "
                "sum(revenue) AS revenue, sum(clicks) AS clicks FROM marketing "
                "GROUP BY source, channel, week ORDER BY source, channel, week"
            )
            client.query_df(group_sql)  # warm
            times = []
            for _ in range(10):
                started = time.perf_counter()
                result = client.query_df(group_sql)
                times.append(time.perf_counter() - started)
            print(
                f"GROUP BY over {args.rows:,} rows:     median {sorted(times)[5] * 1000:6.1f} ms  "
                f"({len(result)} groups)"
            )
            started = time.perf_counter()
            back = client.query_df("SELECT * FROM marketing")
            elapsed = time.perf_counter() - started
            print(f"query_df of all rows:              {elapsed:6.2f} s  {len(back) / elapsed:12,.0f} rows/s")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


if __name__ == "__main__":
    main()
