"""The ``liftos`` command: the product's commands, plus those that installed packages add.

The product library registers its own commands from an explicit table (:data:`_PRODUCT_COMMANDS`).
Other packages add theirs through entry points, so the library never imports them:

- ``liftos.services``: one command per service package (``liftos ingestor``, ``liftos normalizer``, …).
- ``liftos.groups``: command groups (``liftos sandbox …`` from liftos-sandbox, ``liftos ingest …``).
- ``liftos.commands``: a ``register(app)`` function adding top-level commands (``liftos up``, ``liftos
  demo``, ``liftos broker``, ``liftos warehouse`` from liftos-devstack).

A command whose package is not installed answers with one line naming the package
(:data:`_PROVIDED_BY`), exit status 2. Every other failure of every command is turned into one line
naming the cause and the fix by one layer, :mod:`liftos.cli.error_layer` (``--debug`` shows the
traceback instead).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from typing import Annotated, Final

import typer

from liftos.cli.error_layer import DEBUG_OPTION, USAGE_STATUS, ErrorLayerGroup

__all__ = ["app", "main"]

app = typer.Typer(
    name="liftos",
    cls=ErrorLayerGroup,
    help="LiftOS Causal: marketing data in, incremental channel effects out, as one stream.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _global_options(
    debug: Annotated[
        bool,
        typer.Option(
            DEBUG_OPTION,
            help="Show the full traceback of an error (instead of one line) and log at DEBUG level; "
            "may stand anywhere on the command line.",
        ),
    ] = False,
) -> None:
    """LiftOS Causal: marketing data in, incremental channel effects out, as one stream."""


#: Modules of the product's own commands; each has ``register(app)``.
_PRODUCT_COMMANDS: Final[tuple[str, ...]] = (
    "liftos.cli.schema",
    "liftos.cli.report",
    "liftos.cli.project_init",
    "liftos.cli.check",
    "liftos.cli.plan",
    "liftos.cli.lift_tests",
)

#: Commands that other packages provide, and the package that provides each.
_PROVIDED_BY: Final[dict[str, str]] = {
    "up": "liftos-devstack",
    "demo": "liftos-devstack",
    "broker": "liftos-devstack",
    "warehouse": "liftos-devstack",
    "sandbox": "liftos-sandbox",
    "ingestor": "liftos-ingestor",
    "ingest": "liftos-ingestor",
    "normalizer": "liftos-normalizer",
    "enricher": "liftos-enricher",
    "causal-engine": "liftos-causal-engine",
}


def _service_command(entry: EntryPoint) -> Callable[[], None]:
    def run_service() -> None:
        entry.load()()

    return run_service


def _register_services() -> None:
    """Add one command per installed service (entry-point group ``liftos.services``)."""
    for entry in sorted(entry_points(group="liftos.services"), key=lambda e: e.name):
        app.command(
            name=entry.name,
            help=f"Run the {entry.name} service (settings from LIFTOS_* environment variables).",
        )(_service_command(entry))


def _register_groups() -> None:
    """Add the command groups that installed packages declare (entry-point group ``liftos.groups``)."""
    for entry in sorted(entry_points(group="liftos.groups"), key=lambda e: e.name):
        app.add_typer(entry.load(), name=entry.name)


def _register_commands() -> None:
    """Let installed packages add top-level commands (entry-point group ``liftos.commands``)."""
    for entry in sorted(entry_points(group="liftos.commands"), key=lambda e: e.name):
        entry.load()(app)


def _register() -> None:
    for module_name in _PRODUCT_COMMANDS:
        import_module(module_name).register(app)
    _register_services()
    _register_groups()
    _register_commands()


def _registered_names() -> set[str]:
    names = {
        command.name or (command.callback.__name__ if command.callback else "")
        for command in app.registered_commands
    }
    return names | {group.name or "" for group in app.registered_groups}


_register()


def missing_command_hint(argv: list[str]) -> str | None:
    """One line naming the package to install when ``argv`` asks for a command that is not installed."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    if name is None or name in _registered_names() or name not in _PROVIDED_BY:
        return None
    package = _PROVIDED_BY[name]
    return f"liftos {name}: this command comes with the {package} package (pip install {package})"


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``liftos`` console script (``argv`` defaults to the process's arguments)."""
    args = sys.argv[1:] if argv is None else argv
    hint = missing_command_hint([arg for arg in args if arg != DEBUG_OPTION])
    if hint is not None:
        typer.echo(hint, err=True)
        raise SystemExit(USAGE_STATUS)
    app(args)
