"""Running an asyncio service until SIGTERM/SIGINT, with a clean, bounded shutdown."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

__all__ = ["run_until_stopped"]


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
