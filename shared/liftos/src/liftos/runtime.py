"""Running a service: its port checked before it starts, an asyncio main until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
from collections.abc import Awaitable, Callable

from liftos.errors import PortInUseError

__all__ = ["check_port_free", "run_until_stopped"]


def check_port_free(host: str, port: int, owner: str, fix: str) -> None:
    """Raise :class:`PortInUseError` when another process listens on ``host:port``.

    Binds with ``SO_REUSEADDR``, as the servers themselves do, so a port held only by connections in
    ``TIME_WAIT`` counts as free. Port 0 (any free port) is always free.

    Args:
        owner: Who wanted the port, for the message (e.g. ``the broker``).
        fix: What to do instead (e.g. ``choose another port with --kafka-port``).
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise PortInUseError(
                f"port {port} on {host} ({owner}) is in use by another process", fix=fix
            ) from None


def run_until_stopped(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``main(stop)`` in a new event loop; SIGTERM or SIGINT sets ``stop``.

    ``main`` must return soon after ``stop`` is set (finishing or abandoning its current unit of
    work without committing it), so a stopped service never loses acknowledged data.
    """

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await main(stop)

    asyncio.run(runner())
