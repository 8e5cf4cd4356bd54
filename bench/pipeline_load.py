"""Load: millions of raw rows through the real broker and warehouse, per-stage throughput and freshness.

Usage: .venv/bin/python bench/pipeline_load.py [--rows 2000000] [--paced-seconds 30] [--paced-rate R]
       [--profile DIR]

Starts the embedded stack's broker, warehouse, normalizer and enricher as separate processes, then:

1. **Baseline**: a plain aiokafka produce (acks=all, the pipeline's own producer settings and batching)
   of the same ``--rows`` messages to a scratch topic, then a plain consume (``getmany`` + commit per
   batch, no processing) of it: the ceiling the broker allows on this machine.
2. **Burst**: publishes ``--rows`` raw marketing rows (the built-in ``canonical`` source, one
   campaign-day per event) as fast as the producer goes, and watches the normalizer's and the enricher's
   counters until every row is written to the warehouse. Prints the rate of each stage (publish,
   normalizer out, enricher written = queryable) over the burst, and checks ``count() FINAL``.
3. **Paced freshness**: publishes at ``--paced-rate`` rows/s (default: ``--paced-fraction`` of the
   burst's end-to-end rate) for ``--paced-seconds``, in 100 ms chunks of live rows (the last 28 days,
   the connectors' lookback window) whose ``fetched_at`` is the moment of publishing; a poller queries
   the warehouse every 100 ms and records, per chunk, when all its rows are queryable. Freshness of a
   chunk = queryable − fetched_at (so it includes publish, both stages, the insert and the poll
   resolution of about 0.1 s). Prints p50/p90/p99/max.

Peak RSS of every process is sampled every 0.25 s throughout. With ``--profile DIR``, py-spy records
the normalizer and the enricher (raw folded stacks, 20 s during the burst) and the top frames are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import psutil
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from liftos.events import version_of
from liftos.observability import metric_total
from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.kafka import client_options, ensure_topics, make_consumer, make_producer, publish_raw
from liftos.topics import ALL_TOPICS, RAW
from liftos.warehouse.connection import connect
from liftos_devstack.stack import EmbeddedStack, StackPorts, service_of

CHANNELS = ("meta", "google_ads", "klaviyo")
CHUNK = 10_000
DAYS = 365
FIRST_DAY = date(2024, 1, 1)
#: Live polling re-reads the connectors' lookback window: the paced phase's rows are its last 28 days.
LIVE_DAYS = 28
LIVE_FIRST_DAY = FIRST_DAY + timedelta(days=DAYS - LIVE_DAYS)
Message = tuple[bytes, bytes]


def raw_message(index: int, account: str, fetched_at: str, first_day: date = FIRST_DAY) -> Message:
    """One canonical raw event (a campaign-day) as (key, value) bytes, written as the RawEvent JSON.

    Days cycle through ``DAYS`` days from ``first_day`` (a backfill), or through the last ``LIVE_DAYS``
    of that year when ``first_day`` is :data:`LIVE_FIRST_DAY` (live polling re-reads the lookback window).
    """
    days = DAYS if first_day == FIRST_DAY else LIVE_DAYS
    day = (first_day + timedelta(days=index % days)).isoformat()
    key = f"{account}-{index:024x}"
    value = {
        "source": "canonical",
        "account_id": account,
        "stream": "marketing_daily",
        "request_slice": {"start": day, "end": day, "params": {}},
        "fetched_at": fetched_at,
        "schema_version": 1,
        "payload": {
            "date": day,
            "channel": CHANNELS[index % 3],
            "platform": "web",
            "campaign_id": f"c{index // days}",
            "currency": "USD",
            "spend": 12.34,
            "impressions": 1000,
            "clicks": 25,
            "conversions": 2,
            "revenue": 50.0,
        },
        "idempotency_key": key,
    }
    # orjson's bytes keep a ~4 KB allocation each; a right-sized copy keeps 2M messages at ~1 GB, not 8
    return key.encode(), bytes(memoryview(orjson.dumps(value)))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RssSampler(threading.Thread):
    """Peak RSS and CPU seconds of each named process, sampled every 0.25 s until stopped."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak = dict.fromkeys(pids, 0)
        self.cpu = dict.fromkeys(pids, 0.0)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.25):
            for name, process in self.processes.items():
                try:
                    self.peak[name] = max(self.peak[name], process.memory_info().rss)
                    times = process.cpu_times()
                    self.cpu[name] = times.user + times.system
                except psutil.Error:
                    continue


async def produce(
    kafka: KafkaSettings, topic: str, chunks: Sequence[Sequence[Message]], in_flight: int = 4
) -> float:
    """Publish every chunk (acks=all), ``in_flight`` chunks at a time; returns seconds."""
    producer = make_producer(kafka, client_suffix="bench")
    await producer.start()
    gate = asyncio.Semaphore(in_flight)

    async def one(chunk: Sequence[Message]) -> None:
        async with gate:
            await publish_raw(producer, topic, chunk)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(chunk) for chunk in chunks))
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def plain_consume(kafka: KafkaSettings, topic: str, count: int) -> float:
    """Consume ``count`` messages as a fresh group (getmany + commit per batch); returns seconds."""
    consumer = make_consumer(kafka, topic, group_id=f"baseline-{time.time_ns()}")
    await consumer.start()
    try:
        seen, started = 0, time.perf_counter()
        while seen < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            seen += sum(len(records) for records in batches.values())
            if batches:
                await consumer.commit()
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def create_topic(kafka: KafkaSettings, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(**client_options(kafka))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


def watch_stages(
    normalizer: list[str], enricher: list[str], rows: int, started: float, timeout_s: float
) -> dict[str, float]:
    """Seconds from ``started`` until the normalizer consumed and the enricher wrote ``rows`` rows
    (each stage's counters summed over its replicas' metrics URLs)."""
    done: dict[str, float] = {}
    deadline = time.perf_counter() + timeout_s
    while len(done) < 2:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"stages did not finish {rows:,} rows in {timeout_s} s: {done}")
        now = time.perf_counter()
        consumed = sum(metric_total(url, "liftos_normalizer_messages_in_total") for url in normalizer)
        if "normalizer" not in done and consumed >= rows:
            done["normalizer"] = now - started
        written = sum(
            metric_total(url, "liftos_enricher_rows_written_total", table="marketing_daily")
            for url in enricher
        )
        if "enricher" not in done and written >= rows:
            done["enricher"] = now - started
        time.sleep(0.1)
    return done


def paced_freshness(
    kafka: KafkaSettings, warehouse: WarehouseSettings, rate: float, seconds: float
) -> tuple[list[float], int]:
    """Publish at ``rate`` rows/s for ``seconds`` in 100 ms chunks; freshness of each chunk in seconds."""
    per_chunk = max(1, round(rate / 10))
    versions: dict[int, int] = {}  # version (ms) -> rows in the chunk
    queryable: dict[int, float] = {}
    finished = threading.Event()
    lock = threading.Lock()

    def poll() -> None:
        client = connect(warehouse)
        give_up = float("inf")
        while time.monotonic() < give_up:
            with lock:
                waiting = [v for v in versions if v not in queryable]
            if finished.is_set():
                if not waiting:
                    break
                give_up = min(give_up, time.monotonic() + 120)
            if waiting:
                rows = client.query(
                    "SELECT version, count() FROM marketing_daily WHERE date >= {first:Date}"
                    " AND account_id = 'paced' AND version >= {v:Int64} GROUP BY version",
                    parameters={"v": min(waiting), "first": LIVE_FIRST_DAY},
                ).result_rows
                now = time.time()
                with lock:
                    for version, count in rows:
                        wanted = versions.get(int(version))
                        if wanted is not None and int(version) not in queryable and int(count) >= wanted:
                            queryable[int(version)] = now
            time.sleep(0.1)
        client.close()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()

    async def publish_paced() -> int:
        producer = make_producer(kafka, client_suffix="paced")
        await producer.start()
        index, pending = 0, set()
        try:
            started = time.perf_counter()
            tick = 0
            while time.perf_counter() - started < seconds:
                moment = datetime.now(UTC)
                fetched = _iso(moment)
                chunk = [raw_message(index + i, "paced", fetched, LIVE_FIRST_DAY) for i in range(per_chunk)]
                with lock:
                    versions[version_of(datetime.fromisoformat(fetched))] = per_chunk
                index += per_chunk
                pending.add(asyncio.ensure_future(publish_raw(producer, RAW.name, chunk)))
                pending = {task for task in pending if not task.done()}
                tick += 1
                await asyncio.sleep(max(0.0, started + tick * 0.1 - time.perf_counter()))
            await asyncio.gather(*pending)
            return index
        finally:
            await producer.stop()

    published = asyncio.run(publish_paced())
    finished.set()
    poller.join(timeout=120)
    fresh = [queryable[v] - v / 1000 for v in versions if v in queryable]
    if len(fresh) < len(versions):
        print(f"warning: {len(versions) - len(fresh)} paced chunks never became queryable")
    return fresh, published


def profile(pids: dict[str, int], directory: Path, seconds: int) -> list[subprocess.Popen[bytes]]:
    directory.mkdir(parents=True, exist_ok=True)
    py_spy = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "py-spy")
    return [
        subprocess.Popen(
            [
                py_spy,
                "record",
                "-f",
                "raw",
                "-r",
                "50",
                "-d",
                str(seconds),
                "-p",
                str(pid),
                "-o",
                str(directory / f"{name}.txt"),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]


def summarise_profile(path: Path, top: int = 12) -> list[str]:
    """Top frames by self samples and by inclusive samples, from a py-spy raw (folded) file."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[-1].split("/")[-1] if " (" in f else f
            for f in stack.split(";")
        ]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    out = [f"  {path.stem}: {total} samples; top self:"]
    out += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    out.append("  top inclusive:")
    out += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return out


def main(
    rows: int,
    paced_seconds: float,
    paced_fraction: float,
    paced_rate: float | None,
    profile_dir: Path | None,
    replicas: dict[str, int],
) -> None:
    fetched = _iso(datetime.now(UTC))
    generated = time.perf_counter()
    messages = [raw_message(i, "burst", fetched) for i in range(rows)]
    chunks = [messages[i : i + CHUNK] for i in range(0, rows, CHUNK)]
    generated = time.perf_counter() - generated
    output = io.StringIO()
    with tempfile.TemporaryDirectory() as directory:
        stack = EmbeddedStack(
            Path(directory),
            StackPorts(kafka=0, warehouse=0, services={"normalizer": 0, "enricher": 0}),
            output=output,
            services=("normalizer", "enricher"),
            replicas=replicas,
        )
        with stack:
            kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{stack.ports.kafka}")
            warehouse = WarehouseSettings(port=stack.ports.warehouse)
            asyncio.run(ensure_topics(kafka, ALL_TOPICS))
            pids = {c.name: c.process.pid for c in stack.processes if c.process is not None}
            rss = RssSampler(pids | {"bench driver": psutil.Process().pid})
            rss.start()

            baseline = f"bench.baseline.{time.time_ns()}"
            asyncio.run(create_topic(kafka, baseline, RAW.partitions))
            baseline_produce_s = asyncio.run(produce(kafka, baseline, chunks))
            baseline_consume_s = asyncio.run(plain_consume(kafka, baseline, rows))

            urls = {
                stage: [
                    f"http://127.0.0.1:{child.port}/metrics"
                    for child in stack.processes
                    if service_of(child.name) == stage
                ]
                for stage in ("normalizer", "enricher")
            }
            spies = (
                profile(
                    {n: pids[n] for n in pids if service_of(n) in ("normalizer", "enricher")},
                    profile_dir,
                    20,
                )
                if profile_dir
                else []
            )
            started = time.perf_counter()
            result: dict[str, float] = {}
            watcher = threading.Thread(
                target=lambda: result.update(
                    watch_stages(urls["normalizer"], urls["enricher"], rows, started, 1800)
                ),
                daemon=True,
            )
            watcher.start()
            publish_s = asyncio.run(produce(kafka, RAW.name, chunks))
            watcher.join()
            del messages, chunks
            client = connect(warehouse)
            final = int(
                client.query(
                    "SELECT count() FROM marketing_daily FINAL WHERE account_id = 'burst'"
                ).result_rows[0][0]
            )
            for spy in spies:
                spy.wait(60)

            end_to_end = rows / result["enricher"]
            rate = paced_rate or end_to_end * paced_fraction
            fresh, paced_rows = paced_freshness(kafka, warehouse, rate, paced_seconds)
            rss.halt.set()
            rss.join()

    def q(values: list[float], p: int) -> float:
        return (
            statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]
        )

    print(f"rows                         {rows:,} (generated in {generated:.1f} s, not timed)")
    print("baseline (plain aiokafka, same broker, same run):")
    print(f"  produce acks=all  {rows / baseline_produce_s:>10,.0f} rows/s  ({baseline_produce_s:.1f} s)")
    print(f"  consume + commit  {rows / baseline_consume_s:>10,.0f} rows/s  ({baseline_consume_s:.1f} s)")
    print("pipeline burst (raw topic → normalizer → enricher → warehouse):")
    print(f"  publish acks=all  {rows / publish_s:>10,.0f} rows/s  ({publish_s:.1f} s)")
    print(
        f"  normalizer consumed  {rows / result['normalizer']:>10,.0f} rows/s"
        f"  (all in {result['normalizer']:.1f} s)"
    )
    print(
        f"  enricher written (e2e)  {end_to_end:>10,.0f} rows/s"
        f"  (all queryable in {result['enricher']:.1f} s)"
    )
    print(f"  count() FINAL              {final:,} (expected {rows:,})")
    print(
        f"paced freshness at {rate:,.0f} rows/s for {paced_seconds:.0f} s"
        f" ({paced_rows:,} rows, {len(fresh)} chunks):"
    )
    if fresh:
        print(
            f"  fetched_at → queryable     p50 {q(fresh, 50):.2f} s  p90 {q(fresh, 90):.2f} s  "
            f"p99 {q(fresh, 99):.2f} s  max {max(fresh):.2f} s"
        )
    print("peak RSS and CPU time per process (whole run: baseline + burst + paced):")
    for name, peak in rss.peak.items():
        print(f"  {name:<18} {peak / 2**20:>8,.0f} MiB  {rss.cpu[name]:>7,.1f} CPU s")
    stage_rows = rows + paced_rows
    for stage in ("normalizer", "enricher"):
        cpu = sum(seconds for name, seconds in rss.cpu.items() if service_of(name) == stage)
        print(
            f"  {stage} CPU per row   {1e6 * cpu / stage_rows:>8,.1f} µs"
            f"  ({replicas.get(stage, 1)} process(es))"
        )
    if profile_dir:
        print(f"py-spy profiles (raw folded stacks in {profile_dir}):")
        for path in sorted(profile_dir.glob("*.txt")):
            print("\n".join(summarise_profile(path)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--paced-seconds", type=float, default=30.0)
    parser.add_argument("--paced-fraction", type=float, default=0.7)
    parser.add_argument(
        "--paced-rate", type=float, default=None, help="rows/s of the paced phase (overrides the fraction)"
    )
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument(
        "--replicas", default="", help="processes per stage, e.g. normalizer=2,enricher=2 (default 1 each)"
    )
    arguments = parser.parse_args()
    main(
        arguments.rows,
        arguments.paced_seconds,
        arguments.paced_fraction,
        arguments.paced_rate,
        arguments.profile,
        {
            name: int(count)
            for name, _, count in (part.partition("=") for part in arguments.replicas.split(",") if part)
        },
    )
