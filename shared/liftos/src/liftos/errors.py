"""The three failure kinds of LiftOS and what each one means for a running stage.

- :class:`ConfigError`: the deployment is wrong (bad credentials, unknown source, missing setting).
  Fail fast, alert, do not retry.
- :class:`TransientError`: the world is briefly unavailable (throttling, 5xx, timeouts, broker
  rebalancing). Retry with backoff.
- :class:`DataError`: one input is bad (malformed event, failed validation). Send it to the stage's
  dead-letter topic with the reason and go on.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "LiftOSError", "TransientError"]


class LiftOSError(Exception):
    """Base class of every error LiftOS raises on purpose."""


class ConfigError(LiftOSError):
    """The configuration or credentials are wrong; retrying cannot help."""


class TransientError(LiftOSError):
    """A temporary failure; the operation may succeed when retried.

    Attributes:
        retry_after: Seconds the remote side asked us to wait, when it said so.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DataError(LiftOSError):
    """One input record is unusable; it belongs in the dead-letter topic, not in a crash."""
