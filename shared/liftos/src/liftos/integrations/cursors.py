"""Incremental-sync cursors: versioned state per (source, account, stream), lookback, slicing, storage.

The cursor of a stream is the last day whose data has been published *and acknowledged by the
broker*. A poll re-reads a lookback window before it (platforms restate conversions for weeks; the
re-read rows carry the same idempotency keys, so the rewrite is idempotent downstream) and then
continues to ``until``. Date ranges are cut into slices of at most ``step_days`` so no request
exceeds the platform's limits; ``aligned`` slices start on multiples of ``step_days`` counted from
1970-01-01, so a re-read produces exactly the same slices (aggregate reports never overlap).

:class:`CursorStore` persists states durably in one JSON file (write to a temporary file, fsync,
atomic rename). ``commit`` must be called only after the batch was acknowledged.

A broker's acknowledgement is not the end of the road: a broker that loses its messages (the embedded
Tansu keeps them in memory) loses every acknowledged record no stage has passed on yet. So the store
also keeps the **landed** states, those whose records have reached the warehouse (confirmed by
:mod:`liftos.integrations.landing`), and the **epochs** of the topics the committed states were
published into (:mod:`liftos.streaming.topic_probe`). When the topics' epochs change,
:meth:`CursorStore.rewind` moves every stream back to its landed state and the records after it are
fetched again.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from liftos.errors import ConfigError

__all__ = [
    "CURSOR_STATE_VERSION",
    "CursorState",
    "CursorStore",
    "CursorStoreLike",
    "DateSlice",
    "MemoryCursorStore",
    "SlicePlan",
    "plan_slices",
    "split_range",
]

#: Version of the persisted state format; bump it (and migrate in ``CursorState``) on change.
CURSOR_STATE_VERSION = 1
_EPOCH = date(1970, 1, 1)


class CursorState(BaseModel):
    """The durable sync position of one (source, account, stream).

    Attributes:
        version: Format version of this state (``CURSOR_STATE_VERSION``).
        source: Connector name.
        account: Account id.
        stream: Stream name.
        cursor: Last day (inclusive, account-local) published and acknowledged; None before the
            first commit.
        committed_at: When the cursor was last committed (UTC).
        records: Records published under this state since it was created (for operators).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: Literal[1] = 1
    source: str
    account: str
    stream: str
    cursor: date | None = None
    committed_at: AwareDatetime | None = None
    records: int = Field(default=0, ge=0)

    @property
    def key(self) -> str:
        """``source/account/stream``: the state's key in a store."""
        return f"{self.source}/{self.account}/{self.stream}"

    def advanced(self, day: date, records: int) -> CursorState:
        """A copy moved to ``day`` (never backwards: a lookback re-read keeps the later cursor)."""
        cursor = day if self.cursor is None else max(self.cursor, day)
        return self.model_copy(
            update={"cursor": cursor, "committed_at": datetime.now(UTC), "records": self.records + records}
        )


@dataclass(frozen=True)
class DateSlice:
    """An inclusive day range ``start..end`` requested in one go."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of days covered."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class SlicePlan:
    """How a stream is sliced.

    Attributes:
        step_days: Longest slice (days); the platform's safe request size.
        lookback_days: Days before the cursor re-read on every poll.
        aligned: Slices start on multiples of ``step_days`` since 1970-01-01 (stable across runs).
        sliced: False for listings that are not date-ranged (one "slice" covering the poll).
    """

    step_days: int
    lookback_days: int
    aligned: bool = False
    sliced: bool = True


def plan_slices(
    state: CursorState, plan: SlicePlan, since: date, until: date, lookback_days: int | None = None
) -> list[DateSlice]:
    """The slices a poll reads: from ``since`` on the first run, else from the lookback window.

    Args:
        state: The stream's committed state.
        plan: The stream's slicing.
        since: Earliest day ever wanted (first run starts here; later runs never go before it).
        until: Last day to read (inclusive), usually today in the account's time zone.
        lookback_days: Override of ``plan.lookback_days``.

    Returns:
        Consecutive, non-overlapping slices covering ``start..until`` (empty if start > until).
    """
    if not plan.sliced:
        return [DateSlice(since, until)]
    back = plan.lookback_days if lookback_days is None else lookback_days
    start = since if state.cursor is None else max(since, state.cursor - timedelta(days=max(back - 1, 0)))
    return _cut(start, until, plan.step_days, plan.aligned)


def split_range(start: date, until: date, step_days: int, aligned: bool = False) -> list[DateSlice]:
    """``start..until`` cut into consecutive slices of at most ``step_days`` days."""
    return _cut(start, until, step_days, aligned)


def _cut(start: date, until: date, step: int, aligned: bool) -> list[DateSlice]:
    slices: list[DateSlice] = []
    current = start
    while current <= until:
        end = current + timedelta(days=step - 1)
        if aligned:
            offset = (current - _EPOCH).days % step
            end = current + timedelta(days=step - 1 - offset)
        end = min(end, until)
        slices.append(DateSlice(current, end))
        current = end + timedelta(days=1)
    return slices


class CursorStoreLike(Protocol):
    """What the sync runner needs from a store."""

    def load(self, source: str, account: str, stream: str) -> CursorState:
        """The committed state, or a fresh one."""
        ...

    def commit(self, state: CursorState) -> None:
        """Persist ``state`` durably (call only after the broker acknowledged its records)."""
        ...


class MemoryCursorStore:
    """An in-memory store (tests, notebooks)."""

    def __init__(self) -> None:
        self.states: dict[str, CursorState] = {}

    def load(self, source: str, account: str, stream: str) -> CursorState:
        """The committed state, or a fresh one."""
        fresh = CursorState(source=source, account=account, stream=stream)
        return self.states.get(fresh.key, fresh)

    def commit(self, state: CursorState) -> None:
        """Keep ``state``."""
        self.states[state.key] = state


class CursorStore:
    """States of many streams in one JSON file, rewritten atomically on every commit.

    The file holds ``{"version": 1, "states": {"<source>/<account>/<stream>": {...}}, "landed": {...},
    "epochs": {"<topic>": <epoch>}}``. A crash during a commit leaves the previous file intact
    (temporary file + ``os.replace``). A file written before ``landed`` existed counts as landed.

    ``exclusive=True`` takes an advisory lock on ``<file>.lock`` for the store's lifetime, so two
    processes (the ingestor and a backfill) never write one file's cursors at once.

    Raises:
        ConfigError: ``exclusive`` and another process holds the lock.
    """

    def __init__(self, path: Path | str, *, exclusive: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._holder = _hold_lock(self.path) if exclusive else None
        self._states, self._landed, self._epochs = self._read()

    def _read(self) -> tuple[dict[str, CursorState], dict[str, CursorState], dict[str, int]]:
        if not self.path.exists():
            return {}, {}, {}
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        states = {key: CursorState.model_validate(value) for key, value in raw.get("states", {}).items()}
        landed = (
            {key: CursorState.model_validate(value) for key, value in raw["landed"].items()}
            if "landed" in raw
            else dict(states)
        )
        return states, landed, {str(topic): int(epoch) for topic, epoch in raw.get("epochs", {}).items()}

    def load(self, source: str, account: str, stream: str) -> CursorState:
        """The committed state, or a fresh one."""
        fresh = CursorState(source=source, account=account, stream=stream)
        with self._lock:
            return self._states.get(fresh.key, fresh)

    def commit(self, state: CursorState) -> None:
        """Persist ``state`` (fsync + atomic rename)."""
        with self._lock:
            self._states[state.key] = state
            self._write()

    def snapshot(self) -> dict[str, CursorState]:
        """Every committed state, as of now."""
        with self._lock:
            return dict(self._states)

    def landed(self) -> dict[str, CursorState]:
        """Every landed state (the last snapshot confirmed to have reached the warehouse)."""
        with self._lock:
            return dict(self._landed)

    @property
    def epochs(self) -> dict[str, int]:
        """Epochs of the topics the committed states were published into (empty before the first)."""
        with self._lock:
            return dict(self._epochs)

    def mark_landed(self, states: Mapping[str, CursorState]) -> None:
        """Record ``states`` (a :meth:`snapshot`) as landed."""
        with self._lock:
            self._landed = dict(states)
            self._write()

    def set_epochs(self, epochs: Mapping[str, int]) -> None:
        """Record the epochs of the topics the next commits are published into."""
        with self._lock:
            self._epochs = dict(epochs)
            self._write()

    def rewind(self) -> list[tuple[CursorState, CursorState | None]]:
        """Move every stream back to its landed state (a stream never landed starts afresh).

        Returns:
            ``(before, after)`` of each stream that moved (``after`` None: starts from scratch).
        """
        with self._lock:
            moved = [
                (state, self._landed.get(key))
                for key, state in self._states.items()
                if self._landed.get(key) != state
            ]
            self._states = dict(self._landed)
            self._write()
        return moved

    def close(self) -> None:
        """Release the ``exclusive`` lock (a no-op otherwise); the store stays readable."""
        if self._holder is not None:
            os.close(self._holder)
            self._holder = None

    def _write(self) -> None:
        def dump(states: Mapping[str, CursorState]) -> dict[str, object]:
            return {key: value.model_dump(mode="json") for key, value in sorted(states.items())}

        payload = {
            "version": CURSOR_STATE_VERSION,
            "states": dump(self._states),
            "landed": dump(self._landed),
            "epochs": dict(sorted(self._epochs.items())),
        }
        _atomic_write(self.path, json.dumps(payload, indent=1).encode())


def _hold_lock(path: Path) -> int:
    """An open descriptor holding an exclusive ``flock`` on ``<path>.lock`` (released at exit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise ConfigError(
            f"another ingestor process uses the cursors in {path.parent}",
            fix="stop it (a running ingestor or backfill), or give this one its own LIFTOS_DATA_DIR",
        ) from None
    return descriptor


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
