"""The three failure kinds of LiftOS and what each one means for a running stage.

- :class:`ConfigError`: the deployment is wrong (bad credentials, unknown source, missing setting).
  Fail fast, alert, do not retry.
- :class:`TransientError`: the world is briefly unavailable (throttling, 5xx, timeouts, broker
  rebalancing). Retry with backoff.
- :class:`DataError`: one input is bad (malformed event, failed validation). Send it to the stage's
  dead-letter topic with the reason and go on.

Every error may carry a ``fix``: one sentence telling a person what to do about it. The ``liftos``
command prints an error as one line, ``<command>: <message>; <fix>`` (see :mod:`liftos.cli.error_layer`).
:class:`PortInUseError` is the runtime error of a server whose port another process holds.
"""

from __future__ import annotations

import os
import re

__all__ = [
    "ConfigError",
    "DataError",
    "LiftOSError",
    "PortInUseError",
    "TransientError",
    "connection_reason",
]

_ERRNO = re.compile(r"\[Errno (-?\d+)\]")


class LiftOSError(Exception):
    """Base class of every error LiftOS raises on purpose.

    Attributes:
        fix: What a person should do about it (one sentence), or None when the message says it all.
    """

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix


class ConfigError(LiftOSError):
    """The configuration or credentials are wrong; retrying cannot help."""


class TransientError(LiftOSError):
    """A temporary failure; the operation may succeed when retried.

    Attributes:
        retry_after: Seconds the remote side asked us to wait, when it said so.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.retry_after = retry_after


class DataError(LiftOSError):
    """One input record is unusable; it belongs in the dead-letter topic, not in a crash."""


class PortInUseError(LiftOSError):
    """A server cannot listen: another process holds its TCP port."""


def connection_reason(error: BaseException | None) -> str:
    """Why a connection failed, in the operating system's words (``connection refused``).

    Client libraries wrap the socket error in their own, often only as text (``[Errno 111] …``), so
    this looks through the chain of causes and at the message.
    """
    seen = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None and seen.errno > 0:
            return os.strerror(seen.errno).lower()
        found = _ERRNO.search(str(seen))
        if found and int(found.group(1)) > 0:
            return os.strerror(int(found.group(1))).lower()
        seen = seen.__cause__ or seen.__context__
    return "no answer" if error is None else type(error).__name__
