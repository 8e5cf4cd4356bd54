"""The ``liftos`` command's one error layer: every failure as one line naming the cause and the fix.

The root command is a :class:`ErrorLayerGroup`, so every command of every package (and a test's
``CliRunner``) runs through :meth:`ErrorLayerGroup.main`; no command formats its own errors. A failure
prints ``<command>: <cause>; <fix>`` on stderr, e.g.::

    liftos report: no ClickHouse answers at http://127.0.0.1:8123 (connection refused); start the
    embedded stack (liftos up) or a warehouse (liftos warehouse), or point LIFTOS_WAREHOUSE__HOST / …

(one line), and exits with

- **2** for usage and configuration errors: bad arguments (click's usage errors), invalid
  ``LIFTOS_*`` settings, :class:`~liftos.errors.ConfigError`;
- **1** for runtime errors: an unreachable broker or warehouse, a busy port, a file that cannot be
  written, any other :class:`~liftos.errors.LiftOSError` or unexpected exception;
- **130** after Ctrl-C.

``liftos --debug …`` (the option may stand anywhere on the line) shows the full traceback instead and
sets ``LIFTOS_OBSERVABILITY__LOG_LEVEL=DEBUG`` unless it is set already.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, TypeGuard

import typer
from typer.core import TyperGroup

from liftos.errors import ConfigError, LiftOSError

__all__ = ["DEBUG_OPTION", "USAGE_STATUS", "ErrorLayerGroup", "command_path", "one_line"]

DEBUG_OPTION = "--debug"
#: Exit status of a usage or configuration error (click's own convention).
USAGE_STATUS = 2
#: Exit status of a runtime error.
RUNTIME_STATUS = 1
#: Exit status after Ctrl-C (128 + SIGINT).
INTERRUPTED_STATUS = 130
PROG = "liftos"
_DEBUG_FIX = f"run it again with {DEBUG_OPTION} for the traceback"
#: The name of click's error raised for a group called without arguments; typer has printed its help by
#: then. (typer vendors click, and exports only ``TyperException``, the base of click's errors.)
_NO_ARGS_IS_HELP = "NoArgsIsHelpError"


def _is_usage_error(error: BaseException) -> TypeGuard[typer.TyperException]:
    """Whether ``error`` is one of click's usage errors (bad option, missing argument, bad value)."""
    return isinstance(error, typer.TyperException) and getattr(error, "exit_code", 1) == USAGE_STATUS


def command_path(root: Any, argv: Sequence[str], prog: str = PROG) -> str:
    """The command ``argv`` invokes on the click group ``root``, as typed: ``liftos ingest backfill``."""
    names, current = [prog], root
    for arg in argv:
        commands = getattr(current, "commands", None)
        if isinstance(commands, dict) and arg in commands:
            names.append(arg)
            current = commands[arg]
    return " ".join(names)


def _flat(text: str) -> str:
    """``text`` on one line, without a trailing full stop."""
    return " ".join(text.split()).rstrip(".")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def one_line(error: BaseException, command: str) -> tuple[str, int]:
    """The one line describing ``error`` raised by ``command``, and the exit status it calls for."""
    if _is_usage_error(error):
        context = getattr(error, "ctx", None)
        path = str(context.command_path) if context is not None else command
        message = _lower_first(_flat(error.format_message()))
        return f"{path}: {message}; see '{path} --help'", USAGE_STATUS
    status = USAGE_STATUS if isinstance(error, ConfigError) else RUNTIME_STATUS
    if isinstance(error, LiftOSError):
        cause, fix = _flat(str(error)), error.fix
    elif isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        cause, fix = f"{_lower_first(error.strerror)}{where}", "check the path, the address and permissions"
    else:
        cause, fix = f"unexpected {type(error).__name__}: {_flat(str(error))}", _DEBUG_FIX
    return (f"{command}: {cause}; {_flat(fix)}" if fix else f"{command}: {cause}"), status


class ErrorLayerGroup(TyperGroup):
    """The root ``liftos`` group: runs the command line and turns any failure into one line.

    ``--debug`` anywhere on the line is handed to the root command (its global option) and lets
    errors propagate with their traceback.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = DEBUG_OPTION in argv
        argv = [arg for arg in argv if arg != DEBUG_OPTION]
        if debug:
            os.environ.setdefault("LIFTOS_OBSERVABILITY__LOG_LEVEL", "DEBUG")
        try:
            result = super().main(
                [DEBUG_OPTION, *argv] if debug else argv,
                prog_name=PROG,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            status = result if isinstance(result, int) else 0
        except typer.Abort:
            typer.echo(f"{PROG}: aborted", err=True)
            status = INTERRUPTED_STATUS
        except Exception as error:
            if debug:
                raise
            if type(error).__name__ == _NO_ARGS_IS_HELP:
                status = USAGE_STATUS
            else:
                line, status = one_line(error, command_path(self, argv))
                typer.echo(line, err=True)
        if standalone_mode:
            sys.exit(status)
        return status
