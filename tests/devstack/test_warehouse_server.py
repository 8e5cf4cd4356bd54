"""The dev-only embedded warehouse, exercised with clickhouse-connect's real sync and async HTTP clients."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import clickhouse_connect
import lz4.frame  # type: ignore[import-untyped]
import numpy as np
import pandas as pd
import pytest
import zstandard
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from liftos_devstack.warehouse_protocol import parse_statement, split_params
from tests.fixtures.warehouse import WarehouseEndpoint, start_warehouse, stop_warehouse

MARKETING_DDL = """
CREATE TABLE {name} (
    ts DateTime64(3, 'UTC'),
    channel LowCardinality(String),
    day Date,
    spend Float64,
    clicks Int64,
    active Bool,
    campaign Nullable(String),
    revenue Decimal(18, 4)
) ENGINE = MergeTree ORDER BY (channel, ts)
"""


def _table() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    base = pd.Timestamp("2024-03-01T00:00:00", tz="UTC")
    return pd.DataFrame(
        {
            "ts": base + pd.to_timedelta(np.arange(n) * 1_001, unit="ms"),
            "channel": pd.Series(rng.choice(["search", "social", "tv"], n)),
            "day": [dt.date(2024, 3, 1) + dt.timedelta(days=int(i % 30)) for i in range(n)],
            "spend": rng.random(n) * 100,
            "clicks": rng.integers(-5, 1_000, n),
            "active": rng.random(n) > 0.5,
            "campaign": [None if i % 3 == 0 else f"c{i % 7}" for i in range(n)],
            "revenue": [Decimal(f"{i}.{i % 10000:04d}") for i in range(n)],
        }
    )


@pytest.fixture
def client(warehouse_server: WarehouseEndpoint) -> Iterator[Client]:
    c = clickhouse_connect.get_client(host=warehouse_server.host, port=warehouse_server.port)
    yield c
    c.close()


def _url(ep: WarehouseEndpoint, query: str = "") -> str:
    return f"http://{ep.host}:{ep.port}/{query}"


# ---------------------------------------------------------------------------------------- sync


def test_sync_client_connects_and_reports_server(client: Client) -> None:
    assert (client.server_version or "").startswith("26.")
    assert client.command("SELECT 1") == 1
    assert client.query("SELECT timezone()").result_rows[0][0]


def test_sync_df_round_trip_keeps_types(client: Client) -> None:
    table = _table()
    client.command(MARKETING_DDL.format(name=table))
    df = _frame(1_000)
    summary = client.insert_df(table, df)
    assert summary.written_rows == 1_000
    rows = client.query(f"SELECT name, type FROM system.columns WHERE table = '{table}'").result_rows
    types = {str(name): str(type_) for name, type_ in rows}
    assert types["ts"] == "DateTime64(3, 'UTC')"
    assert types["channel"] == "LowCardinality(String)"
    assert types["revenue"] == "Decimal(18, 4)"

    back = client.query_df(f"SELECT * FROM {table} ORDER BY ts", tz_mode="schema")
    assert len(back) == 1_000
    assert str(back["ts"].dtype).endswith(", UTC]")  # tz-aware, from the column's own timezone
    pd.testing.assert_series_equal(
        back["ts"].astype("datetime64[ns, UTC]"), df["ts"].astype("datetime64[ns, UTC]"), check_names=False
    )
    assert list(back["channel"]) == list(df["channel"])
    assert list(back["day"].dt.date if hasattr(back["day"], "dt") else back["day"]) == list(df["day"])
    np.testing.assert_allclose(back["spend"].to_numpy(), df["spend"].to_numpy())
    assert list(back["clicks"]) == list(df["clicks"])
    assert list(back["active"]) == list(df["active"])
    assert [None if pd.isna(v) else v for v in back["campaign"]] == [
        None if pd.isna(v) else v for v in df["campaign"]
    ]
    assert [Decimal(str(v)) for v in back["revenue"]] == list(df["revenue"])


def test_sync_insert_rows_and_replacing_merge_tree_final(client: Client) -> None:
    table = _table()
    client.command(
        f"CREATE TABLE {table} (k String, v Int64, ver UInt32) ENGINE = ReplacingMergeTree(ver) ORDER BY k"
    )
    client.insert(table, [["a", 1, 1], ["b", 5, 1]], column_names=["k", "v", "ver"])
    client.insert(table, [["a", 2, 2]], column_names=["k", "v", "ver"])
    assert client.command(f"SELECT count() FROM {table}") == 3
    assert client.query(f"SELECT k, v FROM {table} FINAL ORDER BY k").result_rows == [("a", 2), ("b", 5)]


def test_server_side_parameters(client: Client) -> None:
    tricky = "it's a\ttab \\ and 'quotes'"
    result = client.query(
        "SELECT {s:String} AS s, {n:Int64} + 1 AS n, {d:Date} AS d",
        parameters={"s": tricky, "n": 41, "d": dt.date(2024, 2, 29)},
    )
    assert result.result_rows == [(tricky, 42, dt.date(2024, 2, 29))]
    # client-side binding still works too
    assert client.query("SELECT %(x)s", parameters={"x": "cs"}).result_rows == [("cs",)]


@pytest.mark.parametrize("compress", [False, True, "lz4", "zstd", "gzip"])
def test_compression_settings(warehouse_server: WarehouseEndpoint, compress: bool | str) -> None:
    c = clickhouse_connect.get_client(
        host=warehouse_server.host, port=warehouse_server.port, compress=compress
    )
    table = _table()
    c.command(MARKETING_DDL.format(name=table))
    df = _frame(20_000)
    c.insert_df(table, df)
    back = c.query_df(f"SELECT * FROM {table} ORDER BY ts")
    assert len(back) == 20_000
    assert list(back["clicks"]) == list(df["clicks"])
    c.close()


def test_errors_are_clickhouse_errors(client: Client) -> None:
    with pytest.raises(DatabaseError) as unknown:
        client.query("SELECT * FROM no_such_table_xyz")
    assert unknown.value.code == 60
    assert "UNKNOWN_TABLE" in str(unknown.value)
    with pytest.raises(DatabaseError) as syntax:
        client.command("SELEC 1")
    assert syntax.value.code == 62
    with pytest.raises(DatabaseError) as bad_insert:
        client.insert("no_such_table_xyz", [[1]], column_names=["a"])
    assert bad_insert.value.code == 60
    # the client keeps working after errors
    assert client.command("SELECT 3") == 3


def test_raw_http_error_shape(warehouse_server: WarehouseEndpoint) -> None:
    conn = http.client.HTTPConnection(warehouse_server.host, warehouse_server.port, timeout=10)
    conn.request("POST", "/", body=b"SELECT * FROM nope_nope")
    resp = conn.getresponse()
    body = resp.read().decode()
    assert resp.status == 404
    assert resp.getheader("X-ClickHouse-Exception-Code") == "60"
    assert body.startswith("Code: 60. DB::Exception: ") and "(UNKNOWN_TABLE)" in body
    conn.request("POST", "/", body=b"SELECT (")
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 400 and resp.getheader("X-ClickHouse-Exception-Code") == "62"
    conn.close()


def test_response_headers_and_formats(warehouse_server: WarehouseEndpoint) -> None:
    conn = http.client.HTTPConnection(warehouse_server.host, warehouse_server.port, timeout=10)
    conn.request("GET", "/?query=SELECT%20number%20FROM%20numbers(5)%20FORMAT%20JSONEachRow&query_id=qid-1")
    resp = conn.getresponse()
    lines = resp.read().decode().splitlines()
    assert [json.loads(line)["number"] for line in lines] == [0, 1, 2, 3, 4]
    assert resp.getheader("X-ClickHouse-Query-Id") == "qid-1"
    assert resp.getheader("X-ClickHouse-Format") == "JSONEachRow"
    assert resp.getheader("X-ClickHouse-Timezone")
    assert resp.getheader("X-ClickHouse-Server-Display-Name")
    summary = json.loads(resp.getheader("X-ClickHouse-Summary") or "{}")
    assert summary["read_rows"] == "5"
    conn.request("POST", "/?default_format=TabSeparatedWithNames", body=b"SELECT 1 AS a")
    resp = conn.getresponse()
    assert resp.read() == b"a\n1\n"
    assert resp.getheader("X-ClickHouse-Format") == "TabSeparatedWithNames"
    conn.request("GET", "/ping")
    assert conn.getresponse().read() == b"Ok.\n"
    conn.close()


def test_response_compression_follows_accept_encoding(warehouse_server: WarehouseEndpoint) -> None:
    conn = http.client.HTTPConnection(warehouse_server.host, warehouse_server.port, timeout=10)
    sql = b"SELECT number FROM numbers(1000) FORMAT TSV"
    conn.request("POST", "/?enable_http_compression=1", body=sql, headers={"Accept-Encoding": "zstd"})
    resp = conn.getresponse()
    assert resp.getheader("Content-Encoding") == "zstd"
    data = zstandard.ZstdDecompressor().decompressobj().decompress(resp.read())
    assert data.splitlines()[-1] == b"999"
    conn.request("POST", "/", body=sql, headers={"Accept-Encoding": "zstd"})  # setting off: identity
    resp = conn.getresponse()
    assert resp.getheader("Content-Encoding") is None and resp.read().splitlines()[0] == b"0"
    conn.close()


async def test_chunked_multi_frame_lz4_insert_body(
    warehouse_server: WarehouseEndpoint, client: Client
) -> None:
    table = _table()
    client.command(f"CREATE TABLE {table} (a UInt32, s String) ENGINE = MergeTree ORDER BY a")
    rows = [f"{i}\tv{i}\n".encode() for i in range(30_000)]
    payload = f"INSERT INTO {table} FORMAT TabSeparated\n".encode() + b"".join(rows)

    async def frames() -> Any:
        for start in range(0, len(payload), 7_777):  # many LZ4 frames, cut at arbitrary places
            yield lz4.frame.compress(payload[start : start + 7_777])

    async with (
        aiohttp.ClientSession() as session,
        session.post(_url(warehouse_server), data=frames(), headers={"Content-Encoding": "lz4"}) as resp,
    ):  # an async generator body goes out with Transfer-Encoding: chunked
        assert resp.status == 200, await resp.text()
        assert json.loads(resp.headers["X-ClickHouse-Summary"])["written_rows"] == "30000"
    assert client.command(f"SELECT count(), sum(a) FROM {table}") == [
        "30000",
        str(sum(range(30_000))),
    ]


def test_session_state_and_sessionless_isolation(warehouse_server: WarehouseEndpoint) -> None:
    c = clickhouse_connect.get_client(host=warehouse_server.host, port=warehouse_server.port)
    c.command("SET max_block_size = 4321")
    assert c.command("SELECT getSetting('max_block_size')") == 4321  # same session keeps SET
    other = clickhouse_connect.get_client(
        host=warehouse_server.host, port=warehouse_server.port, autogenerate_session_id=False
    )
    other.command("SET max_block_size = 1234")  # no session: must not leak into pooled connections
    assert other.command("SELECT getSetting('max_block_size')") != 1234
    assert other.command("SELECT getSetting('max_block_size')", settings={"max_block_size": 777}) == 777
    assert other.command("SELECT getSetting('max_block_size')") != 777
    c.close()
    other.close()


def test_settings_and_database_params(warehouse_server: WarehouseEndpoint, client: Client) -> None:
    db = f"db_{uuid.uuid4().hex[:8]}"
    client.command(f"CREATE DATABASE {db}")
    client.command("CREATE TABLE x (a Int32) ENGINE = MergeTree ORDER BY a", settings={"database": db})
    other = clickhouse_connect.get_client(host=warehouse_server.host, port=warehouse_server.port, database=db)
    other.insert("x", [[1], [2]], column_names=["a"])
    assert other.command("SELECT sum(a) FROM x") == 3
    assert client.command(f"SELECT count() FROM {db}.x") == 2
    with pytest.raises(DatabaseError) as exc:
        client.query("SELECT 1", settings={"no_such_setting_abc": 1})
    assert exc.value.code == 115
    other.close()


def test_large_insert_one_million_rows(client: Client) -> None:
    table = _table()
    client.command(
        f"CREATE TABLE {table} (ts DateTime64(3, 'UTC'), channel LowCardinality(String), spend Float64, "
        "clicks Int64) ENGINE = MergeTree ORDER BY ts"
    )
    n = 1_000_000
    df = pd.DataFrame(
        {
            "ts": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="s"),
            "channel": pd.Series(np.array(["a", "b", "c", "d"])[np.arange(n) % 4]),
            "spend": np.arange(n, dtype=np.float64),
            "clicks": np.arange(n, dtype=np.int64),
        }
    )
    client.insert_df(table, df)
    assert client.query(f"SELECT count(), sum(clicks) FROM {table}").result_rows == [(n, n * (n - 1) // 2)]
    assert len(client.query_df(f"SELECT * FROM {table}")) == n


def test_metrics_endpoint(warehouse_server: WarehouseEndpoint, client: Client) -> None:
    client.command("SELECT 1")
    with pytest.raises(DatabaseError):
        client.command("SELECT * FROM metrics_missing_table")
    conn = http.client.HTTPConnection(warehouse_server.host, warehouse_server.port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    assert "liftos_warehouse_queries_total" in text
    assert "liftos_warehouse_inserts_total" in text
    assert 'liftos_warehouse_errors_total{code="60"}' in text
    conn.close()


# --------------------------------------------------------------------------------------- async


async def test_async_client_round_trip(warehouse_server: WarehouseEndpoint) -> None:
    c = await clickhouse_connect.get_async_client(host=warehouse_server.host, port=warehouse_server.port)
    table = _table()
    await c.command(MARKETING_DDL.format(name=table))
    df = _frame(500)
    await c.insert_df(table, df)
    back = await c.query_df(f"SELECT * FROM {table} ORDER BY ts")
    assert list(back["clicks"]) == list(df["clicks"])
    result = await c.query("SELECT {x:String}", parameters={"x": "async"})
    assert result.result_rows == [("async",)]
    rmt = _table()
    await c.command(
        f"CREATE TABLE {rmt} (k String, v Int64, ver UInt32) ENGINE = ReplacingMergeTree(ver) ORDER BY k"
    )
    await c.insert(rmt, [["k", 1, 1], ["k", 2, 2]], column_names=["k", "v", "ver"])
    assert (await c.query(f"SELECT v FROM {rmt} FINAL")).result_rows == [(2,)]
    with pytest.raises(DatabaseError) as exc:
        await c.query("SELECT * FROM async_missing")
    assert exc.value.code == 60
    await c.close()


@pytest.mark.parametrize("compress", [False, "lz4", "zstd"])
async def test_async_compression(warehouse_server: WarehouseEndpoint, compress: bool | str) -> None:
    c = await clickhouse_connect.get_async_client(
        host=warehouse_server.host, port=warehouse_server.port, compress=compress
    )
    table = _table()
    await c.command(MARKETING_DDL.format(name=table))
    await c.insert_df(table, _frame(5_000))
    assert len(await c.query_df(f"SELECT * FROM {table}")) == 5_000
    await c.close()


async def test_async_concurrent_queries_and_inserts(warehouse_server: WarehouseEndpoint) -> None:
    c = await clickhouse_connect.get_async_client(host=warehouse_server.host, port=warehouse_server.port)
    table = _table()
    await c.command(f"CREATE TABLE {table} (w UInt8, i UInt32) ENGINE = MergeTree ORDER BY (w, i)")
    inserts = [c.insert(table, [[w, i] for i in range(2_000)], column_names=["w", "i"]) for w in range(8)]
    queries = [c.query("SELECT sum(number) FROM numbers(2000000)") for _ in range(8)]
    await asyncio.gather(*inserts, *queries)
    assert await c.command(f"SELECT count() FROM {table}") == 16_000
    await c.close()


# ----------------------------------------------------------------------------- processes, restart

_WRITER = textwrap.dedent(
    """
    import sys, clickhouse_connect
    host, port, table, worker = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    c = clickhouse_connect.get_client(host=host, port=port)
    for batch in range(20):
        c.insert(table, [[worker, batch * 500 + i] for i in range(500)], column_names=["w", "i"])
        c.query(f"SELECT count() FROM {table} WHERE w = {worker}")
    print(c.command(f"SELECT count() FROM {table} WHERE w = {worker}"))
    """
)


def test_two_client_processes_concurrently(warehouse_server: WarehouseEndpoint, client: Client) -> None:
    table = _table()
    client.command(f"CREATE TABLE {table} (w UInt8, i UInt32) ENGINE = MergeTree ORDER BY (w, i)")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, warehouse_server.host, str(warehouse_server.port), table, str(w)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for w in (1, 2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert out.strip() == b"10000"
    assert client.command(f"SELECT count() FROM {table}") == 20_000


def test_data_persists_across_restart(tmp_path: Path) -> None:
    store = tmp_path / "store"
    proc, ep = start_warehouse(store)
    try:
        c = clickhouse_connect.get_client(host=ep.host, port=ep.port)
        c.command("CREATE TABLE keep (a UInt64) ENGINE = MergeTree ORDER BY a")
        c.insert("keep", [[i] for i in range(1234)], column_names=["a"])
        c.close()
    finally:
        assert stop_warehouse(proc) == 0  # SIGTERM → clean exit
    proc, ep = start_warehouse(store)
    try:
        c = clickhouse_connect.get_client(host=ep.host, port=ep.port)
        assert c.command("SELECT count(), sum(a) FROM keep") == ["1234", str(sum(range(1234)))]
        c.close()
    finally:
        assert stop_warehouse(proc) == 0


# ------------------------------------------------------------------------------- protocol units


def test_parse_statement_finds_insert_data() -> None:
    buf = b"INSERT INTO t (`format`, b) FORMAT Native\n\x09\x01binary FORMAT x"
    stmt = parse_statement(buf)
    assert stmt.insert_format == "Native"
    assert stmt.insert_sql == "INSERT INTO t (`format`, b)"
    assert stmt.data_offset is not None and buf[stmt.data_offset :] == b"\x09\x01binary FORMAT x"
    values = parse_statement(b"INSERT INTO t VALUES (1, 'FORMAT x')")
    assert values.is_insert and values.insert_format is None
    select = parse_statement(b"SELECT 'FORMAT CSV' -- FORMAT X\n FORMAT JSONEachRow")
    assert select.output_format == "JSONEachRow" and not select.is_insert


def test_split_params() -> None:
    rp = split_params({"database": "d", "param_x": "1", "max_threads": "2", "session_id": "s"})
    assert rp.transport == {"database": "d", "session_id": "s"}
    assert rp.query_params == {"x": "1"}
    assert rp.settings == {"max_threads": "2"}
