"""Command-line options several ``liftos`` commands share: the warehouse to read and ISO dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

__all__ = ["Database", "WarehouseHost", "WarehousePort", "parse_day"]

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


def parse_day(value: str | None, option: str) -> date | None:
    """``YYYY-MM-DD`` as a date (``None`` stays ``None``).

    Raises:
        typer.BadParameter: not an ISO date, naming ``option``.
    """
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=option) from error
