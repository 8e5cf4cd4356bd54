"""The same Kafka and warehouse code against the production components (Apache Kafka, ClickHouse server).

Needs a Docker engine (testcontainers); skipped with a reason where none answers a ping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest

from liftos.pipeline.enrich import enrich_row
from liftos.settings import KafkaSettings, WarehouseSettings
from liftos.streaming.kafka import ensure_topics, make_consumer, make_producer, publish
from liftos.topics import RAW
from liftos.warehouse.connection import connect, insert_events
from liftos.warehouse.migrations import apply_migrations
from tests.factories import canonical_row_event, make_normalized_row

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def kafka() -> Iterator[KafkaSettings]:
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer("confluentinc/cp-kafka:7.6.1").with_kraft() as container:
        yield KafkaSettings(bootstrap_servers=container.get_bootstrap_server())


@pytest.fixture(scope="module")
def clickhouse() -> Iterator[WarehouseSettings]:
    from pydantic import SecretStr
    from testcontainers.clickhouse import ClickHouseContainer

    with ClickHouseContainer("clickhouse/clickhouse-server:25.8") as container:
        yield WarehouseSettings(
            host=container.get_container_host_ip(),
            port=int(container.get_exposed_port(8123)),
            username=container.username,
            password=SecretStr(container.password),
            database="liftos",
        )


def test_round_trip_through_apache_kafka(kafka: KafkaSettings) -> None:
    async def run() -> int:
        await ensure_topics(kafka, [RAW])
        producer = make_producer(kafka)
        await producer.start()
        try:
            await publish(
                producer,
                RAW,
                [canonical_row_event(date(2025, 1, 1), campaign_id=f"c{i}") for i in range(100)],
            )
        finally:
            await producer.stop()
        consumer = make_consumer(kafka, RAW.name, group_id="tc")
        await consumer.start()
        seen = 0
        try:
            async with asyncio.timeout(60):
                while seen < 100:
                    seen += sum(len(r) for r in (await consumer.getmany(timeout_ms=1000)).values())
        finally:
            await consumer.stop()
        return seen

    assert asyncio.run(run()) == 100


def test_migrations_and_rewrites_on_a_clickhouse_server(clickhouse: WarehouseSettings) -> None:
    apply_migrations(connect(clickhouse, use_database=False), clickhouse.database)
    assert apply_migrations(connect(clickhouse, use_database=False), clickhouse.database) == []
    client = connect(clickhouse)
    insert_events(client, [enrich_row(make_normalized_row(spend=1.0, version=1), "US")])
    insert_events(client, [enrich_row(make_normalized_row(spend=2.0, version=2), "US")])
    assert client.query("SELECT spend FROM marketing_daily FINAL").result_rows == [(2.0,)]
