"""``liftos schema export --out DIR``: write the JSON Schema of every topic's message value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register", "schema_app"]

schema_app = typer.Typer(help="Published JSON Schemas of the topics' message values.", no_args_is_help=True)


@schema_app.command("export")
def export(
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write <topic>.schema.json files into.")
    ] = Path("docs/schemas"),
) -> None:
    """Write ``<topic>.schema.json`` for every topic (derived from the event models) into ``--out``."""
    from liftos.topic_schemas import export_schemas

    for path in export_schemas(out):
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add the ``schema`` command group to the ``liftos`` command."""
    app.add_typer(schema_app, name="schema")
