"""Assemble the report: read everything from the warehouse, render, write one HTML file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clickhouse_connect.driver.client import Client

from liftos.report.curves import ResponseCurves, response_curves
from liftos.report.report_data import (
    ChannelEffectRow,
    DataQuality,
    ModelMetadata,
    Waterfall,
    load_data_quality,
    load_effects,
    load_metadata,
    load_waterfall,
)
from liftos.settings import WarehouseSettings

__all__ = ["ReportData", "load_report", "write_report"]


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, for the latest model version."""

    metadata: ModelMetadata
    effects: tuple[ChannelEffectRow, ...]
    waterfall: Waterfall
    curves: ResponseCurves
    quality: DataQuality
    database: str
    generated_at: datetime


def load_report(client: Client, database: str, *, refit: bool = True) -> ReportData:
    """Read the latest model version and its context from the warehouse ``client`` is bound to.

    Raises:
        NoModelError: no model version is stored yet.
    """
    meta = load_metadata(client)
    effects = load_effects(client, meta)
    return ReportData(
        metadata=meta,
        effects=effects,
        waterfall=load_waterfall(client, meta, effects),
        curves=response_curves(client, meta, effects, refit=refit),
        quality=load_data_quality(client, meta),
        database=database,
        generated_at=datetime.now(UTC),
    )


def write_report(settings: WarehouseSettings, out: Path, *, refit: bool = True) -> ReportData:
    """Render the report of the warehouse at ``settings`` into ``out`` (parents created)."""
    from liftos.report.render import render_html
    from liftos.warehouse.connection import connect

    client = connect(settings)
    try:
        data = load_report(client, settings.database, refit=refit)
    finally:
        client.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    return data
