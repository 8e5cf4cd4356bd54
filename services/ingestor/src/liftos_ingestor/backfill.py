"""``liftos ingest backfill``: load a source's history into the raw topic, with a progress bar."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from liftos.cli_options import check_window, day_option
from liftos.integrations import ProgressUpdate
from liftos.observability import configure_logging
from liftos.settings import load_settings
from liftos.streaming.kafka import ensure_topics, make_producer, wait_for_broker
from liftos.topics import ALL_TOPICS
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.polling import Poller, make_connector
from liftos_ingestor.settings import IngestorSettings

__all__ = ["app"]

app = typer.Typer(help="Load history from a source into the raw topic.", no_args_is_help=True)


@app.command()
def backfill(
    source: Annotated[str, typer.Option(help="meta, google_ads or klaviyo")],
    since: Annotated[date, day_option("First day.")],
    until: Annotated[date | None, day_option("Last day; default today.")] = None,
) -> None:
    """Publish every record of SOURCE between SINCE and UNTIL; cursors advance as slices are acknowledged.

    Broker, credentials and state directory come from the same ``LIFTOS_*`` variables as the ingestor
    service, so a backfill and a running service share cursors (the service continues where it ends).
    """
    check_window(since, until, "--since", "--until")
    settings = load_settings(IngestorSettings)
    log = configure_logging(settings.observability, "ingest-backfill")
    total = asyncio.run(_backfill(settings, source, since, until))
    log.info("backfill finished", source=source, records=total)


async def _backfill(settings: IngestorSettings, source: str, since: date, until: date | None) -> int:
    hooks = IngestorHooks()
    connector = make_connector(source, settings, hooks)
    await wait_for_broker(settings.kafka)
    await ensure_topics(settings.kafka, ALL_TOPICS)
    producer = make_producer(settings.kafka, client_suffix="backfill")
    await producer.start()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, transient=False) as bar:
            tasks: dict[tuple[str, str], TaskID] = {}

            def on_progress(update: ProgressUpdate) -> None:
                key = (update.account, update.stream)
                if key not in tasks:
                    name = f"{update.source} {update.account} {update.stream} (days)"
                    tasks[key] = bar.add_task(name, total=update.days_total)
                bar.update(tasks[key], completed=update.days_done)

            results = await Poller(settings, producer, hooks).poll(connector, since, until, on_progress)
    finally:
        await producer.stop()
        await connector.aclose()
    return sum(result.records for result in results)
