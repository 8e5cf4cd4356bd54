"""Bad input: every topic consumer dead-letters 100 % of malformed messages and keeps streaming.

The normalizer (raw topic) and the enricher (normalized and outcomes topics) run as real processes
against the session Tansu broker and warehouse. Each topic gets the same junk: random bytes (part of
them from hypothesis, derandomized), truncated JSON, wrong types, an oversized (900 KB) payload, JSON
nested 10,000 deep, non-UTF-8 bytes, empty and null values, null keys (and, on the raw topic, valid
envelopes whose payloads do not map). Every junk message must reach ``<topic>.dlq`` with its original
key and bytes and a ``liftos.dlq.reason`` header (matched by the original topic/partition/offset
headers), and a valid message sent after the junk must still reach the warehouse.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from liftos.events import StoreOutcomeRow
from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.codec import encode
from liftos.streaming.kafka import ensure_topics, make_producer
from liftos.topics import ALL_TOPICS, NORMALIZED, OUTCOMES, RAW, dead_letter_topic
from liftos.warehouse.connection import connect
from liftos_devstack.broker import free_port
from tests.factories import canonical_row_event, make_normalized_row, make_raw_event
from tests.fixtures.warehouse import WarehouseEndpoint
from tests.reliability.support import (
    ServiceProcess,
    http_ok,
    read_topic,
    start_service,
    stop_process,
    wait_until,
)

Message = tuple[bytes | None, bytes | None]
HYPOTHESIS_EXAMPLES = 40


@dataclass
class Stages:
    kafka: KafkaSettings
    warehouse: WarehouseSettings
    normalizer: ServiceProcess
    enricher: ServiceProcess


@pytest.fixture(scope="module")
def stages(
    kafka_settings: KafkaSettings,
    warehouse_server: WarehouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stages]:
    directory = tmp_path_factory.mktemp("bad-input")
    warehouse = WarehouseSettings(
        host=warehouse_server.host, port=warehouse_server.port, database=f"t_{uuid.uuid4().hex[:12]}"
    )
    asyncio.run(ensure_topics(kafka_settings, ALL_TOPICS))
    tag = uuid.uuid4().hex[:8]
    common = {
        "LIFTOS_MODE": "embedded",
        "LIFTOS_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "LIFTOS_WAREHOUSE__HOST": warehouse.host,
        "LIFTOS_WAREHOUSE__PORT": str(warehouse.port),
        "LIFTOS_WAREHOUSE__DATABASE": warehouse.database,
        "LIFTOS_BATCH_WINDOW_S": "0.1",
    }
    started: list[ServiceProcess] = []
    try:
        for name in ("normalizer", "enricher"):
            env = common | {
                "LIFTOS_APP_ID": f"bad-input-app-{name}-{tag}",
                "LIFTOS_CONSUMER_GROUP": f"bad-input-{name}-{tag}",
                "LIFTOS_DATA_DIR": str(directory / name),
            }
            started.append(start_service(name, env, free_port(), directory / f"{name}.log"))
        for service in started:
            wait_until(
                lambda s=service: http_ok(s.health_url) or s.process.poll() is not None,  # type: ignore[misc]
                60,
                f"{service.name} healthy",
            )
            assert service.process.poll() is None, service.log_text()[-4000:]
        yield Stages(kafka_settings, warehouse, started[0], started[1])
    finally:
        for service in started:
            stop_process(service.process)


def _json(value: object) -> bytes:
    """Stdlib JSON (big integers and ``Infinity`` allowed: also junk a consumer must survive)."""
    return json.dumps(value).encode()


def _hypothesis_junk(examples: int) -> list[Message]:
    """Derandomized hypothesis examples of junk: arbitrary bytes, and JSON of the wrong shape or types."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    json_values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    )
    wrong_typed_event = st.fixed_dictionaries(
        {
            "source": st.integers() | st.lists(st.integers(), max_size=2),
            "date": st.text(max_size=12),
            "spend": st.text(max_size=8),
            "version": st.text(max_size=8) | st.floats(allow_nan=False),
        }
    )
    values = st.binary(max_size=2_000) | json_values.map(_json) | wrong_typed_event.map(_json)
    keys = st.none() | st.binary(max_size=40)
    found: list[Message] = []

    @settings(
        derandomize=True,
        database=None,
        max_examples=examples,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(st.tuples(keys, values))
    def collect(message: Message) -> None:
        found.append(message)

    collect()
    return found


def _crafted_junk(valid: bytes) -> list[Message]:
    """Hand-made malformed messages, each one a class of bad input."""
    nested = b"[" * 10_000 + b"]" * 10_000
    oversized = b'{"payload": "' + b"x" * 900_000 + b'"}'
    return [
        (b"random", bytes(range(256)) * 4),
        (b"truncated", valid[: len(valid) // 2]),
        (b"truncated-1", valid[:-1]),
        (
            b"wrong-types",
            orjson.dumps({"date": 20250101, "source": ["meta"], "spend": "lots", "version": "x"}),
        ),
        (b"array", b"[1, 2, 3]"),
        (b"scalar", b"42"),
        (b"json-null", b"null"),
        (b"oversized", oversized),
        (b"nested", nested),
        (b"nested-objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
        (b"non-utf8", b'{"source": "\xff\xfe\xc3\x28", "date": "\xed\xa0\x80"}'),
        (b"bom", b"\xef\xbb\xbf" + valid),
        (b"empty", b""),
        (b"tombstone", None),
        (None, b"\x00\x01garbage with a null key"),
        (None, b""),  # (aiokafka refuses to send a null key with a null value)
    ]


def _raw_semantic_junk() -> list[Message]:
    """Valid raw envelopes whose payloads do not map (unknown source, wrong payload)."""
    return [
        (b"unknown-source", encode(make_raw_event({"x": 1}, source="nosuchsource"))),
        (b"bad-payload", encode(make_raw_event({"date": "not a date", "spend": -1}))),
    ]


async def _send(kafka: KafkaSettings, topic: str, messages: list[Message]) -> list[tuple[int, int]]:
    """Send ``messages`` in order; returns each one's (partition, offset)."""
    producer = make_producer(kafka, client_suffix="fuzz")
    await producer.start()
    try:
        positions = []
        for key, value in messages:
            metadata = await (await producer.send(topic, value=value, key=key))
            positions.append((metadata.partition, metadata.offset))
        return positions
    finally:
        await producer.stop()


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers:
        if key == f"liftos.dlq.{name}":
            return bytes(value).decode()
    return None


def _dead_letters_of(records: list[ConsumerRecord[bytes, bytes]], topic: str) -> dict[tuple[int, int], Any]:
    return {
        (int(_header(r, "partition") or -1), int(_header(r, "offset") or -1)): r
        for r in records
        if _header(r, "topic") == topic
    }


def _fuzz(stages: Stages, topic: str, junk: list[Message], valid: Message, landed: Any) -> None:
    positions = asyncio.run(_send(stages.kafka, topic, [*junk, valid]))
    wanted = set(positions[:-1])

    def all_dead_lettered(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return wanted <= set(_dead_letters_of(records, topic))

    records = asyncio.run(
        read_topic(stages.kafka, dead_letter_topic(topic), done=all_dead_lettered, timeout_s=40)
    )
    letters = _dead_letters_of(records, topic)
    missing = [(junk[positions.index(p)][0], p) for p in wanted - set(letters)]
    logs = stages.normalizer.log_text()[-3000:] + stages.enricher.log_text()[-3000:]
    assert not missing, f"not dead-lettered: {missing}\n{logs}"
    for (key, value), position in zip(junk, positions, strict=False):
        letter = letters[position]
        assert letter.key == key
        assert letter.value == (value or b""), f"dead letter of {key!r} does not keep the original bytes"
        assert _header(letter, "reason"), f"dead letter of {key!r} has no reason"
    assert positions[-1] not in letters, f"the valid message was dead-lettered: {positions[-1]}"
    wait_until(landed, 30, f"the valid message sent after the junk on {topic} to reach the warehouse")
    for service in (stages.normalizer, stages.enricher):
        assert service.process.poll() is None, f"{service.name} exited:\n{service.log_text()[-4000:]}"
        assert http_ok(service.health_url)


def _count(stages: Stages, sql: str, **parameters: Any) -> int:
    client = connect(stages.warehouse)
    try:
        return int(client.query(sql, parameters=parameters).result_rows[0][0])
    finally:
        client.close()


def test_the_normalizer_dead_letters_all_junk_on_the_raw_topic_and_keeps_streaming(stages: Stages) -> None:
    campaign = f"valid-after-junk-{uuid.uuid4().hex[:8]}"
    valid_event = canonical_row_event(date(2025, 3, 1), campaign_id=campaign)
    junk = _crafted_junk(encode(valid_event)) + _raw_semantic_junk() + _hypothesis_junk(HYPOTHESIS_EXAMPLES)
    _fuzz(
        stages,
        RAW.name,
        junk,
        (valid_event.idempotency_key.encode(), encode(valid_event)),
        lambda: (
            _count(
                stages, "SELECT count() FROM marketing_daily FINAL WHERE campaign_id = {c:String}", c=campaign
            )
            == 1
        ),
    )


def test_the_enricher_dead_letters_all_junk_on_the_normalized_topic_and_keeps_streaming(
    stages: Stages,
) -> None:
    campaign = f"valid-after-junk-{uuid.uuid4().hex[:8]}"
    row = make_normalized_row(date(2025, 3, 2), campaign_id=campaign)
    junk = _crafted_junk(encode(row)) + _hypothesis_junk(HYPOTHESIS_EXAMPLES)
    _fuzz(
        stages,
        NORMALIZED.name,
        junk,
        (NORMALIZED.key_of(row), encode(row)),
        lambda: (
            _count(
                stages, "SELECT count() FROM marketing_daily FINAL WHERE campaign_id = {c:String}", c=campaign
            )
            == 1
        ),
    )


def test_the_enricher_dead_letters_all_junk_on_the_outcomes_topic_and_keeps_streaming(stages: Stages) -> None:
    account = f"valid-after-junk-{uuid.uuid4().hex[:8]}"
    outcome = StoreOutcomeRow(
        date=date(2025, 3, 3),
        source="canonical",
        account_id=account,
        orders=3,
        revenue=99.5,
        currency="USD",
        event_id=account,
        version=int(datetime.now(UTC).timestamp() * 1000),
    )
    junk = _crafted_junk(encode(outcome)) + _hypothesis_junk(HYPOTHESIS_EXAMPLES)
    _fuzz(
        stages,
        OUTCOMES.name,
        junk,
        (OUTCOMES.key_of(outcome), encode(outcome)),
        lambda: (
            _count(
                stages, "SELECT count() FROM store_outcomes FINAL WHERE account_id = {a:String}", a=account
            )
            == 1
        ),
    )


def test_the_hypothesis_junk_is_reproducible() -> None:
    """The generated junk is derandomized: the same bytes every run, so a failure replays exactly."""
    assert _hypothesis_junk(10) == _hypothesis_junk(10)
