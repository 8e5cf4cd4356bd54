"""Which cursor states have *landed*: their records passed every stage and reached the warehouse.

A cursor moves as soon as the broker acknowledged a slice. Until the stages have passed the slice on,
its records exist only in the broker's topics, and a broker that loses them (the embedded Tansu keeps
every message in memory) would leave the cursor beyond data nobody holds. A **checkpoint** tracks one
snapshot of all cursor states through the pipeline's consumer groups, one **hop** at a time:

1. take the snapshot, then read the end offsets of the first hop's topics (the raw topic): every record
   under the snapshot lies below them, because a cursor is committed after its records' acks;
2. wait until the hop's group (the normalizer) has committed at least those offsets on every
   partition: it commits only after what it produced from them was acknowledged, so those outputs lie
   below the next hop's end offsets, read now;
3. the same for the next hop (the enricher, which commits after the warehouse insert), and so on;
4. after the last hop the snapshot has landed, provided no topic's epoch changed on the way (a
   broker that restarted counts offsets from 0 again, and old offsets would compare as if meaningful).

The ingestor keeps the latest landed snapshot with its cursors and rewinds to it when a topic's epoch
changes (see :meth:`liftos.integrations.cursors.CursorStore.rewind`). Pure logic: the ingestor does
the reading (:mod:`liftos.streaming.topic_probe`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from liftos.integrations.cursors import CursorState

__all__ = ["Checkpoint", "Hop", "Partition", "caught_up", "epochs_changed"]

#: ``(topic, partition)``.
Partition = tuple[str, int]


@dataclass(frozen=True)
class Hop:
    """One stage of the pipeline as the checkpoint sees it: a consumer group and the topics it reads."""

    group: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Checkpoint:
    """A snapshot of cursor states on its way to the warehouse.

    Attributes:
        states: The snapshot (``source/account/stream`` → state).
        epochs: The watched topics' epochs when the snapshot was taken.
        hop: Index of the hop being waited for.
        ends: End offsets of that hop's topics' partitions that its group must reach.
    """

    states: Mapping[str, CursorState]
    epochs: Mapping[str, int]
    hop: int = 0
    ends: Mapping[Partition, int] = field(default_factory=dict)

    def next_hop(self, ends: Mapping[Partition, int]) -> Checkpoint:
        """This checkpoint waiting for the next hop, whose topics end at ``ends`` now."""
        return Checkpoint(self.states, self.epochs, self.hop + 1, dict(ends))


def caught_up(committed: Mapping[Partition, int | None], ends: Mapping[Partition, int]) -> bool:
    """Whether a group's committed offsets reach ``ends`` on every partition (an empty partition needs
    no commit; a partition with records and no commit is not caught up)."""
    return all(end <= 0 or (committed.get(partition) or 0) >= end for partition, end in ends.items())


def epochs_changed(recorded: Mapping[str, int], now: Mapping[str, int | None]) -> list[str]:
    """The topics whose epoch now differs from the recorded one (or is gone)."""
    return sorted(topic for topic, epoch in recorded.items() if now.get(topic) != epoch)
