"""Excel export of :class:`~liftos.causal.results.CausalResults` (openpyxl)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from liftos.causal.results import CausalResults

__all__ = ["export_results", "plan_frames"]


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


def plan_frames(results: CausalResults) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The ``budget_plan`` sheet (one row per channel, then the plan's totals and constraints as
    ``key`` / ``value`` rows) and the ``experiments`` sheet (one design per channel, best first) of
    the latest plans (defaults when none was made); None without a response model."""
    if results.response is None:
        return None
    plan = results.decisions.get("budget_plan") or results.optimize_budget(results.recent_spend(28), 28)
    designs = results.decisions.get("experiments") or results.plan_experiments(plan=plan)
    totals = {"start": plan.start, "end": plan.end, **plan.totals()}
    totals["constraints"] = json.dumps(plan.constraints, default=str)
    sheet = pd.concat(
        [plan.to_frame(), pd.DataFrame([{"channel": f"plan.{k}", "value": v} for k, v in totals.items()])],
        ignore_index=True,
    )
    experiments = pd.DataFrame(
        [{**vars(d), "predicted_relative_width": d.predicted_relative_width} for d in designs]
    )
    return sheet, experiments


def export_results(results: CausalResults, path: Path) -> Path:
    """Write sheets ``effects``, ``temporal``, ``response_curves``, ``decomposition``, ``metadata``
    (and ``heterogeneity`` when present; ``budget_plan`` and ``experiments`` with a response model)
    to ``path``; returns ``path``."""
    plans = plan_frames(results)
    decomposition = results.decomposition.assign(date=results.decomposition["date"].dt.date)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        results.treatment_effects.to_excel(writer, sheet_name="effects", index=False)
        _temporal_frame(results).to_excel(writer, sheet_name="temporal", index=False)
        results.response_curves.to_excel(writer, sheet_name="response_curves", index=False)
        decomposition.to_excel(writer, sheet_name="decomposition", index=False)
        _metadata_frame(results).to_excel(writer, sheet_name="metadata", index=False)
        if results.heterogeneity is not None:
            results.heterogeneity.to_excel(writer, sheet_name="heterogeneity", index=False)
        if plans is not None:
            plans[0].to_excel(writer, sheet_name="budget_plan", index=False)
            plans[1].to_excel(writer, sheet_name="experiments", index=False)
    return path
