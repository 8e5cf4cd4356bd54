"""``liftos broker``, ``liftos warehouse``, ``liftos up`` (and ``liftos demo``): the embedded dev stack's
commands, added to the ``liftos`` command through the ``liftos.commands`` entry point."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from liftos_devstack import demo_command

__all__ = ["register"]

Port = Annotated[int, typer.Option("--port", min=1, max=65_535, help="Loopback TCP port.")]
Host = Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")]


def broker(port: Port = 9092, host: Host = "127.0.0.1") -> None:
    """Run the local Kafka-protocol broker (Tansu, in-memory storage) until SIGTERM. Dev and tests only."""
    from liftos_devstack.broker import exec_broker

    exec_broker(host, port)


def warehouse(
    path: Annotated[Path, typer.Option("--path", help="Directory of the chdb store.")] = Path(
        ".liftos/warehouse"
    ),
    port: Port = 8123,
    host: Host = "127.0.0.1",
) -> None:
    """Serve one chdb store over ClickHouse's HTTP interface until SIGTERM. Dev and tests only.

    Set LIFTOS_WAREHOUSE__PASSWORD to require a password (for LIFTOS_WAREHOUSE__USERNAME).
    """
    from liftos_devstack.warehouse_server import access_from_environment, serve

    serve(path, host=host, port=port, access=access_from_environment(host))


def up(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the warehouse and cursors live.")
    ] = Path(".liftos"),
    kafka_port: Annotated[int, typer.Option(help="Broker port (0 = any free port).")] = 9092,
    warehouse_port: Annotated[int, typer.Option(help="Warehouse port (0 = any free port).")] = 8123,
    service_base_port: Annotated[
        int,
        typer.Option(help="First of four consecutive service ports (/metrics, /healthz); 0 = free ports."),
    ] = 8081,
    replicas: Annotated[
        list[str] | None,
        typer.Option(
            "--replicas",
            metavar="SERVICE=N",
            help="Run a stream stage (normalizer, enricher) as N processes; repeatable. Extra replicas "
            "serve /metrics on free ports, logged at start.",
        ),
    ] = None,
) -> None:
    """Start broker, warehouse and the four services; stop them all on Ctrl-C or SIGTERM."""
    from rich.console import Console

    from liftos.errors import ConfigError
    from liftos_devstack.stack import SERVICES, EmbeddedStack, StackPorts

    console = Console(stderr=True)
    services = {name: service_base_port + i if service_base_port else 0 for i, name in enumerate(SERVICES)}
    try:
        stack = EmbeddedStack(
            data_dir,
            StackPorts(kafka=kafka_port, warehouse=warehouse_port, services=services),
            replicas=_replica_option(replicas or []),
        )
    except ConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--replicas") from None
    stack.check_ports()  # before anything starts or prints
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with console.status("starting the embedded stack"):
            seconds = stack.start(on_healthy=lambda name, t: console.log(f"{name} healthy after {t:.1f} s"))
        for child in stack.processes[2:]:
            console.log(f"{child.name}: http://127.0.0.1:{child.port}/metrics")
        console.log(
            f"[bold green]all healthy in {seconds:.1f} s[/] — Kafka 127.0.0.1:{stack.ports.kafka}, "
            f"ClickHouse HTTP 127.0.0.1:{stack.ports.warehouse}; Ctrl-C stops everything"
        )
        while not stack.failed():
            time.sleep(0.5)
        console.log(f"[bold red]exited unexpectedly: {', '.join(stack.failed())}[/]")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        console.log("stopping")
    finally:
        stack.stop()
        console.log("stopped")


def _replica_option(values: list[str]) -> dict[str, int]:
    """``["normalizer=2", …]`` as ``{"normalizer": 2, …}``."""
    counts: dict[str, int] = {}
    for value in values:
        name, separator, count = value.partition("=")
        if not separator or not count.strip().isdigit():
            raise typer.BadParameter(f"expected SERVICE=N, got {value!r}", param_hint="--replicas")
        counts[name.strip()] = int(count)
    return counts


def _interrupt(_signum: int, _frame: object) -> None:
    """Turn SIGTERM into the same orderly shutdown as Ctrl-C."""
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    """Add the dev stack's commands (``broker``, ``warehouse``, ``up``, ``demo``) to the ``liftos`` app."""
    app.command()(broker)
    app.command()(warehouse)
    app.command()(up)
    demo_command.register(app)
