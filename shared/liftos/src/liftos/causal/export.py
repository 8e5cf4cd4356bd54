"""Excel export of :class:`~liftos.causal.results.CausalResults` (openpyxl)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from liftos.causal.results import CausalResults

__all__ = ["export_results"]


def _temporal_frame(results: CausalResults) -> pd.DataFrame:
    t = results.temporal
    rows = [{"kind": "day", "name": k, "effect": v} for k, v in t.day_effects.items()]
    rows += [{"kind": "season", "name": k, "effect": v} for k, v in t.seasonal_effects.items()]
    rows += [{"kind": "event", "name": k, "effect": v} for k, v in t.event_effects.items()]
    rows.append({"kind": "holiday_lift", "name": "average public holiday", "effect": t.holiday_lift})
    return pd.DataFrame(rows)


def _metadata_frame(results: CausalResults) -> pd.DataFrame:
    items = {
        "method": results.method,
        "model_accuracy": results.model_accuracy,
        "confidence_level": results.confidence_level,
        **results.accuracy,
        **results.metadata,
    }
    return pd.DataFrame(
        [
            {"key": k, "value": v if isinstance(v, str | int | float) else json.dumps(v, default=str)}
            for k, v in items.items()
        ]
    )


def export_results(results: CausalResults, path: Path) -> Path:
    """Write sheets ``effects``, ``temporal``, ``response_curves``, ``decomposition``, ``metadata``
    (and ``heterogeneity`` when present) to ``path``; returns ``path``."""
    decomposition = results.decomposition.assign(date=results.decomposition["date"].dt.date)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        results.treatment_effects.to_excel(writer, sheet_name="effects", index=False)
        _temporal_frame(results).to_excel(writer, sheet_name="temporal", index=False)
        results.response_curves.to_excel(writer, sheet_name="response_curves", index=False)
        decomposition.to_excel(writer, sheet_name="decomposition", index=False)
        _metadata_frame(results).to_excel(writer, sheet_name="metadata", index=False)
        if results.heterogeneity is not None:
            results.heterogeneity.to_excel(writer, sheet_name="heterogeneity", index=False)
    return path
