"""``liftos report --out report.html``: the one-page HTML report of the latest model in the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic_settings import BaseSettings, SettingsConfigDict

from liftos.cli_options import Database, WarehouseHost, WarehousePort
from liftos.settings import WarehouseSettings, load_settings

__all__ = ["ReportSettings", "register", "report"]


class ReportSettings(BaseSettings):
    """The warehouse to read, from ``LIFTOS_WAREHOUSE__*`` (see the README's settings table)."""

    model_config = SettingsConfigDict(
        env_prefix="LIFTOS_", env_nested_delimiter="__", frozen=True, extra="ignore", env_ignore_empty=True
    )

    warehouse: WarehouseSettings = WarehouseSettings()


def warehouse_settings(host: str | None, port: int | None, database: str | None) -> WarehouseSettings:
    """``LIFTOS_WAREHOUSE__*`` settings with the command-line overrides applied."""
    base = load_settings(ReportSettings).warehouse
    overrides = {"host": host, "port": port, "database": database}
    return WarehouseSettings.model_validate(
        base.model_dump() | {key: value for key, value in overrides.items() if value is not None}
    )


def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    warehouse_host: WarehouseHost = None,
    warehouse_port: WarehousePort = None,
    database: Database = None,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit/--no-refit",
            help="Refit the model on the warehouse panel for the response curves (else derive "
            "illustrative curves from the published iROAS and mROAS).",
        ),
    ] = True,
) -> None:
    """Render a self-contained HTML page from the latest model version in the warehouse."""
    from liftos.report import write_report

    settings = warehouse_settings(warehouse_host, warehouse_port, database)
    data = write_report(settings, out, refit=refit)  # NoModelError: one line from the CLI's error layer
    meta = data.metadata
    typer.echo(
        f"wrote {out}: model v{meta.model_version} ({meta.method}), {len(data.effects)} channels, "
        f"window {meta.window_start} to {meta.window_end}, response curves: {data.curves.source}"
    )


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to the ``liftos`` command."""
    app.command(name="report")(report)
