"""The work of ``liftos ingest file``: a declared (or given) spend or outcome file's rows published to
the raw topic as the built-in ``canonical`` source, plus the coverage of the days it delivers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from liftos.errors import ConfigError
from liftos.events import RawEvent
from liftos.project import FileSourceSection, load_project
from liftos.settings import load_settings
from liftos.streaming.kafka import ensure_topics, make_producer, publish, wait_for_broker
from liftos.topics import ALL_TOPICS, COVERAGE, RAW
from liftos.transformations.file_source import FileSpec, file_coverage, file_events
from liftos_ingestor.settings import IngestorSettings

__all__ = ["ingest_file"]

_BATCH = 5_000


def ingest_file(
    name: str, kind: str | None, channel: str | None, currency: str | None
) -> tuple[FileSpec, int]:
    """Publish the file ``name`` (a ``[files.NAME]`` of the project file, or a path with ``kind``);
    returns its spec and the rows published.

    Raises:
        ConfigError: the file is neither declared nor described, or cannot be read as declared.
        TransientError: no broker answers.
    """
    settings = load_settings(IngestorSettings)
    spec = _file_spec(name, kind, channel, currency)
    events = list(file_events(spec))
    asyncio.run(_publish_all(settings, events))
    return spec, len(events)


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
        for start in range(0, len(events), _BATCH):
            await publish(producer, RAW, events[start : start + _BATCH])
        await publish(producer, COVERAGE, file_coverage(events))
    finally:
        await producer.stop()
