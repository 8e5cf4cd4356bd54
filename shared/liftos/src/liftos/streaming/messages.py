"""Messages as a stage sees them, independent of the Kafka client that delivered them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DeadLetter", "Inbound"]


@dataclass(frozen=True, slots=True)
class Inbound:
    """One consumed message: its origin and its raw bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    def refuse(self, reason: str, error: str = "DataError") -> DeadLetter:
        """This message as a dead letter with ``reason``."""
        return DeadLetter(self.topic, self.partition, self.offset, self.key, self.value, reason, error)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One refused input: where it came from, its untouched bytes, and why it was refused."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    reason: str
    error: str = "DataError"
