"""``liftos init``: write a commented project file and a secrets file kept out of git."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liftos.project import DEFAULT_SECRETS_FILE, project_paths
from liftos.transformations.source_registry import SourceDefinition, source_definitions

__all__ = ["PROJECT_TEMPLATE", "SECRETS_TEMPLATE", "register"]

PROJECT_TEMPLATE = """\
# liftos.toml: what LiftOS reads for this business (check it in; secrets go to liftos.secrets.toml).
# Every service and command reads this file (or $LIFTOS_PROJECT_FILE); LIFTOS_* environment
# variables override any value. `liftos check` validates it and calls every source once.

reporting_currency = "USD"      # every amount is converted to this currency (ECB rate of its day)
country = "US"                  # public-holiday calendar of the enricher and the causal model
# subdivision = "CA"            # regional holidays (ISO 3166-2 subdivision code)
since = "{since}"             # first day the ingestor reads on its first poll
{until_line}# email_cost_per_recipient = 0.01   # estimated email spend per recipient (account currency)

# One table per API source; delete a table (or set enabled = false) to skip a source.
# accounts = []  reads every account the credentials can see; list ids to read only those.
{sources}
# Daily spend of channels without an API (TV, podcasts, affiliates) and the shop's own orders:
# `liftos ingest file NAME` publishes them through the same stages.
# [files.tv]
# path = "data/tv_spend.csv"    # CSV or Parquet; columns date, spend (+ impressions, clicks, ...)
# kind = "spend"
# channel = "tv"
# currency = "EUR"              # default: reporting_currency
# columns = {{ date = "day", spend = "cost" }}   # map your column names
#
# [files.orders]
# path = "data/shop_orders.csv" # columns date, orders, revenue
# kind = "outcome"

[outcome]
# source = "canonical"          # whose store outcome the model explains: a source's name, or
                                # "canonical" for a shop file; default: the sum over every source

[fx]
source = "ecb"                  # daily ECB reference rates (offline history); "none": fixed rates only
[fx.rates]                      # fixed rates (reporting units per unit) for every day, e.g.
# AED = 0.2723

[refit]
# method = "mmm"                # mmm | dml | causal_forest
# min_refit_interval_s = 3600
# min_days = 56

[completeness]                  # the gate before every refit: below it the engine publishes `held`
# threshold = 0.98              # least share of expected source-account-days present
# max_lag_days = 3              # ingestion may trail today by this many days
# max_dead_letters = 0          # dead letters tolerated in the model's window
"""

SECRETS_TEMPLATE = """\
# liftos.secrets.toml: tokens and keys. Never commit this file (`liftos init` adds it to .gitignore).
# Same tables as liftos.toml; LIFTOS_<SOURCE>__<KEY> environment variables override them.

{sources}"""


def _api_sources() -> list[SourceDefinition]:
    """The installed sources with an API connector, by name (the source table)."""
    unique = {d.name: d for d in source_definitions().values() if d.connector is not None}
    return [unique[name] for name in sorted(unique)]


def _with_host(template: str, base_url: str | None) -> str:
    """``template`` with its ``#? `` lines kept (host filled in) when ``base_url`` is given, else dropped."""
    lines = []
    for line in template.splitlines():
        if line.startswith("#? "):
            if base_url is None:
                continue
            line = line.removeprefix("#? ").replace("{base_url}", base_url)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _ignore(secrets: Path) -> None:
    gitignore = secrets.parent / ".gitignore"
    text = gitignore.read_text() if gitignore.exists() else ""
    if secrets.name not in text.splitlines():
        with gitignore.open("a") as handle:
            handle.write(("\n" if text and not text.endswith("\n") else "") + f"{secrets.name}\n")


def init(
    since: Annotated[str, typer.Option(help="First day to read (YYYY-MM-DD).")] = "2025-01-01",
    until: Annotated[str | None, typer.Option(help="Last day to read (default: today).")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Point every source at this host (the sandbox: http://127.0.0.1:8765).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Write liftos.toml (commented) and liftos.secrets.toml (added to .gitignore) here."""
    project, secrets = project_paths()
    if project.exists() and not force:
        typer.echo(f"{project} exists; use --force to overwrite it", err=True)
        raise typer.Exit(2)
    until_line = (
        f'until = "{until}"             # last day to read\n'
        if until
        else '# until = "2025-12-31"        # last day to read (default: today)\n'
    )
    project.write_text(
        PROJECT_TEMPLATE.format(
            since=since,
            until_line=until_line,
            sources="\n".join(_with_host(d.project_template, base_url) for d in _api_sources()),
        )
    )
    if not secrets.exists() or force:
        secrets.write_text(
            SECRETS_TEMPLATE.format(sources="\n".join(d.secrets_template for d in _api_sources()))
        )
        secrets.chmod(0o600)
    _ignore(secrets)
    typer.echo(f"wrote {project} and {secrets} ({DEFAULT_SECRETS_FILE} is in .gitignore); next: liftos check")


def register(app: typer.Typer) -> None:
    """Add ``liftos init`` to the ``liftos`` command."""
    app.command(name="init")(init)
