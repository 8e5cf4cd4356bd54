"""Files as a source: daily spend of any channel and the business outcome, from CSV or Parquet.

The rows arrive as the built-in ``canonical`` source (:mod:`liftos.transformations.canonical`, no
vendor), one account per declared file.

``liftos ingest file`` reads a file declared under ``[files.<name>]`` of the project file (or given on
the command line), maps its columns by the declared schema and publishes one raw event per row to
the raw topic; the normalizer maps them here, through the same stages as every API source:

- stream ``spend_daily``: ``date``, ``spend`` and optional ``impressions``, ``clicks``,
  ``conversions``, ``revenue``, ``campaign`` (the channel and currency come from the declaration;
  amounts are converted at the rate of their day);
- stream ``outcome_daily``: ``date``, ``orders``, ``revenue`` (the shop's own daily outcome).

A row that does not map (a bad date, a negative or non-numeric amount) is a dead letter whose reason
starts with its row number in the file (``row 17: spend: not a number``). Values travel as the file
holds them (strings from a CSV) and are parsed strictly by the mapper, like an API's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from liftos.errors import ConfigError, DataError
from liftos.events import IngestionCoverage, RawEvent, RequestSlice, idempotency_key
from liftos.project import FileSourceSection
from liftos.transformations import values as tv
from liftos.transformations.context import MappingContext
from liftos.transformations.source_registry import Mapper, OutputRow

__all__ = ["FILE_MAPPERS", "FILE_SOURCE", "FileSpec", "file_coverage", "file_events"]

#: Source name of file rows: the built-in canonical source.
FILE_SOURCE: Final = "canonical"
STREAMS: Final = {"spend": "spend_daily", "outcome": "outcome_daily"}
#: Columns each kind of file needs (after renaming by ``columns``) and those it may have.
REQUIRED: Final = {"spend": ("date", "spend"), "outcome": ("date", "orders", "revenue")}
OPTIONAL: Final = {"spend": ("impressions", "clicks", "conversions", "revenue", "campaign"), "outcome": ()}


@dataclass(frozen=True)
class FileSpec:
    """One file to read: the name of its declaration, its ``[files.<name>]`` table and its resolved path
    (``name`` is the default account id and channel)."""

    name: str
    section: FileSourceSection
    path: Path

    @property
    def kind(self) -> Literal["spend", "outcome"]:
        """``spend`` or ``outcome``."""
        return self.section.kind

    @property
    def channel(self) -> str:
        """The channel of a spend file."""
        return self.section.channel or self.name

    @property
    def account_id(self) -> str:
        """The account of the rows."""
        return self.section.account_id or self.name


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    name = path.name.lower()
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    if name.endswith((".csv", ".csv.gz", ".txt")):
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    raise ConfigError(f"{path}: expected a .csv or .parquet file")


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item"):  # numpy scalars from Parquet
        return value.item()
    return value


def file_events(spec: FileSpec, fetched_at: datetime | None = None) -> Iterator[RawEvent]:
    """One raw event per row of the file (row numbers count the header as row 1, as a spreadsheet).

    Raises:
        ConfigError: the file is missing, of an unknown format, or lacks a required column.
    """
    frame = _read(spec.path)
    renamed = frame.rename(columns={column: target for target, column in spec.section.columns.items()})
    missing = [c for c in REQUIRED[spec.kind] if c not in renamed.columns]
    if missing:
        raise ConfigError(
            f"{spec.path}: no column for {missing} (columns: {list(frame.columns)}); map them with columns"
        )
    wanted = [c for c in (*REQUIRED[spec.kind], *OPTIONAL[spec.kind]) if c in renamed.columns]
    account = spec.account_id
    moment = fetched_at or datetime.now(UTC)
    today = moment.date()
    for index, record in enumerate(renamed[wanted].to_dict("records")):
        row = index + 2
        payload = {key: _jsonable(value) for key, value in record.items()}
        payload |= {"row": row, "file": spec.path.name, "channel": spec.channel}
        if spec.section.currency:
            payload["currency"] = spec.section.currency
        day = _day_or(payload.get("date"), today)
        yield RawEvent(
            source=FILE_SOURCE,
            account_id=account,
            stream=STREAMS[spec.kind],
            request_slice=RequestSlice(start=day, end=day, params={"file": spec.path.name}),
            fetched_at=moment,
            payload=payload,
            idempotency_key=idempotency_key(
                FILE_SOURCE,
                account,
                spec.kind,
                payload["channel"],
                payload.get("date"),
                payload.get("campaign", ""),
            ),
        )


def _day_or(value: Any, default: date) -> date:
    try:
        return tv.day(value, "date")
    except DataError:
        return default  # the mapper dead-letters the row with its number


def _with_row(event: RawEvent, build: Any) -> list[OutputRow]:
    try:
        return [build()]
    except DataError as error:
        raise DataError(
            f"row {event.payload.get('row', '?')} of {event.payload.get('file', 'the file')}: {error}"
        ) from None


def _spend_row(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    p = event.payload

    def build() -> OutputRow:
        channel = tv.name(p.get("channel"), "channel") or event.account_id
        fields = {
            "date": tv.day(p.get("date"), "date"),
            "channel": channel,
            "platform": channel,
            "campaign_id": tv.name(p.get("campaign"), "campaign") or channel,
            "campaign": tv.name(p.get("campaign"), "campaign"),
            "spend": tv.number(_blank(p.get("spend")), "spend", default=None),
            "impressions": tv.count(_blank(p.get("impressions")), "impressions"),
            "clicks": tv.count(_blank(p.get("clicks")), "clicks"),
            "conversions": tv.number(_blank(p.get("conversions")), "conversions"),
            "revenue": tv.number(_blank(p.get("revenue")), "revenue"),
        }
        currency = context.currency_of(event.account_id, p.get("currency"))
        return tv.build_marketing_row(event, context, currency, fields)

    return _with_row(event, build)


def _outcome_row(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    p = event.payload

    def build() -> OutputRow:
        return tv.build_outcome_row(
            event,
            context,
            context.currency_of(event.account_id, p.get("currency")),
            tv.day(p.get("date"), "date"),
            tv.count(_blank(p.get("orders")), "orders"),
            tv.number(_blank(p.get("revenue")), "revenue", default=None),
        )

    return _with_row(event, build)


def _blank(value: Any) -> Any:
    """An empty CSV cell is a missing value."""
    return None if isinstance(value, str) and not value.strip() else value


#: The mappers of the file streams (part of the canonical source).
FILE_MAPPERS: Final[Mapping[str, Mapper]] = {"spend_daily": _spend_row, "outcome_daily": _outcome_row}


def file_coverage(events: list[RawEvent]) -> list[IngestionCoverage]:
    """The days a file covers, per account and stream (first to last day of its rows), for the
    completeness gate: days inside the range without a row are days without activity."""
    spans: dict[tuple[str, str], list[RawEvent]] = {}
    for event in events:
        spans.setdefault((event.account_id, event.stream), []).append(event)
    return [
        IngestionCoverage(
            source=FILE_SOURCE,
            account_id=account,
            stream=stream,
            start=min(e.request_slice.start for e in group),
            end=max(e.request_slice.end for e in group),
            records=len(group),
            fetched_at=group[0].fetched_at,
        )
        for (account, stream), group in spans.items()
    ]
