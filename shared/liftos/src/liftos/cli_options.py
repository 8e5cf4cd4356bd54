"""Option types shared by the commands of every package (days, the warehouse to read), so a bad value
reads the same everywhere.

Outside the :mod:`liftos.cli` package on purpose: importing that package registers every installed
command, and the packages that define commands import these.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

__all__ = [
    "DAY_METAVAR",
    "Database",
    "WarehouseHost",
    "WarehousePort",
    "check_window",
    "day_option",
    "parse_day",
]

DAY_METAVAR = "YYYY-MM-DD"

#: The warehouse a command reads (defaults: the ``LIFTOS_WAREHOUSE__*`` settings).
WarehouseHost = Annotated[
    str | None, typer.Option(help="Warehouse host (default LIFTOS_WAREHOUSE__HOST or 127.0.0.1).")
]
WarehousePort = Annotated[
    int | None,
    typer.Option(min=1, max=65_535, help="Warehouse HTTP port (default LIFTOS_WAREHOUSE__PORT or 8123)."),
]
Database = Annotated[
    str | None, typer.Option(help="Database (default LIFTOS_WAREHOUSE__DATABASE or liftos).")
]


def parse_day(value: str) -> date:
    """A ``YYYY-MM-DD`` option value as a date (typer's ``parser=``); a usage error otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a day ({DAY_METAVAR}): {error}") from None


def day_option(help_text: str) -> Any:
    """A ``--<name> YYYY-MM-DD`` option parsed by :func:`parse_day`:
    ``since: Annotated[date, day_option("First day.")]``."""
    return typer.Option(parser=parse_day, metavar=DAY_METAVAR, help=help_text)


def check_window(first: date | None, last: date | None, first_option: str, last_option: str) -> None:
    """A usage error when the window ends before it starts (``--until`` before ``--since``)."""
    if first is not None and last is not None and last < first:
        raise typer.BadParameter(
            f"{last} is before {first_option} {first} (the window would be empty)", param_hint=last_option
        )
