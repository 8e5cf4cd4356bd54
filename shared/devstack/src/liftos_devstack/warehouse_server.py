"""DEV-ONLY: serve one embedded chdb store over ClickHouse's HTTP interface.

chdb (the ClickHouse engine as a library) lets only one process open a data path, so this server is
the single owner of the store and every other process (services, tests, notebooks) talks to it with
the very same clickhouse-connect HTTP client code as in production. It is meant for local development
and tests only: no TLS, no quotas, everything buffered in memory per response. Production uses a real
ClickHouse server.

Because a web page open in the developer's browser can send requests to loopback, the server refuses
requests from other web origins (an ``Origin`` other than its own, a cross-site ``Sec-Fetch-Site``,
a ``Host`` that is not one of its names), runs only reads from a GET (writes and DDL need a POST),
refuses anything that reaches outside the store (``file()``, ``url()``, ``s3()``, ``executable()``
and every other table function but the computing ones, ``INTO OUTFILE``, ``FROM INFILE``, dictionary
sources, format-schema files) and, when ``LIFTOS_WAREHOUSE__PASSWORD`` is set, requires that
password (for ``LIFTOS_WAREHOUSE__USERNAME``, default ``default``).

Run it with ``python -m liftos_devstack.warehouse_server --path DIR --port P`` (or ``liftos warehouse``).

Supported: ``GET /ping``; ``GET``/``POST /`` with the query in the ``query`` URL parameter, in the
body, or in a form field (multipart or urlencoded); ``database``, ``default_format``, ``session_id``,
``session_timeout``, ``query_id`` and arbitrary settings as URL parameters; ``param_<name>`` server-side
query parameters; ``INSERT … FORMAT X`` with the data streamed from a (chunked) body into chdb;
``Content-Encoding`` lz4/zstd/gzip/deflate request bodies and ``Accept-Encoding`` zstd/lz4/gzip/deflate
responses (with ``enable_http_compression=1``); ClickHouse-shaped errors and response headers; Prometheus
metrics at ``GET /metrics``. Not supported: ClickHouse native block compression (``compress=1`` /
``decompress=1``), brotli, external data tables, streaming of large results (they are buffered),
progress headers, users other than the one configured.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, TypeVar

import structlog
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from liftos.runtime import check_port_free
from liftos.settings import ServiceSettings
from liftos_devstack.warehouse_engine import Engine, Inserter, Lease, QueryOutcome
from liftos_devstack.warehouse_protocol import (
    ACCESS_DENIED,
    AUTHENTICATION_FAILED,
    BAD_ARGUMENTS,
    NOT_IMPLEMENTED,
    READONLY,
    AccessPolicy,
    BodyDecoder,
    RequestParams,
    Statement,
    WarehouseError,
    body_decoder,
    choose_response_encoding,
    compress_body,
    content_type_for,
    decode_errors,
    is_read_statement,
    outside_access,
    parse_statement,
    split_params,
)

__all__ = ["RUNNER_KWARGS", "access_from_environment", "access_policy", "build_app", "main", "serve"]

log = structlog.get_logger("liftos_devstack.warehouse_server")

_T = TypeVar("_T")

DEFAULT_FORMAT: Final = "TabSeparated"
_HEAD_SCAN_LIMIT: Final = 1 << 20  # look for "INSERT … FORMAT X" in the first MiB of the body
_INSERT_BATCH: Final = 1 << 20  # bytes of raw body handed to the engine per call
_MAX_FORM_BYTES: Final = 256 << 20
_LOGGED_SQL_CHARS: Final = 300
_SESSION_SWEEP_SECONDS: Final = 10.0


class _Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "liftos_warehouse_requests", "HTTP requests by kind and status", ["kind", "status"], registry=r
        )
        self.queries = Counter(
            "liftos_warehouse_queries", "SQL statements executed (not inserts)", registry=r
        )
        self.inserts = Counter("liftos_warehouse_inserts", "INSERT statements with streamed data", registry=r)
        self.inserted_rows = Counter("liftos_warehouse_inserted_rows", "Rows written by inserts", registry=r)
        self.errors = Counter(
            "liftos_warehouse_errors", "Failed requests by ClickHouse error code", ["code"], registry=r
        )
        self.duration = Histogram(
            "liftos_warehouse_request_duration_seconds",
            "Time to answer a query or insert",
            ["kind"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.sessions = Gauge("liftos_warehouse_sessions", "Open ClickHouse sessions", registry=r)
        self.body_bytes = Counter(
            "liftos_warehouse_request_body_bytes", "Request body bytes received", registry=r
        )


_ENGINE: Final = web.AppKey("engine", Engine)
_ACCESS: Final = web.AppKey("access", AccessPolicy)
_EXECUTOR: Final = web.AppKey("executor", ThreadPoolExecutor)
_METRICS: Final = web.AppKey("metrics", _Metrics)


# ------------------------------------------------------------------------------------------ app


# aiohttp would otherwise gunzip/unzstd request bodies itself (and not lz4): the handler decodes
# Content-Encoding so all encodings stream the same way. Pass these to AppRunner/TestServer.
RUNNER_KWARGS: Final[dict[str, Any]] = {"auto_decompress": False, "access_log": None}


def build_app(
    path: Path, *, workers: int | None = None, access: AccessPolicy | None = None
) -> web.Application:
    """The aiohttp application serving the chdb store at ``path`` (opened on startup, closed on cleanup).

    Run it with ``RUNNER_KWARGS`` (``auto_decompress=False``), e.g. ``web.AppRunner(app, **RUNNER_KWARGS)``.
    ``access`` says which host names it answers to and which password it requires (none by default).
    """
    app = web.Application(client_max_size=_MAX_FORM_BYTES, middlewares=[_same_origin_only])
    app[_ENGINE] = Engine(path)
    app[_ACCESS] = access or AccessPolicy()
    app[_EXECUTOR] = ThreadPoolExecutor(
        max_workers=workers or max(4, 2 * (os.cpu_count() or 2)), thread_name_prefix="chdb"
    )
    app[_METRICS] = _Metrics()
    app.cleanup_ctx.append(_engine_lifecycle)
    app.router.add_get("/ping", _ping)
    app.router.add_get("/replicas_status", _ping)
    app.router.add_get("/metrics", _metrics)
    app.router.add_route("GET", "/", _handle_sql)
    app.router.add_route("POST", "/", _handle_sql)
    return app


async def _engine_lifecycle(app: web.Application) -> AsyncIterator[None]:
    engine, executor = app[_ENGINE], app[_EXECUTOR]
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(executor, engine.open)
    log.info(
        "warehouse.started",
        note="DEV-ONLY embedded ClickHouse (chdb) server; use a real ClickHouse server in production",
        path=str(engine.path),
        engine_version=engine.version,
        timezone=engine.timezone,
    )
    sweeper = asyncio.create_task(_sweep_sessions(app))
    try:
        yield
    finally:
        sweeper.cancel()
        await asyncio.gather(sweeper, return_exceptions=True)
        await loop.run_in_executor(executor, engine.close)
        executor.shutdown(wait=True)
        log.info("warehouse.stopped", path=str(engine.path))


async def _sweep_sessions(app: web.Application) -> None:
    engine, executor, metrics = app[_ENGINE], app[_EXECUTOR], app[_METRICS]
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(_SESSION_SWEEP_SECONDS)
        expired = await loop.run_in_executor(executor, engine.expire_sessions)
        metrics.sessions.set(engine.stats()["sessions"])
        if expired:
            log.debug("warehouse.sessions_expired", count=expired)


@web.middleware
async def _same_origin_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """Refuse every request a web page of another origin (or a DNS-rebinding host name) sent."""
    problem = request.app[_ACCESS].refusal(request.headers)
    if problem is not None:
        request.app[_METRICS].errors.labels(code=str(ACCESS_DENIED)).inc()
        log.warning("warehouse.refused", reason=problem, method=request.method, path=request.path)
        error = WarehouseError(ACCESS_DENIED, f"{problem}: the dev warehouse serves local clients only")
        return _error_response(request.app[_ENGINE], str(uuid.uuid4()), error)
    response: web.StreamResponse = await handler(request)
    return response


async def _ping(_request: web.Request) -> web.Response:
    return web.Response(text="Ok.\n")


async def _metrics(request: web.Request) -> web.Response:
    metrics = request.app[_METRICS]
    metrics.sessions.set(request.app[_ENGINE].stats()["sessions"])
    return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


# ----------------------------------------------------------------------------------- SQL handler


class _Body:
    """Decoded request body, read incrementally (aiohttp undoes chunked transfer encoding)."""

    def __init__(self, request: web.Request, decoder: BodyDecoder, metrics: _Metrics, consumed: bool) -> None:
        self._content = request.content
        self._decoder = decoder
        self._metrics = metrics
        self.eof = consumed

    async def read_raw(self) -> bytes:
        """Next raw (still encoded) chunk; empty at the end."""
        if self.eof:
            return b""
        chunk = await self._content.readany()
        if not chunk:
            self.eof = True
        self._metrics.body_bytes.inc(len(chunk))
        return chunk

    def decode(self, raw: bytes) -> bytes:
        try:
            return self._decoder.feed(raw) if raw else self._decoder.finish()
        except WarehouseError:
            raise
        except decode_errors() as exc:
            raise WarehouseError(BAD_ARGUMENTS, f"Cannot decompress request body: {exc}") from exc

    async def drain(self) -> None:
        while not self.eof:
            await self.read_raw()


async def _handle_sql(request: web.Request) -> web.StreamResponse:
    app = request.app
    engine, metrics = app[_ENGINE], app[_METRICS]
    started = time.perf_counter()
    query_id = request.query.get("query_id") or str(uuid.uuid4())
    kind = "query"
    stmt: Statement | None = None
    body: _Body | None = None
    try:
        params = dict(request.query)
        if not app[_ACCESS].authenticated(request.headers, params):
            raise WarehouseError(
                AUTHENTICATION_FAILED,
                "Authentication failed: password is incorrect, or there is no user with such name",
            )
        consumed = False
        if request.method == "POST" and request.content_type in (
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        ):
            form = await request.post()
            consumed = True
            for key, value in form.items():
                if not isinstance(value, str):
                    raise WarehouseError(
                        NOT_IMPLEMENTED, "External data tables are not supported by the dev warehouse"
                    )
                params[key] = value
        rp = split_params(params)
        if rp.flag("compress") or rp.flag("decompress"):
            raise WarehouseError(
                NOT_IMPLEMENTED,
                "ClickHouse native block compression (compress=1/decompress=1) is not supported by the dev "
                "warehouse; use HTTP Content-Encoding/Accept-Encoding",
            )
        body = _Body(request, body_decoder(request.headers.get("Content-Encoding")), metrics, consumed)
        if request.method == "GET" and not rp.transport.get("query"):
            return web.Response(text="Ok.\n")
        stmt, head = await _read_statement(rp.transport.get("query", ""), body)
        _check_statement(request, stmt, rp)
        if stmt.insert_format is not None and stmt.data_offset is not None:
            kind = "insert"
            outcome = await _run_insert(request, rp, stmt, head[stmt.data_offset :], body)
            metrics.inserts.inc()
            metrics.inserted_rows.inc(outcome.written_rows)
            response = _ok_response(engine, query_id, outcome, "", b"", None)
        else:
            response = await _run_query(request, rp, stmt, query_id)
            metrics.queries.inc()
    except WarehouseError as exc:
        if body is not None:
            await body.drain()  # let the client finish sending so it reads the error, not a reset
        response = _error_response(engine, query_id, exc)
        metrics.errors.labels(code=str(exc.code)).inc()
        log.warning(
            "warehouse.error",
            kind=kind,
            query_id=query_id,
            code=exc.code,
            status=exc.http_status,
            error=exc.message[:500],
            sql=_loggable_sql(stmt),
        )
    elapsed = time.perf_counter() - started
    metrics.requests.labels(kind=kind, status=str(response.status)).inc()
    metrics.duration.labels(kind=kind).observe(elapsed)
    if response.status < 400:
        log.debug(
            "warehouse.request",
            kind=kind,
            method=request.method,
            query_id=query_id,
            session=request.query.get("session_id"),
            status=response.status,
            ms=round(elapsed * 1000, 2),
            sql=_loggable_sql(stmt),
        )
    return response


def _check_statement(request: web.Request, stmt: Statement, rp: RequestParams) -> None:
    """Refuse a write sent by GET, and anything that would read or write outside the store."""
    sql = stmt.insert_sql if stmt.insert_sql is not None else stmt.sql
    if request.method == "GET" and not is_read_statement(sql):
        raise WarehouseError(
            READONLY,
            "Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly."
            " You should use method POST for modifying queries",
        )
    outside = outside_access(sql, request.app[_ENGINE].table_functions, rp.settings)
    if outside is not None:
        raise WarehouseError(
            ACCESS_DENIED, f"{outside} reaches outside the store and is disabled in the dev warehouse"
        )


async def _read_statement(url_query: str, body: _Body) -> tuple[Statement, bytes]:
    """Read enough of the body to know the statement; returns it and the decoded bytes read so far."""
    head = bytearray(url_query.encode() + b"\n") if url_query else bytearray()
    scanning = True
    while True:
        if scanning:
            stmt = parse_statement(bytes(head))
            if stmt.insert_format is not None and stmt.data_offset is not None:
                name_end = len(stmt.sql.encode())
                if stmt.data_offset > name_end or body.eof:
                    return stmt, bytes(head)
            scanning = len(head) < _HEAD_SCAN_LIMIT
        if body.eof:
            break
        raw = await body.read_raw()
        head += body.decode(raw)
    final = parse_statement(bytes(head))
    if not final.sql.strip():
        raise WarehouseError(62, "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)")
    return final, bytes(head)


async def _in_executor(request: web.Request, fn: Callable[..., _T], *args: Any) -> _T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app[_EXECUTOR], fn, *args)


def _session_timeout(rp: RequestParams) -> float:
    try:
        return float(rp.transport.get("session_timeout", "60"))
    except ValueError as exc:
        raise WarehouseError(BAD_ARGUMENTS, "Invalid session timeout") from exc


async def _run_query(request: web.Request, rp: RequestParams, stmt: Statement, query_id: str) -> web.Response:
    engine = request.app[_ENGINE]
    default_format = rp.transport.get("default_format") or DEFAULT_FORMAT
    fmt = stmt.output_format or default_format
    accept = request.headers.get("Accept-Encoding") if rp.flag("enable_http_compression") else None
    encoding = choose_response_encoding(accept)

    def work() -> tuple[QueryOutcome, bytes]:
        lease = engine.acquire(
            session_id=rp.transport.get("session_id"),
            session_timeout=_session_timeout(rp),
            database=rp.transport.get("database"),
            settings=rp.settings,
        )
        try:
            outcome = engine.query(lease, stmt.sql, default_format, rp.query_params)
        finally:
            engine.release(lease)
        payload = outcome.data
        if encoding and payload:
            payload = compress_body(payload, encoding, _zlib_level(rp))
        return outcome, payload

    outcome, payload = await _in_executor(request, work)
    return _ok_response(engine, query_id, outcome, fmt, payload, encoding if payload else None)


def _zlib_level(rp: RequestParams) -> int:
    try:
        return max(1, min(9, int(rp.transport.get("http_zlib_compression_level", "3"))))
    except ValueError:
        return 3


async def _run_insert(
    request: web.Request, rp: RequestParams, stmt: Statement, first: bytes, body: _Body
) -> QueryOutcome:
    engine = request.app[_ENGINE]
    assert stmt.insert_sql is not None and stmt.insert_format is not None
    insert_sql, insert_format = stmt.insert_sql, stmt.insert_format

    def begin() -> tuple[Lease, Inserter]:
        lease = engine.acquire(
            session_id=rp.transport.get("session_id"),
            session_timeout=_session_timeout(rp),
            database=rp.transport.get("database"),
            settings=rp.settings,
        )
        try:
            return lease, engine.begin_insert(lease, insert_sql, insert_format)
        except BaseException:
            engine.release(lease)
            raise

    lease, inserter = await _in_executor(request, begin)
    try:
        if first:
            await _in_executor(request, inserter.append, first)
        pending: list[bytes] = []
        size = 0
        while True:
            raw = await body.read_raw()
            if raw:
                pending.append(raw)
                size += len(raw)
            if size >= _INSERT_BATCH or (not raw and (pending or body.eof)):
                chunk = b"".join(pending)
                pending, size = [], 0

                def push(chunk: bytes = chunk, last: bool = not raw) -> None:
                    data = body.decode(chunk) if chunk else b""
                    if last:
                        data += body.decode(b"")
                    inserter.append(data)

                await _in_executor(request, push)
            if not raw:
                break
        return await _in_executor(request, inserter.finish)
    except BaseException:
        lease.discard = True
        await _in_executor(request, inserter.cancel)
        raise
    finally:
        await _in_executor(request, engine.release, lease)


def _base_headers(engine: Engine, query_id: str) -> dict[str, str]:
    return {
        "X-ClickHouse-Query-Id": query_id,
        "X-ClickHouse-Server-Display-Name": socket.gethostname(),
        "X-ClickHouse-Timezone": engine.timezone,
    }


def _ok_response(
    engine: Engine, query_id: str, outcome: QueryOutcome, fmt: str, payload: bytes, encoding: str | None
) -> web.Response:
    headers = _base_headers(engine, query_id)
    headers["X-ClickHouse-Summary"] = (
        f'{{"read_rows":"{outcome.read_rows}","read_bytes":"{outcome.read_bytes}",'
        f'"written_rows":"{outcome.written_rows}","written_bytes":"{outcome.written_bytes}",'
        f'"total_rows_to_read":"{outcome.read_rows}","result_rows":"0","result_bytes":"{len(outcome.data)}",'
        f'"elapsed_ns":"{int(outcome.elapsed * 1e9)}"}}'
    )
    headers["Content-Type"] = content_type_for(fmt) if fmt else "text/plain; charset=UTF-8"
    if fmt:
        headers["X-ClickHouse-Format"] = fmt
    if encoding:
        headers["Content-Encoding"] = encoding
    return web.Response(body=payload, headers=headers)


def _error_response(engine: Engine, query_id: str, exc: WarehouseError) -> web.Response:
    headers = _base_headers(engine, query_id)
    headers["X-ClickHouse-Exception-Code"] = str(exc.code)
    headers["Content-Type"] = "text/plain; charset=UTF-8"
    return web.Response(status=exc.http_status, text=exc.body(engine.version or "unknown"), headers=headers)


def _loggable_sql(stmt: Statement | None) -> str | None:
    """The statement text for logs: never INSERT data, and truncated."""
    if stmt is None:
        return None
    text = stmt.sql
    if stmt.is_insert and stmt.insert_format is None:  # INSERT … VALUES carries data inline
        idx = text.upper().find("VALUES")
        text = text[: idx + 6] + " …" if idx >= 0 else text
    text = " ".join(text.split())
    return text if len(text) <= _LOGGED_SQL_CHARS else text[:_LOGGED_SQL_CHARS] + "…"


# ------------------------------------------------------------------------------------- serving


def configure_logging(level: str = "INFO") -> None:
    """structlog JSON lines on stderr (used by ``main``; an embedding CLI may configure its own)."""
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            numeric if isinstance(numeric, int) else logging.INFO
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


async def _serve_async(path: Path, host: str, port: int, access: AccessPolicy) -> None:
    app = build_app(path, access=access)
    runner = web.AppRunner(app, handle_signals=False, **RUNNER_KWARGS)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        log.info(
            "warehouse.listening",
            url=f"http://{host}:{port}",
            note="DEV-ONLY embedded warehouse; not for production",
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("warehouse.stopping")
    finally:
        await runner.cleanup()


def access_policy(
    host: str, username: str = "default", password: str = "", extra_hosts: tuple[str, ...] = ()
) -> AccessPolicy:
    """The access rules of a server bound to ``host``: its loopback names, ``host`` and ``extra_hosts``."""
    names = {"127.0.0.1", "localhost", "::1", host.strip("[]").lower(), *(h.lower() for h in extra_hosts)}
    return AccessPolicy(hosts=frozenset(names), username=username, password=password)


def serve(path: Path, host: str = "127.0.0.1", port: int = 8123, access: AccessPolicy | None = None) -> None:
    """Serve the chdb store at ``path`` on ``host:port`` until SIGTERM/SIGINT (DEV-ONLY).

    ``access`` defaults to :func:`access_policy` for ``host`` without a password.

    Raises:
        PortInUseError: another process listens on ``host:port``.
    """
    check_port_free(host, port, "the warehouse", fix="stop what listens there or choose another --port")
    asyncio.run(_serve_async(path, host, port, access or access_policy(host)))


def access_from_environment(host: str, extra_hosts: tuple[str, ...] = ()) -> AccessPolicy:
    """:func:`access_policy` with the user and password of ``LIFTOS_WAREHOUSE__USERNAME/PASSWORD``
    (the variables the services connect with), for the command-line entry points."""
    warehouse = ServiceSettings().warehouse
    password = warehouse.password.get_secret_value()
    return access_policy(host, warehouse.username, password, extra_hosts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m liftos_devstack.warehouse_server",
        description="DEV-ONLY: serve one chdb store over ClickHouse's HTTP interface.",
    )
    parser.add_argument("--path", type=Path, required=True, help="chdb data directory (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        help="a further host name clients reach this server by (the loopback names always work)",
    )
    parser.add_argument("--log-level", default=os.environ.get("LIFTOS_LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    serve(args.path, args.host, args.port, access_from_environment(args.host, tuple(args.allowed_host)))


if __name__ == "__main__":
    main()
