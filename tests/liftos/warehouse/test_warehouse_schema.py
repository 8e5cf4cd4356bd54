"""DDL derived from the models, idempotent migrations, and rewrite collapse, against the real chdb engine."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import pytest
from pydantic import Field

from liftos.events import EnrichedRow, Event, StoreOutcomeRow, TableSpec
from liftos.pipeline.enrich import enrich_row
from liftos.settings import WarehouseSettings
from liftos.warehouse import ddl, migrations, restatements
from liftos.warehouse.connection import connect, insert_events
from tests.factories import make_normalized_row


def test_every_table_model_gets_ddl_with_its_natural_key() -> None:
    for model in ddl.table_models():
        sql = ddl.create_table_sql(model, "db")
        assert model.TABLE is not None and f"`db`.`{model.TABLE.name}`" in sql
        assert "ReplacingMergeTree" in sql
        assert all(f"`{name}`" in sql.split("ORDER BY")[1] for name in model.NATURAL_KEY)
        assert set(ddl.column_types(model)) == set(model.model_fields)


def test_types_follow_annotations() -> None:
    columns = ddl.column_types(EnrichedRow)
    assert columns["channel"] == "LowCardinality(String)"
    assert columns["date"] == "Date32"
    assert columns["extras"] == "Map(String, Float64)"
    assert columns["is_holiday"] == "Bool"
    assert ddl.column_types(StoreOutcomeRow)["orders"] == "Int64"


def test_migrations_create_then_do_nothing(warehouse_settings: WarehouseSettings) -> None:
    admin = connect(warehouse_settings, use_database=False)
    first = migrations.apply_migrations(admin, warehouse_settings.database)
    assert len(first) == len(ddl.table_models()) + len(restatements.OBJECTS)
    assert migrations.apply_migrations(admin, warehouse_settings.database) == []
    live = connect(warehouse_settings).query("SHOW TABLES").result_rows
    models = {m.TABLE.name for m in ddl.table_models() if m.TABLE}
    assert {row[0] for row in live} == models | set(restatements.OBJECTS)


class _OutcomeV2(StoreOutcomeRow):
    TABLE: ClassVar[TableSpec | None] = StoreOutcomeRow.TABLE
    new_customers: int = Field(default=0, ge=0)


def test_a_new_model_field_becomes_a_new_column(
    warehouse_settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = connect(warehouse_settings, use_database=False)
    migrations.apply_migrations(admin, warehouse_settings.database)
    models: tuple[type[Event], ...] = (EnrichedRow, _OutcomeV2)
    monkeypatch.setattr(migrations, "table_models", lambda: models)
    statements = migrations.apply_migrations(admin, warehouse_settings.database)
    assert len(statements) == 1 and "ADD COLUMN IF NOT EXISTS `new_customers` Int64" in statements[0]
    assert migrations.apply_migrations(admin, warehouse_settings.database) == []


def test_rewrites_of_a_natural_key_collapse_to_the_newest_version(
    warehouse_settings: WarehouseSettings,
) -> None:
    migrations.apply_migrations(connect(warehouse_settings, use_database=False), warehouse_settings.database)
    client = connect(warehouse_settings)
    day = date(2025, 3, 1)
    original = enrich_row(make_normalized_row(day=day, spend=10.0, version=1), "US")
    restated = enrich_row(make_normalized_row(day=day, spend=12.5, version=2), "US")
    other = enrich_row(make_normalized_row(day=day, campaign_id="c2", spend=1.0, version=1), "US")
    insert_events(client, [original, other])
    insert_events(client, [restated])
    insert_events(client, [original])  # a late redelivery of the old version must not win
    rows = client.query(
        "SELECT campaign_id, spend FROM marketing_daily FINAL ORDER BY campaign_id"
    ).result_rows
    assert rows == [("c1", 12.5), ("c2", 1.0)]
    assert client.query("SELECT count() FROM marketing_daily").result_rows[0][0] >= 3
    client.command("OPTIMIZE TABLE marketing_daily FINAL")  # the old version is gone from the table,
    assert restatements.restated_rows(client) == {"canonical": 1}  # not from the restatement log


class _MonthlyRow(EnrichedRow):
    TABLE: ClassVar[TableSpec | None] = TableSpec(name="marketing_daily", partition_by="toYYYYMM(date)")


def test_a_table_with_an_older_layout_is_reported_not_rebuilt(warehouse_settings: WarehouseSettings) -> None:
    admin = connect(warehouse_settings, use_database=False)
    migrations.apply_migrations(admin, warehouse_settings.database)
    assert migrations.layout_differences(admin, warehouse_settings.database) == []
    (line,) = migrations.layout_differences(admin, warehouse_settings.database, [_MonthlyRow])
    assert "marketing_daily is partitioned by 'toYear(date)', the model by 'toYYYYMM(date)'" in line
