"""``liftos ingest backfill`` (a source's history, with a progress bar) and ``liftos ingest file`` (a
spend or outcome file) into the raw topic.

The command module imports only what parsing its options needs (every ``liftos`` command lists it);
the work is in :mod:`liftos_ingestor.backfill_run` and :mod:`liftos_ingestor.file_ingest`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from liftos.cli_options import check_window, day_option

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
    service, so a backfill and a running service share cursors (the service continues where it ends;
    the two cannot use one state directory at the same time). If the broker loses its messages during
    the backfill, the cursors rewind to what has reached the warehouse and the backfill goes on.
    """
    check_window(since, until, "--since", "--until")
    from liftos_ingestor.backfill_run import run_backfill

    run_backfill(source, since, until)


@app.command("file")
def ingest_file(
    name: Annotated[str, typer.Argument(help="A [files.NAME] of liftos.toml, or a CSV/Parquet path")],
    kind: Annotated[str | None, typer.Option(help="spend or outcome (for a path)")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel of a spend file (for a path)")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency of the amounts (for a path)")] = None,
) -> None:
    """Publish every row of a spend or outcome file to the raw topic (bad rows become dead letters
    with their row number in the reason, downstream, like any source's bad records)."""
    from liftos_ingestor.file_ingest import ingest_file as run

    spec, rows = run(name, kind, channel, currency)
    typer.echo(f"{spec.path}: {rows} rows published to liftos.raw.v1 as {spec.kind} ({spec.channel})")
