"""Typed row I/O: rows inserted as their encoded message bytes read back exactly as column inserts do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from liftos.events import EffectUpdate, EnrichedRow, Event
from liftos.pipeline.enrich import enrich_row
from liftos.settings import WarehouseSettings
from liftos.streaming.codec import encode
from liftos.warehouse import migrations
from liftos.warehouse.connection import connect, connect_async, insert_encoded_async, insert_events
from tests.factories import make_normalized_row


def _awkward_rows() -> list[EnrichedRow]:
    """Rows whose values stress a text format: quotes, newlines, unicode, tiny and huge amounts, maps."""
    return [
        enrich_row(
            make_normalized_row(
                day=date(2024, 11, 28),  # Thanksgiving: a holiday name
                campaign='Black "Friday"\nteaser \\ ünïcødé 🚀',
                spend=0.1 + 0.2,
                revenue=123456789012.345,
                conversions=1e-9,
                extras={"reach": 12345.0, "video_p100": 0.5},
                event_id="e-awkward",
            ),
            "US",
        ),
        enrich_row(make_normalized_row(day=date(2025, 6, 7), campaign_id="c2", event_id="e-plain"), "US"),
    ]


def _effect() -> EffectUpdate:
    return EffectUpdate(
        model_version=3,
        trained_at=datetime(2025, 12, 31, 23, 59, 58, 123000, tzinfo=UTC),
        window_start=date(2025, 1, 1),
        window_end=date(2025, 12, 31),
        channel="meta",
        spend=1000.0,
        revenue_lift=2500.5,
        ci_lower=1800.25,
        ci_upper=3100.75,
        confidence_level=0.95,
        p_value=0.001,
        incremental_roas=2.5005,
        marginal_roas=1.25,
        method="mmm",
    )


def _read_back(settings: WarehouseSettings, model: type[Event]) -> list[tuple[Any, ...]]:
    assert model.TABLE is not None
    client = connect(settings)
    rows = client.query(f"SELECT * FROM {model.TABLE.name} ORDER BY {model.NATURAL_KEY[0]}").result_rows
    client.command(f"TRUNCATE TABLE {model.TABLE.name}")
    return rows


async def test_encoded_rows_land_exactly_like_column_inserts(warehouse_settings: WarehouseSettings) -> None:
    migrations.apply_migrations(connect(warehouse_settings, use_database=False), warehouse_settings.database)
    client = connect(warehouse_settings)
    async_client = await connect_async(warehouse_settings)
    for model, rows in ((EnrichedRow, _awkward_rows()), (EffectUpdate, [_effect()])):
        insert_events(client, rows)
        by_columns = _read_back(warehouse_settings, model)
        written = await insert_encoded_async(async_client, model, [encode(row) for row in rows])
        assert written == len(rows)
        assert _read_back(warehouse_settings, model) == by_columns
        assert len(by_columns) == len(rows)
    await async_client.close()


async def test_an_empty_batch_sends_nothing(warehouse_settings: WarehouseSettings) -> None:
    migrations.apply_migrations(connect(warehouse_settings, use_database=False), warehouse_settings.database)
    async_client = await connect_async(warehouse_settings)
    assert await insert_encoded_async(async_client, EnrichedRow, []) == 0
    await async_client.close()
