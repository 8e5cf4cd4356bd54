"""What the ingestor does so that a broker that loses its messages loses nothing it had fetched.

:class:`LandingTracker` runs beside the polls. Every ``landing_check_interval_s`` it

- reads the epochs of the raw, normalized and outcomes topics (:mod:`liftos.streaming.topic_probe`).
  Changed or gone since the cursors were committed means the broker restarted or the topics were
  deleted, and every record not yet in the warehouse is gone: it stops the polls (their next publish
  raises :class:`TopicsReset`), rewinds every cursor to its last *landed* state, recreates the topics
  and marks new epochs; the next polls fetch the lost days again. The stream stages notice the new
  epochs themselves and read the new topics from their earliest offset
  (:class:`liftos.streaming.stage.StageConsumer`);
- moves a checkpoint of the cursors through the normalizer and enricher groups and, once it has
  passed both, records it as landed (:mod:`liftos.integrations.landing`);
- for a broker without retention (``recycle_topics_after``, set by ``liftos up``): when everything has
  landed, every consumer group has committed every message of the raw, normalized, outcomes and
  enriched topics and they hold at least that many messages, deletes and recreates them, which frees
  the embedded broker's memory. Nothing is lost even if a message slipped in meanwhile: the recycle
  changes the epochs like a restart, and the ingestor's own cursors have all landed.

:class:`PublishGate` is how the tracker holds the polls: each poll publishes inside
:meth:`PublishGate.publishing`; a reset or a recycle takes :meth:`PublishGate.exclusive`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Final, Literal

from aiokafka.errors import KafkaError

from liftos.errors import TransientError
from liftos.integrations.cursors import CursorStore
from liftos.integrations.landing import Checkpoint, Hop, Partition, caught_up, epochs_changed
from liftos.observability import Logger
from liftos.streaming.kafka import ensure_topics
from liftos.streaming.topic_probe import EPOCH_GROUP, TopicProbe
from liftos.topics import ALL_TOPICS, ENRICHED, NORMALIZED, OUTCOMES, RAW
from liftos_ingestor import metrics
from liftos_ingestor.settings import IngestorSettings

__all__ = ["LandingTracker", "PublishGate", "StepOutcome", "TopicsReset"]

#: Topics whose offsets a checkpoint relies on: a change of their epochs voids what is in flight.
WATCHED: Final = (RAW.name, NORMALIZED.name, OUTCOMES.name)
#: Topics a recycle deletes and recreates (effects and dead letters are kept).
RECYCLED: Final = (RAW, NORMALIZED, OUTCOMES, ENRICHED)

StepOutcome = Literal["reset", "waiting", "landed", "idle", "recycled", "unreachable"]


class TopicsReset(TransientError):
    """The broker lost the topics' messages while a poll was publishing; the poll stops (its slice is
    not committed) and starts again from the rewound cursors."""


class PublishGate:
    """Polls publish inside :meth:`publishing`; :meth:`exclusive` waits until none does and holds new
    ones back (with ``abort``, a publishing poll's next :meth:`check` raises :class:`TopicsReset`)."""

    def __init__(self) -> None:
        self._active = 0
        self._closed = False
        self._aborting = False
        self._changed: asyncio.Condition | None = None
        self._rewound: asyncio.Event | None = None

    def _condition(self) -> asyncio.Condition:
        self._changed = self._changed or asyncio.Condition()
        return self._changed

    @property
    def idle(self) -> bool:
        """Whether no poll is publishing."""
        return self._active == 0

    def check(self) -> None:
        """Raise :class:`TopicsReset` when the tracker asked publishing polls to stop."""
        if self._aborting:
            raise TopicsReset("the broker lost the topics' messages; the poll starts again from what landed")

    @asynccontextmanager
    async def publishing(self) -> AsyncIterator[None]:
        """Publish inside this block (it waits while the gate is held)."""
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: not self._closed)
            self._active += 1
        try:
            yield
        finally:
            async with changed:
                self._active -= 1
                changed.notify_all()

    async def pause(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep between polls: ``seconds``, or until ``stop``, or until the cursors were rewound (the
        lost days are then fetched at once, not at the next interval)."""
        self._rewound = self._rewound or asyncio.Event()
        waits = {asyncio.create_task(stop.wait()), asyncio.create_task(self._rewound.wait())}
        _, pending = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    def rewound(self) -> None:
        """Wake every :meth:`pause` (the tracker has rewound the cursors)."""
        if self._rewound is not None:
            self._rewound.set()
        self._rewound = asyncio.Event()

    @asynccontextmanager
    async def exclusive(self, *, abort: bool = False) -> AsyncIterator[None]:
        """Hold every poll back for the block, once the publishing ones have finished (or stopped)."""
        changed = self._condition()
        async with changed:
            self._closed, self._aborting = True, abort
            await changed.wait_for(lambda: self._active == 0)
        try:
            yield
        finally:
            async with changed:
                self._closed = self._aborting = False
                changed.notify_all()


class LandingTracker:
    """Confirms landed cursors, rewinds them after a broker reset, recycles drained topics (module doc)."""

    def __init__(
        self, settings: IngestorSettings, store: CursorStore, gate: PublishGate, log: Logger
    ) -> None:
        self._settings = settings
        self._store = store
        self._gate = gate
        self._log = log
        self._hops = (
            Hop(settings.normalizer_group, (RAW.name,)),
            Hop(settings.enricher_group, (NORMALIZED.name, OUTCOMES.name)),
        )
        self._checkpoint: Checkpoint | None = None

    def _probe(self) -> TopicProbe:
        return TopicProbe(self._settings.kafka, "landing")

    async def reconcile(self) -> None:
        """At start-up: rewind when the topics changed since the cursors were committed; mark epochs."""
        async with self._probe() as probe:
            recorded = self._store.epochs
            if recorded and epochs_changed(recorded, await probe.epochs(WATCHED)):
                await self._reset(probe)
            else:  # unchanged, or the first run with epochs: keep every cursor
                self._store.set_epochs(await probe.ensure_epochs(WATCHED))

    async def run(self, stop: asyncio.Event) -> None:
        """Call :meth:`step` every ``landing_check_interval_s`` until ``stop``."""
        while not stop.is_set():
            await self.step()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.landing_check_interval_s)

    async def step(self) -> StepOutcome:
        """One look at the topics (see the module doc); never raises for an unreachable broker."""
        try:
            async with self._probe() as probe:
                return await self._step(probe)
        except (KafkaError, OSError, TimeoutError) as error:
            self._log.debug("landing check skipped: broker unreachable", error=repr(error))
            return "unreachable"

    async def _step(self, probe: TopicProbe) -> StepOutcome:
        if epochs_changed(self._store.epochs, await probe.epochs(WATCHED)):
            await self._reset(probe)
            return "reset"
        if self._checkpoint is None:
            snapshot = self._store.snapshot()
            if snapshot == self._store.landed():
                return await self._recycle(probe)
            await probe.mark_epochs(self._store.epochs)  # keeps the marks from expiring on Kafka
            ends = await self._ends(probe, self._hops[0])
            self._checkpoint = Checkpoint(snapshot, self._store.epochs, 0, ends)
        while self._checkpoint is not None:
            checkpoint = self._checkpoint
            hop = self._hops[checkpoint.hop]
            if not caught_up(await probe.committed(hop.group, list(checkpoint.ends)), checkpoint.ends):
                return "waiting"
            if checkpoint.hop + 1 < len(self._hops):
                self._checkpoint = checkpoint.next_hop(
                    await self._ends(probe, self._hops[checkpoint.hop + 1])
                )
                continue
            if epochs_changed(checkpoint.epochs, await probe.epochs(WATCHED)):
                return "waiting"  # the next step resets
            self._store.mark_landed(checkpoint.states)
            self._checkpoint = None
            metrics.LANDED.set(time.time())
        return "landed"

    async def _ends(self, probe: TopicProbe, hop: Hop) -> dict[Partition, int]:
        return await probe.end_offsets(await probe.partitions(hop.topics))

    async def _reset(self, probe: TopicProbe) -> None:
        """Stop the polls, rewind every cursor to what landed, recreate the topics and mark new epochs."""
        async with self._gate.exclusive(abort=True):
            moved = self._store.rewind()
            await ensure_topics(self._settings.kafka, ALL_TOPICS)
            # a restarted Tansu creates a topic any client asks for, with 4 partitions: everything on it
            # came after the reset (the cursors were just rewound before it), so give it its own shape
            misshapen = await probe.misshapen(ALL_TOPICS)
            if misshapen:
                await probe.recreate(misshapen)
            self._store.set_epochs(await probe.ensure_epochs(WATCHED))
            self._checkpoint = None
        self._gate.rewound()
        metrics.TOPIC_RESETS.inc()
        self._log.warning(
            "the broker lost the topics' messages (restarted, or topics deleted): cursors rewound to "
            "what has landed in the warehouse; the lost days are fetched again",
            streams=len(moved),
            rewound={
                before.key: after.cursor.isoformat() if after and after.cursor else None
                for before, after in moved
            },
        )

    async def _recycle(self, probe: TopicProbe) -> StepOutcome:
        """Delete and recreate the drained topics when they hold enough messages (module doc)."""
        threshold = self._settings.recycle_topics_after
        if threshold <= 0 or not self._gate.idle:
            return "idle"
        ends = await probe.end_offsets(await probe.partitions(spec.name for spec in RECYCLED))
        held = sum(ends.values())
        if held < threshold or not await self._drained(probe, ends):
            return "idle"
        async with self._gate.exclusive():
            if await probe.end_offsets(list(ends)) != ends:
                return "idle"  # a message arrived after all: next time
            await probe.recreate(RECYCLED)
            self._store.set_epochs(await probe.ensure_epochs(WATCHED))
            metrics.TOPIC_RECYCLES.inc()
            self._log.info("recycled drained topics", messages=held, topics=[spec.name for spec in RECYCLED])
            await asyncio.sleep(self._settings.recycle_settle_s)  # every stage sees the new epochs first
        return "recycled"

    async def _drained(self, probe: TopicProbe, ends: dict[Partition, int]) -> bool:
        """Whether the stages have consumed their topics to the end, and every other consumer group that
        committed on any of these topics has committed all of that topic's messages."""
        wanted = {hop.group: set(hop.topics) for hop in self._hops}
        for group in sorted(set(await probe.groups()) | set(wanted)):
            if group == EPOCH_GROUP:
                continue
            committed = await probe.committed(group, list(ends))
            topics = wanted.get(group, set()) | {
                topic for (topic, _), offset in committed.items() if offset is not None
            }
            if not caught_up(committed, {tp: end for tp, end in ends.items() if tp[0] in topics}):
                return False
        return True
