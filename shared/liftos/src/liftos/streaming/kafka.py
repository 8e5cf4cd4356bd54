"""aiokafka producer, consumer and admin helpers configured from :class:`KafkaSettings`.

Delivery is at-least-once with idempotent sinks: producers wait for ``acks="all"``, consumers never
auto-commit, and a stage commits an input offset only after everything it produced from that input
is acknowledged by the broker (see :func:`publish` and :mod:`liftos.streaming.batches`). Idempotent and
transactional producers are deliberately not used: the local Tansu broker rejects aiokafka's
``InitProducerId`` v0 request, and the warehouse collapses redeliveries by natural key anyway.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from liftos.errors import TransientError, connection_reason
from liftos.events import Event
from liftos.settings import KafkaSettings
from liftos.streaming.codec import encode
from liftos.topics import ALL_TOPICS, TopicSpec

__all__ = [
    "UNREACHABLE_FIX",
    "LazyProducer",
    "client_options",
    "ensure_topics",
    "make_consumer",
    "make_producer",
    "partition_of",
    "publish",
    "publish_raw",
    "wait_for_broker",
]


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Connection and security options shared by producers, consumers and admin clients."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
        "request_timeout_ms": settings.request_timeout_ms,
    }
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(
            cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None
        )
    if settings.security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.sasl_mechanism or "PLAIN"
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return options


def make_producer(
    settings: KafkaSettings, *, client_suffix: str = "producer", **overrides: Any
) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas and batches for throughput (not started)."""
    options = client_options(settings) | {
        "client_id": f"{settings.client_id}-{client_suffix}",
        "acks": "all",
        "linger_ms": 5,
        "max_batch_size": 256 * 1024,
        "max_request_size": 8 * 1024 * 1024,
    }
    return AIOKafkaProducer(**(options | overrides))


def make_consumer(settings: KafkaSettings, *topics: str, group_id: str, **overrides: Any) -> AIOKafkaConsumer:
    """A group consumer with manual commits, reading from the earliest offset (not started)."""
    options = client_options(settings) | {
        "client_id": f"{settings.client_id}-{group_id}",
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
        "rebalance_timeout_ms": settings.rebalance_timeout_ms,
        "max_partition_fetch_bytes": 4 * 1024 * 1024,
    }
    return AIOKafkaConsumer(*topics, **(options | overrides))


async def ensure_topics(settings: KafkaSettings, specs: Iterable[TopicSpec]) -> None:
    """Create each topic and its dead-letter topic if missing (idempotent)."""
    wanted: dict[str, int] = {}
    for spec in specs:
        wanted[spec.name] = spec.partitions
        wanted[spec.dead_letters] = 1
    admin = AIOKafkaAdminClient(**client_options(settings), client_id=f"{settings.client_id}-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=partitions, replication_factor=settings.replication_factor)
            for name, partitions in wanted.items()
            if name not in existing
        ]
        if missing:
            # another service may create them between our list and create
            with suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


def partition_of(key: bytes, partitions: int) -> int:
    """Partition of a keyed message: CRC-32 of the key modulo the partition count (stable across runs).

    Every LiftOS producer uses this, so all versions of one natural key land on one partition.
    """
    return zlib.crc32(key) % partitions


async def publish(producer: AIOKafkaProducer, spec: TopicSpec, values: Sequence[Event]) -> int:
    """Send ``values`` to ``spec``'s topic, keyed by natural key, and wait until all are acknowledged.

    Messages are grouped per partition into producer batches (one delivery future per batch, not per
    message), which is several times cheaper than one ``send`` per message.

    Returns:
        The number of messages acknowledged.
    """
    messages = [(spec.key_of(value), encode(value)) for value in values]
    return await publish_raw(producer, spec.name, messages)


async def publish_raw(
    producer: AIOKafkaProducer,
    topic: str,
    messages: Sequence[tuple[bytes | None, bytes]],
    headers: Sequence[Sequence[tuple[str, bytes]]] | None = None,
) -> int:
    """Send already-encoded ``(key, value)`` messages to ``topic`` and wait for every acknowledgement.

    Args:
        headers: Optional headers per message (same length as ``messages``).
    """
    if not messages:
        return 0
    partitions = sorted(await producer.partitions_for(topic))
    per_partition: dict[int, list[int]] = {}
    for index, (key, _) in enumerate(messages):
        slot = partition_of(key, len(partitions)) if key is not None else index % len(partitions)
        per_partition.setdefault(partitions[slot], []).append(index)
    futures = []
    for partition, indexes in per_partition.items():
        batch = producer.create_batch()
        for index in indexes:
            key, value = messages[index]
            extra = headers[index] if headers else None
            if batch.append(key=key, value=value, timestamp=None, headers=extra) is None:
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None, headers=extra) is None:
                    raise ValueError(f"message of {len(value)} bytes exceeds the producer's batch size")
        futures.append(await producer.send_batch(batch, topic, partition=partition))
    await asyncio.gather(*futures)
    return len(messages)


@contextmanager
def _quiet_client_logs() -> Iterator[None]:
    """aiokafka's own error lines silenced for the duration (its level restored after)."""
    client_log = logging.getLogger("aiokafka")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        client_log.setLevel(level)


async def _tcp_reason(servers: str, error: Exception | None) -> str:
    """Why the first bootstrap server did not answer: the socket's reason, or that it accepts TCP
    but does not answer as Kafka (aiokafka's bootstrap error keeps no reason)."""
    host, _, port = servers.split(",")[0].strip().rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), 2.0)
    except (OSError, TimeoutError, ValueError) as failure:
        return connection_reason(failure) if isinstance(failure, OSError) else "no answer"
    writer.close()
    return "it accepts connections but does not answer as Kafka" if error is not None else "no answer"


#: What to do when no broker answers.
UNREACHABLE_FIX = (
    "start the embedded stack (liftos up) or a broker (liftos broker), or point "
    "LIFTOS_KAFKA__BOOTSTRAP_SERVERS at your Kafka cluster"
)


async def wait_for_broker(settings: KafkaSettings, timeout_s: float | None = None) -> None:
    """Block until the cluster answers a metadata request, or raise :class:`TransientError`.

    Args:
        timeout_s: Longest wait (default ``settings.connect_timeout_s``).
    """
    timeout_s = settings.connect_timeout_s if timeout_s is None else timeout_s
    deadline = asyncio.get_running_loop().time() + timeout_s
    last_error: Exception | None = None
    with _quiet_client_logs():  # every refused probe is expected; the outcome is reported once
        while asyncio.get_running_loop().time() < deadline:
            admin = AIOKafkaAdminClient(**client_options(settings), client_id=f"{settings.client_id}-probe")
            try:
                await admin.start()
                await admin.list_topics()
                return
            except (KafkaConnectionError, OSError) as error:
                last_error = error
                await asyncio.sleep(0.2)
            finally:
                await admin.close()
    reason = await _tcp_reason(settings.bootstrap_servers, last_error)
    raise TransientError(
        f"no Kafka broker answers at {settings.bootstrap_servers} after {timeout_s:g} s ({reason})",
        fix=UNREACHABLE_FIX,
    )


class LazyProducer:
    """One producer per process, created and started on first use inside the running event loop.

    aiokafka clients must be created inside the loop that uses them, and a stream stage handles
    several batches concurrently, so creation is guarded by a lock: every batch shares one producer.
    The topics (and their dead-letter topics) are ensured once, before the first send.
    """

    def __init__(self, settings: KafkaSettings, client_suffix: str) -> None:
        self._settings = settings
        self._client_suffix = client_suffix
        self._producer: AIOKafkaProducer | None = None
        self._lock: asyncio.Lock | None = None

    async def get(self) -> AIOKafkaProducer:
        """The started producer."""
        if self._producer is not None:
            return self._producer
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._producer is None:
                await ensure_topics(self._settings, ALL_TOPICS)
                producer = make_producer(self._settings, client_suffix=self._client_suffix)
                await producer.start()
                self._producer = producer
        return self._producer
