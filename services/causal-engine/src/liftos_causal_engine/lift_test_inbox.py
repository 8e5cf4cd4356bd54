"""Recorded lift tests, from the topic ``liftos.lift_tests.v1`` into the warehouse's ``lift_tests``.

``liftos lift-test add`` publishes each test to the topic; the engine moves them into the warehouse
(where every refit reads all of them) and commits the offsets only after the insert; a message that is
not a valid :class:`~liftos.events.LiftTestRecord` goes to ``liftos.lift_tests.v1.dlq`` with the reason.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from clickhouse_connect.driver.client import Client

from liftos.errors import DataError
from liftos.events import LiftTestRecord
from liftos.observability import Logger
from liftos.streaming.codec import decode
from liftos.streaming.dead_letters import DeadLetterSink
from liftos.streaming.messages import DeadLetter, Inbound
from liftos.warehouse.connection import insert_events

__all__ = ["LiftTestInbox"]


class LiftTestInbox:
    """Drains the lift-test topic into the warehouse (at-least-once; the table collapses repeats)."""

    def __init__(self, consumer: AIOKafkaConsumer, client: Client, dead_letters: DeadLetterSink, log: Logger):
        self._consumer = consumer
        self._client = client
        self._dead_letters = dead_letters
        self._log = log

    async def drain(self, timeout_ms: int = 200) -> int:
        """Store what the topic holds now; returns the number of tests recorded."""
        batches = await self._consumer.getmany(timeout_ms=timeout_ms)
        messages = [
            Inbound(r.topic, r.partition, r.offset, r.key, r.value)
            for records in batches.values()
            for r in records
        ]
        if not messages:
            return 0
        tests: list[LiftTestRecord] = []
        refused: list[DeadLetter] = []
        for message in messages:
            try:
                tests.append(decode(LiftTestRecord, message.value))
            except DataError as error:
                refused.append(message.refuse(str(error)))
        await asyncio.to_thread(insert_events, self._client, tests)
        if refused:
            await self._dead_letters.send_all(refused)
        await self._consumer.commit()
        self._log.info("lift tests recorded", tests=len(tests), refused=len(refused))
        return len(tests)
