"""The work of ``liftos ingest backfill``: one poll of a source over a window, with a progress bar and
the landing tracker beside it (so a broker that loses its messages meanwhile loses nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from datetime import date

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from liftos.integrations import Connector, ProgressUpdate, SyncResult
from liftos.observability import Logger, configure_logging
from liftos.settings import load_settings
from liftos_ingestor.landing_tracker import TopicsReset
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.polling import Poller, make_connector, running_poller
from liftos_ingestor.settings import IngestorSettings

__all__ = ["run_backfill"]


def run_backfill(source: str, since: date, until: date | None) -> int:
    """Backfill ``source`` from ``since`` to ``until`` (default today); returns the records published.

    Raises:
        ConfigError: bad settings, unknown source, missing credentials, or the state directory in use.
        TransientError: no broker answers.
    """
    settings = load_settings(IngestorSettings)
    log = configure_logging(settings.observability, "ingest-backfill")
    total = asyncio.run(_backfill(settings, source, since, until, log))
    log.info("backfill finished", source=source, records=total)
    return total


async def _backfill(
    settings: IngestorSettings, source: str, since: date, until: date | None, log: Logger
) -> int:
    hooks = IngestorHooks(settings.clock)
    connector = make_connector(source, settings, hooks)
    stop = asyncio.Event()
    try:
        async with running_poller(settings, hooks, log, "backfill") as (poller, tracker):
            watching = asyncio.create_task(tracker.run(stop))
            try:
                results = await _poll_with_progress(poller, connector, since, until, log)
            finally:
                stop.set()
                with suppress(Exception):
                    await watching
    finally:
        await connector.aclose()
    return sum(result.records for result in results)


async def _poll_with_progress(
    poller: Poller, connector: Connector, since: date, until: date | None, log: Logger
) -> list[SyncResult]:
    """Poll once with a progress bar; again (from the rewound cursors) after the broker lost the topics."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    while True:
        with Progress(*columns, transient=False) as bar:
            try:
                return await poller.poll(connector, since, until, _progress_of(bar))
            except TopicsReset:
                log.warning("the broker lost the topics during the backfill; going on from what landed")


def _progress_of(bar: Progress) -> Callable[[ProgressUpdate], None]:
    """A progress callback drawing one bar per (account, stream), in days."""
    tasks: dict[tuple[str, str], TaskID] = {}

    def on_progress(update: ProgressUpdate) -> None:
        key = (update.account, update.stream)
        if key not in tasks:
            name = f"{update.source} {update.account} {update.stream} (days)"
            tasks[key] = bar.add_task(name, total=update.days_total)
        bar.update(tasks[key], completed=update.days_done)

    return on_progress
