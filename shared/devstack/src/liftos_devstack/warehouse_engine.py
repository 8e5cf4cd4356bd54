"""chdb connection management for the dev-only embedded warehouse server.

All methods block and are meant to run on a worker thread. chdb allows one data path per process and
many connections to it; connections are cheap (well under a millisecond) and run queries in parallel,
so there is no global lock: a ClickHouse session (``session_id``) gets a dedicated connection that
keeps its ``SET``/``USE``/temporary-table state, and session-less requests borrow a connection from
a pool keyed by (database, URL settings), so URL settings never leak between requests.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# `chdb` (the wrapper wheel) and `chdb-core` (the engine) both ship `chdb/__init__.py`; which one
# lands depends on install order, and only the engine's re-export is typed. `chdb.state` is the
# engine's own module in both layouts.
from chdb.state import connect as chdb_connect

from liftos.errors import LiftOSError
from liftos_devstack.warehouse_protocol import (
    SESSION_IS_LOCKED,
    WarehouseError,
    is_session_state_statement,
    set_statement,
)

_PoolKey = tuple[str | None, tuple[tuple[str, str], ...]]


@dataclass
class QueryOutcome:
    data: bytes
    read_rows: int
    read_bytes: int
    written_rows: int
    written_bytes: int
    elapsed: float


@dataclass
class _Session:
    conn: Any
    timeout: float
    last_used: float
    busy: bool = False
    database: str | None = None
    overlay: tuple[tuple[str, str], ...] = ()


class Lease:
    """A connection checked out for one request."""

    def __init__(self, conn: Any, pool_key: _PoolKey | None, session: _Session | None) -> None:
        self.conn = conn
        self.pool_key = pool_key
        self.session = session
        self.discard = False


class Inserter:
    """A streaming ``INSERT`` on a leased connection; the caller batches chunks to limit engine calls."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def append(self, data: bytes) -> None:
        if not data:
            return
        try:
            self._handle.append(data)
        except Exception as exc:
            raise WarehouseError.from_engine(exc) from exc

    def finish(self) -> QueryOutcome:
        try:
            result = self._handle.finish()
        except Exception as exc:
            raise WarehouseError.from_engine(exc) from exc
        return QueryOutcome(
            b"", 0, 0, int(result.rows_written), int(result.bytes_written), float(result.elapsed)
        )

    def cancel(self) -> None:
        with contextlib.suppress(Exception):  # best effort; the lease is discarded afterwards anyway
            self._handle.cancel()


class Engine:
    """One chdb store, shared by every request of the server process."""

    def __init__(
        self, path: Path, *, max_sessions: int = 256, idle_per_key: int = 8, max_pool_keys: int = 32
    ) -> None:
        self.path = path
        self._max_sessions = max_sessions
        self._idle_per_key = idle_per_key
        self._max_pool_keys = max_pool_keys
        self._lock = threading.Lock()
        self._anchor: Any = None
        self._idle: OrderedDict[_PoolKey, list[Any]] = OrderedDict()
        self._sessions: dict[str, _Session] = {}
        self.version = ""
        self.timezone = "UTC"
        self.table_functions: frozenset[str] = frozenset()

    # ------------------------------------------------------------------------------- lifecycle

    def open(self) -> None:
        """Open the store (create it when missing).

        Raises:
            LiftOSError: another process has the store open (chdb allows one per store).
        """
        self.path.mkdir(parents=True, exist_ok=True)
        _check_not_open_elsewhere(self.path)
        # The anchor connection keeps the embedded engine initialised for the process lifetime.
        self._anchor = chdb_connect(str(self.path))
        row = self._anchor.query("SELECT version(), timezone()", "TabSeparated").bytes().decode()
        self.version, self.timezone = row.rstrip("\n").split("\t")
        names = self._anchor.query("SELECT name FROM system.table_functions", "TabSeparated").bytes()
        self.table_functions = frozenset(names.decode().split())

    def close(self) -> None:
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            conns += [s.conn for s in self._sessions.values()]
            self._idle.clear()
            self._sessions.clear()
        for conn in conns:
            _close(conn)
        if self._anchor is not None:
            _close(self._anchor)
            self._anchor = None

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"sessions": len(self._sessions), "idle_connections": sum(map(len, self._idle.values()))}

    # --------------------------------------------------------------------------------- leasing

    def acquire(
        self,
        *,
        session_id: str | None,
        session_timeout: float,
        database: str | None,
        settings: Mapping[str, str],
    ) -> Lease:
        overlay = tuple(sorted(settings.items()))
        if session_id:
            return self._acquire_session(session_id, session_timeout, database, overlay)
        key: _PoolKey = (database, overlay)
        with self._lock:
            idle = self._idle.get(key)
            conn = idle.pop() if idle else None
            if idle is not None:
                self._idle.move_to_end(key)
        if conn is None:
            conn = self._new_connection()
            try:
                if database:
                    _run(conn, f"USE `{_escape_ident(database)}`")
                for name, value in overlay:
                    _run(conn, set_statement(name, value))
            except BaseException:
                _close(conn)
                raise
        return Lease(conn, key, None)

    def _acquire_session(
        self, session_id: str, timeout: float, database: str | None, overlay: tuple[tuple[str, str], ...]
    ) -> Lease:
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.busy:
                raise WarehouseError(
                    SESSION_IS_LOCKED, f"Session {session_id} is locked by a concurrent client"
                )
            if session is None:
                if len(self._sessions) >= self._max_sessions:
                    raise WarehouseError(
                        SESSION_IS_LOCKED,
                        f"Too many open sessions ({self._max_sessions}) on the dev warehouse",
                    )
                session = _Session(conn=None, timeout=timeout, last_used=now)
                self._sessions[session_id] = session
            session.busy = True
            session.timeout = timeout
        try:
            if session.conn is None:
                session.conn = self._new_connection()
            if database and database != session.database:
                _run(session.conn, f"USE `{_escape_ident(database)}`")
                session.database = database
            if overlay != session.overlay:
                old = dict(session.overlay)
                new = dict(overlay)
                for name in old.keys() - new.keys():
                    _run(session.conn, f"SET {name} = DEFAULT")
                for name, value in overlay:
                    if old.get(name) != value:
                        _run(session.conn, set_statement(name, value))
                session.overlay = overlay
        except BaseException:
            session.overlay = ()  # unknown state: reapply everything next time
            self._release_session(session)
            raise
        return Lease(session.conn, None, session)

    def release(self, lease: Lease, *, state_changed: bool = False) -> None:
        if lease.session is not None:
            if lease.discard:
                with self._lock:
                    for sid, session in list(self._sessions.items()):
                        if session is lease.session:
                            del self._sessions[sid]
                _close(lease.conn)
                return
            self._release_session(lease.session)
            return
        if lease.discard or state_changed or lease.pool_key is None:
            _close(lease.conn)
            return
        evicted: list[Any] = []
        with self._lock:
            idle = self._idle.setdefault(lease.pool_key, [])
            self._idle.move_to_end(lease.pool_key)
            if len(idle) < self._idle_per_key:
                idle.append(lease.conn)
            else:
                evicted.append(lease.conn)
            while len(self._idle) > self._max_pool_keys:
                _, conns = self._idle.popitem(last=False)
                evicted.extend(conns)
        for conn in evicted:
            _close(conn)

    def _release_session(self, session: _Session) -> None:
        with self._lock:
            session.busy = False
            session.last_used = time.monotonic()

    def expire_sessions(self) -> int:
        """Close sessions idle for longer than their ``session_timeout``; returns how many."""
        now = time.monotonic()
        expired: list[Any] = []
        with self._lock:
            for sid, session in list(self._sessions.items()):
                if not session.busy and now - session.last_used > session.timeout:
                    del self._sessions[sid]
                    if session.conn is not None:
                        expired.append(session.conn)
        for conn in expired:
            _close(conn)
        return len(expired)

    # ------------------------------------------------------------------------------- execution

    def query(self, lease: Lease, sql: str, fmt: str, params: Mapping[str, str]) -> QueryOutcome:
        try:
            result = lease.conn.query(sql, fmt, params=dict(params))
        except Exception as exc:
            raise WarehouseError.from_engine(exc) from exc
        if lease.session is None and is_session_state_statement(sql):
            lease.discard = True  # no session: the state change must not outlive the request
        return QueryOutcome(
            data=result.bytes(),
            read_rows=int(result.rows_read()),
            read_bytes=int(result.bytes_read()),
            written_rows=int(result.rows_written()),
            written_bytes=int(result.bytes_written()),
            elapsed=float(result.elapsed()),
        )

    def begin_insert(self, lease: Lease, sql: str, fmt: str) -> Inserter:
        try:
            handle = lease.conn.send_insert(sql, fmt)
        except Exception as exc:
            raise WarehouseError.from_engine(exc) from exc
        return Inserter(handle)

    # --------------------------------------------------------------------------------- helpers

    def _new_connection(self) -> Any:
        try:
            return chdb_connect(str(self.path))
        except Exception as exc:
            raise WarehouseError.from_engine(exc) from exc


def _run(conn: Any, sql: str) -> None:
    try:
        conn.query(sql, "TabSeparated")
    except Exception as exc:
        raise WarehouseError.from_engine(exc) from exc


def _close(conn: Any) -> None:
    with contextlib.suppress(Exception):  # closing is best effort during shutdown/eviction
        conn.close()


def _escape_ident(name: str) -> str:
    return name.replace("\\", "\\\\").replace("`", "\\`")


def _check_not_open_elsewhere(path: Path) -> None:
    """Raise when another process holds the store's ``status`` file lock (ClickHouse takes it with
    ``flock`` for as long as a server has the directory open), before chdb fails with a bare error."""
    status = path / "status"
    if not status.exists():
        return
    with status.open("rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LiftOSError(
                f"the warehouse store {path} is open in another process",
                fix="stop that warehouse (liftos warehouse or liftos up) or give another --path / --data-dir",
            ) from None
        fcntl.flock(handle, fcntl.LOCK_UN)
