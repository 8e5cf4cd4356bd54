"""The generic sync runner: cursor → slices → pages → raw events → publish → commit.

For one (connector, account, stream) a poll

1. loads the committed :class:`~liftos.integrations.cursors.CursorState`;
2. plans slices: from ``since`` on the first run, later from the lookback window before the cursor;
3. fetches each slice page by page, within the connector's page cap and slice deadline
   (:meth:`~liftos.integrations.connector.Connector.read_slice`), and hands the page's
   :class:`~liftos.events.RawEvent`s to the injected ``publish`` coroutine (the service's Kafka
   publisher returns only after the broker acknowledged them; tests pass a list collector);
4. commits the cursor to the slice's last day **after** every page of the slice was published, so a
   killed process resumes from its last acknowledged slice with no gap (a re-read slice yields the
   same idempotency keys, so at-least-once delivery stays idempotent downstream).

Each poll ends with one canonical log line (``sync_poll``: source, stream, account, records,
pages, slices, requests, retries, duration_ms, cursor). Metric hooks count rows and polls; a
progress callback drives a backfill progress bar. The runner knows no vendor.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

import structlog

from liftos.events import IngestionCoverage, RawEvent, RequestSlice
from liftos.integrations.connector import Connector
from liftos.integrations.cursors import CursorState, CursorStoreLike, DateSlice, plan_slices

__all__ = [
    "Covered",
    "Progress",
    "ProgressUpdate",
    "Publish",
    "SyncMetrics",
    "SyncResult",
    "sync_connector",
    "sync_stream",
]

#: Publishes a batch and returns only once it is durable (broker-acknowledged).
Publish = Callable[[Sequence[RawEvent]], Awaitable[None]]
#: Records that a slice was delivered completely (durably, like ``Publish``), before its cursor commits.
Covered = Callable[[IngestionCoverage], Awaitable[None]]

_log = structlog.get_logger("liftos.integrations.sync")


@dataclass(frozen=True)
class ProgressUpdate:
    """One finished slice, for a progress bar.

    Attributes:
        source: Connector name.
        account: Account id.
        stream: Stream name.
        done: Slices finished in this poll (1-based).
        total: Slices planned for this poll.
        days_done: Days covered by the finished slices.
        days_total: Days covered by all planned slices.
        records: Records published so far in this poll.
        cursor: The committed cursor after this slice.
    """

    source: str
    account: str
    stream: str
    done: int
    total: int
    days_done: int
    days_total: int
    records: int
    cursor: date | None


Progress = Callable[[ProgressUpdate], None]


class SyncMetrics(Protocol):
    """Metric hooks of the runner (HTTP requests and retries are counted by the connector's hooks)."""

    def rows(self, source: str, stream: str, account: str, count: int) -> None:
        """``count`` records were published."""

    def poll(self, result: SyncResult) -> None:
        """A poll finished (success: cursor lag, last successful poll time)."""


@dataclass(frozen=True)
class SyncResult:
    """What one poll of one stream did.

    Attributes:
        source: Connector name.
        account: Account id.
        stream: Stream name.
        records: Records published.
        pages: Pages fetched.
        slices: Slices read.
        requests: HTTP attempts made (retries included).
        retries: Retries by reason.
        duration_ms: Wall time of the poll (milliseconds).
        cursor: Committed cursor after the poll.
        finished_at: When the poll ended (UTC).
    """

    source: str
    account: str
    stream: str
    records: int
    pages: int
    slices: int
    requests: int
    retries: dict[str, int]
    duration_ms: int
    cursor: date | None
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def lag_days(self, today: date) -> int | None:
        """Days between the cursor and ``today`` (None before the first commit)."""
        return None if self.cursor is None else (today - self.cursor).days


@dataclass
class _Tally:
    records: int = 0
    pages: int = 0
    slices: int = 0
    days: int = 0


async def sync_stream(
    connector: Connector,
    account: str,
    stream: str,
    *,
    publish: Publish,
    store: CursorStoreLike,
    since: date,
    until: date | None = None,
    lookback_days: int | None = None,
    progress: Progress | None = None,
    metrics: SyncMetrics | None = None,
    covered: Covered | None = None,
) -> SyncResult:
    """Poll one stream of one account: publish its new and restated records, then commit.

    Args:
        connector: A connector (Meta, Google Ads, Klaviyo).
        account: Account id (from ``await connector.accounts()``).
        stream: One of ``connector.all_streams()``.
        publish: Async callable receiving each page's events; must return only after broker ack.
        store: Durable cursor store.
        since: First day ever wanted (first run starts here).
        until: Last day to read (inclusive); default today (UTC).
        lookback_days: Override of the connector's lookback for this stream.
        progress: Called after every committed slice.
        metrics: Row and poll hooks.
        covered: Receives an :class:`~liftos.events.IngestionCoverage` for every slice of a sliced
            stream once its records are published, before the cursor commits (zero records included).

    Returns:
        The poll's :class:`SyncResult` (also logged as the canonical ``sync_poll`` line).

    Raises:
        ConfigError, TransientError, DataError: as raised by the connector; slices committed before
        the failure stay committed.
    """
    started, before = time.perf_counter(), Counter(connector.stats)
    state = store.load(connector.source, account, stream)
    plan = connector.slice_plan(stream)
    slices = plan_slices(state, plan, since, until or datetime.now(UTC).date(), lookback_days)
    report = covered if plan.sliced else None
    tally = _Tally()
    total_days = sum(s.days for s in slices)
    try:
        for number, piece in enumerate(slices, start=1):
            state = await _sync_slice(
                connector, account, stream, piece, state, publish, store, tally, metrics, report
            )
            if progress is not None:
                progress(
                    ProgressUpdate(
                        connector.source,
                        account,
                        stream,
                        number,
                        len(slices),
                        tally.days,
                        total_days,
                        tally.records,
                        state.cursor,
                    )
                )
    finally:
        result = _result(connector, account, stream, tally, before, started, state)
        _log_poll(result, slices)
    if metrics is not None:
        metrics.poll(result)
    return result


async def _sync_slice(
    connector: Connector,
    account: str,
    stream: str,
    piece: DateSlice,
    state: CursorState,
    publish: Publish,
    store: CursorStoreLike,
    tally: _Tally,
    metrics: SyncMetrics | None,
    covered: Covered | None = None,
) -> CursorState:
    """Fetch, publish (records, then the slice's coverage) and commit one slice; returns the state."""
    request_slice = RequestSlice(start=piece.start, end=piece.end)
    published = 0
    async for page in connector.read_slice(stream, account, request_slice):
        tally.pages += 1
        if not page:
            continue
        events = connector.to_raw_events(page, account, stream, request_slice)
        await publish(events)
        published += len(events)
        if metrics is not None:
            metrics.rows(connector.source, stream, account, len(events))
    if covered is not None:
        await covered(
            IngestionCoverage(
                source=connector.source,
                account_id=account,
                stream=stream,
                start=piece.start,
                end=piece.end,
                records=published,
                fetched_at=datetime.now(UTC),
            )
        )
    committed = state.advanced(piece.end, published)
    store.commit(committed)
    tally.records += published
    tally.slices += 1
    tally.days += piece.days
    return committed


def _result(
    connector: Connector,
    account: str,
    stream: str,
    tally: _Tally,
    before: Counter[str],
    started: float,
    state: CursorState,
) -> SyncResult:
    delta = Counter(connector.stats)
    delta.subtract(before)
    retries = {k.removeprefix("retry:"): v for k, v in delta.items() if k.startswith("retry:") and v}
    return SyncResult(
        source=connector.source,
        account=account,
        stream=stream,
        records=tally.records,
        pages=tally.pages,
        slices=tally.slices,
        requests=delta.get("requests", 0),
        retries=retries,
        duration_ms=int((time.perf_counter() - started) * 1000),
        cursor=state.cursor,
    )


def _log_poll(result: SyncResult, slices: Sequence[DateSlice]) -> None:
    fields: dict[str, Any] = {
        "source": result.source,
        "stream": result.stream,
        "account": result.account,
        "records": result.records,
        "pages": result.pages,
        "slices": f"{result.slices}/{len(slices)}",
        "requests": result.requests,
        "retries": sum(result.retries.values()),
        "retry_reasons": result.retries,
        "duration_ms": result.duration_ms,
        "cursor": None if result.cursor is None else result.cursor.isoformat(),
    }
    if result.slices < len(slices):
        _log.warning("sync_poll", outcome="failed", **fields)
    else:
        _log.info("sync_poll", outcome="ok", **fields)


async def sync_connector(
    connector: Connector,
    *,
    publish: Publish,
    store: CursorStoreLike,
    since: date,
    until: date | None = None,
    streams: Sequence[str] | None = None,
    accounts: Sequence[str] | None = None,
    lookback_days: int | None = None,
    progress: Progress | None = None,
    metrics: SyncMetrics | None = None,
    covered: Covered | None = None,
) -> list[SyncResult]:
    """Poll every (account, stream) of a connector in turn (accounts discovered when not given).

    Streams run one after the other so the per-poll request and retry counts stay exact; run
    different connectors concurrently (``asyncio.gather``) for throughput.
    """
    results = []
    for account in accounts or await connector.accounts():
        for stream in streams or connector.streams:
            results.append(
                await sync_stream(
                    connector,
                    account,
                    stream,
                    publish=publish,
                    store=store,
                    since=since,
                    until=until,
                    lookback_days=lookback_days,
                    progress=progress,
                    metrics=metrics,
                    covered=covered,
                )
            )
    return results
