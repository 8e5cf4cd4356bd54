"""``liftos ingest backfill`` (a source's history, with a progress bar) and ``liftos ingest file`` (a
spend or outcome file) into the raw topic."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from liftos.errors import ConfigError
from liftos.events import RawEvent
from liftos.integrations import ProgressUpdate
from liftos.observability import configure_logging
from liftos.project import FileSourceSection, load_project
from liftos.streaming.kafka import ensure_topics, make_producer, publish, wait_for_broker
from liftos.topics import ALL_TOPICS, COVERAGE, RAW
from liftos.transformations.file_source import FileSpec, file_coverage, file_events
from liftos_ingestor.metrics import IngestorHooks
from liftos_ingestor.polling import Poller, make_connector
from liftos_ingestor.settings import IngestorSettings

__all__ = ["app"]

app = typer.Typer(help="Load history from a source into the raw topic.", no_args_is_help=True)


@app.command()
def backfill(
    source: Annotated[str, typer.Option(help="meta, google_ads or klaviyo")],
    since: Annotated[str, typer.Option(help="First day (YYYY-MM-DD)")],
    until: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD); default today")] = None,
) -> None:
    """Publish every record of SOURCE between SINCE and UNTIL; cursors advance as slices are acknowledged.

    Broker, credentials and state directory come from the same ``LIFTOS_*`` variables as the ingestor
    service, so a backfill and a running service share cursors (the service continues where it ends).
    """
    settings = IngestorSettings()
    log = configure_logging(settings.observability, "ingest-backfill")
    try:
        last = date.fromisoformat(until) if until else None
        total = asyncio.run(_backfill(settings, source, date.fromisoformat(since), last))
    except ConfigError as error:
        log.error("backfill refused", source=source, error=str(error))
        raise typer.Exit(2) from None
    log.info("backfill finished", source=source, records=total)


@app.command("file")
def ingest_file(
    name: Annotated[str, typer.Argument(help="A [files.NAME] of liftos.toml, or a CSV/Parquet path")],
    kind: Annotated[str | None, typer.Option(help="spend or outcome (for a path)")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel of a spend file (for a path)")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency of the amounts (for a path)")] = None,
) -> None:
    """Publish every row of a spend or outcome file to the raw topic (bad rows become dead letters
    with their row number in the reason, downstream, like any source's bad records)."""
    settings = IngestorSettings()
    log = configure_logging(settings.observability, "ingest-file")
    try:
        spec = _file_spec(name, kind, channel, currency)
        events = list(file_events(spec))
        asyncio.run(_publish_all(settings, events))
    except ConfigError as error:
        log.error("file refused", file=name, error=str(error))
        raise typer.Exit(2) from None
    typer.echo(f"{spec.path}: {len(events)} rows published to {RAW.name} as {spec.kind} ({spec.channel})")


def _file_spec(name: str, kind: str | None, channel: str | None, currency: str | None) -> FileSpec:
    project = load_project()
    declared = project.file.files.get(name)
    if declared is not None:
        return FileSpec(name, declared, project.resolve(declared.path))
    if kind not in ("spend", "outcome"):
        known = sorted(project.file.files)
        raise ConfigError(f"{name} is no [files.*] table ({known}); for a path give --kind spend|outcome")
    path = Path(name)
    section = FileSourceSection(path=path, kind=kind, channel=channel, currency=currency)
    return FileSpec(path.stem, section, path)


async def _publish_all(settings: IngestorSettings, events: list[RawEvent]) -> None:
    await wait_for_broker(settings.kafka)
    await ensure_topics(settings.kafka, ALL_TOPICS)
    producer = make_producer(settings.kafka, client_suffix="ingest-file")
    await producer.start()
    try:
        for start in range(0, len(events), 5_000):
            await publish(producer, RAW, events[start : start + 5_000])
        await publish(producer, COVERAGE, file_coverage(events))
    finally:
        await producer.stop()


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
