"""Delivering a stage's outputs: retry until acknowledged, so no input is committed before its outputs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from liftos.observability import Logger

__all__ = ["until_delivered"]


async def until_delivered(deliver: Callable[[], Awaitable[None]], log: Logger, what: str) -> None:
    """Run ``deliver`` until it succeeds, backing off exponentially (with jitter, at most 30 s).

    A stage's output must be acknowledged before its input offsets are committed, and a failing sink
    (broker or warehouse down) must neither lose the batch nor crash-loop. So the batch is held and
    retried; the stage's health endpoint and logs report it meanwhile.
    """
    async for attempt in AsyncRetrying(
        wait=wait_exponential_jitter(initial=0.2, max=30.0),
        retry=retry_if_exception_type(Exception),
        reraise=True,
    ):
        with attempt:
            number = attempt.retry_state.attempt_number
            if number > 1:
                log.warning("retrying delivery", what=what, attempt=number)
            await deliver()
