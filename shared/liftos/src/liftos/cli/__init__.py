"""The ``liftos`` command: local infrastructure, the embedded stack, the sandbox, and the services.

Sub-commands are registered from their own modules so each stays small:

- ``liftos broker`` / ``liftos warehouse`` / ``liftos up``: local infrastructure (:mod:`liftos.cli.infra`).
- ``liftos sandbox ...``: the simulated world and API emulators (:mod:`liftos.sandbox.cli`).
- ``liftos ingestor|normalizer|enricher|causal-engine``: the services, discovered through the
  ``liftos.services`` entry-point group that each service package declares, so the library never
  imports a service.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="liftos",
    help="LiftOS Causal: marketing data in, incremental channel effects out, as one stream.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# (module, attribute) of sub-command groups; a module that is not installed yet is skipped.
_GROUPS: tuple[tuple[str, str, str], ...] = (("sandbox", "liftos.sandbox.cli", "app"),)
_COMMAND_MODULES: tuple[str, ...] = (
    "liftos.cli.infra",
    "liftos.cli.demo",
    "liftos.cli.schema",
    "liftos.cli.report",
)


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


def _register() -> None:
    for module_name in _COMMAND_MODULES:
        import_module(module_name).register(app)
    for name, module_name, attribute in _GROUPS:
        try:
            group = getattr(import_module(module_name), attribute)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        app.add_typer(group, name=name)
    _register_services()
    _register_groups()


_register()


def main() -> None:
    """Entry point of the ``liftos`` console script."""
    app()
