"""Assemble the report: read everything from the warehouse, render, write one HTML file."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from liftos.events import Recommendation
from liftos.report.curves import ResponseCurves, fitted_curves, response_curves
from liftos.report.report_data import (
    ChannelEffectRow,
    DataQuality,
    HistoryPoint,
    ModelMetadata,
    Waterfall,
    load_data_quality,
    load_effects,
    load_history,
    load_metadata,
    load_waterfall,
)
from liftos.settings import WarehouseSettings

if TYPE_CHECKING:
    from liftos.causal.results import CausalResults

__all__ = ["ReportData", "load_report", "write_report"]


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, for the latest model version: ``recommendations`` are its budget
    plan and experiment rows (empty when none were published), ``plan_note`` says where they came
    from."""

    metadata: ModelMetadata
    effects: tuple[ChannelEffectRow, ...]
    waterfall: Waterfall
    curves: ResponseCurves
    quality: DataQuality
    database: str
    generated_at: datetime
    recommendations: tuple[Recommendation, ...] = ()
    plan_note: str = ""
    history: tuple[HistoryPoint, ...] = ()


_log = structlog.get_logger("liftos.report.build")


def _published_recommendations(client: Client, version: int) -> tuple[Recommendation, ...]:
    from liftos.warehouse.lift_test_store import recommendations_of

    try:
        return tuple(recommendations_of(client, version))
    except DatabaseError as error:  # a store from before the recommendations table
        _log.warning("recommendations_unreadable", error=str(error))
        return ()


def load_report(
    client: Client,
    database: str,
    *,
    refit: bool = True,
    recommendations: Sequence[Recommendation] | None = None,
    fitted: CausalResults | None = None,
    plan_note: str = "",
    truth: TruthOf | None = None,
) -> ReportData:
    """Read the latest model version and its context from the warehouse ``client`` is bound to.

    ``recommendations``: the plan to show instead of the one published with the version (``liftos
    plan``); ``fitted``: results already fitted on the panel, whose response curves are drawn
    instead of refitting; ``truth``: the true iROAS per channel of a window (a sandbox's), drawn
    next to every version's estimates in the effect history.

    Raises:
        NoModelError: no model version is stored yet.
    """
    meta = load_metadata(client)
    effects = load_effects(client, meta)
    if fitted is not None:
        curves = fitted_curves(fitted, meta, effects)
    else:
        curves = response_curves(client, meta, effects, refit=refit)
    if recommendations is None:
        recommendations = _published_recommendations(client, meta.model_version)
        plan_note = plan_note or f"published by the causal engine with model v{meta.model_version}"
    return ReportData(
        metadata=meta,
        effects=effects,
        waterfall=load_waterfall(client, meta, effects),
        curves=curves,
        quality=load_data_quality(client, meta),
        database=database,
        generated_at=datetime.now(UTC),
        recommendations=tuple(recommendations),
        plan_note=plan_note,
        history=_with_truth(load_history(client), truth),
    )


#: ``truth(start, end)`` -> true iROAS per channel over ``start..end`` (inclusive).
TruthOf = Callable[[date, date], Mapping[str, float]]


def _with_truth(points: tuple[HistoryPoint, ...], truth: TruthOf | None) -> tuple[HistoryPoint, ...]:
    if truth is None:
        return points
    out = []
    for p in points:
        recent = max(p.window_start, p.window_end - timedelta(days=27))
        whole, last = truth(p.window_start, p.window_end), truth(recent, p.window_end)
        out.append(replace(p, true_iroas=whole.get(p.channel), true_iroas_28d=last.get(p.channel)))
    return tuple(out)


def write_report(
    settings: WarehouseSettings,
    out: Path,
    *,
    refit: bool = True,
    recommendations: Sequence[Recommendation] | None = None,
    fitted: CausalResults | None = None,
    plan_note: str = "",
    truth: TruthOf | None = None,
) -> ReportData:
    """Render the report of the warehouse at ``settings`` into ``out`` (parents created); see
    :func:`load_report` for the options."""
    from liftos.report.render import render_html
    from liftos.warehouse.connection import connect

    client = connect(settings)
    try:
        data = load_report(
            client, settings.database, refit=refit, recommendations=recommendations, fitted=fitted,
            plan_note=plan_note, truth=truth,
        )  # fmt: skip
    finally:
        client.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    return data
