"""Result API shape: effects, temporal effects, accuracy, plots and the Excel export round trip."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure
from openpyxl import load_workbook  # type: ignore[import-untyped]

from liftos.causal import CausalAPI, CausalResults, ChannelEffect, ModelSpec
from liftos_sandbox.world import CHANNELS
from tests.liftos.causal.causal_worlds import wide_inputs, world_of


@pytest.fixture(scope="module")
def results() -> CausalResults:
    world = world_of(0, "default", days=400)
    return CausalAPI().analyze_attribution(wide_inputs(world), list(CHANNELS), ["revenue"], [], "date")


def test_channel_effects_shape(results: CausalResults) -> None:
    effects = results.get_channel_effects()
    assert set(effects) == set(CHANNELS)
    for e in effects.values():
        assert isinstance(e, ChannelEffect)
        assert e.ci_lower <= e.revenue_lift <= e.ci_upper and 0.0 <= e.p_value <= 1.0
        assert e.incremental_roas == pytest.approx(e.revenue_lift / e.spend)
    assert len(results.treatment_effects) == 3


def test_temporal_and_accuracy(results: CausalResults) -> None:
    temporal = results.get_temporal_effects()
    assert set(temporal.day_effects) == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    assert len(temporal.seasonal_effects) == 12 and np.isfinite(temporal.holiday_lift)
    assert np.isfinite(results.model_accuracy) and results.model_accuracy <= 1.0
    assert results.model_accuracy == pytest.approx(1.0 - results.accuracy["oos_mape"])
    assert 0.0 <= results.accuracy["baseline_accuracy"] <= 1.0


def test_plots_are_figures(results: CausalResults) -> None:
    for plot in ("plot_treatment_effects", "plot_attribution_waterfall", "plot_response_curves"):
        assert isinstance(getattr(results, plot)(), Figure)


def test_excel_round_trip(results: CausalResults, tmp_path: Path) -> None:
    path = results.export_results(tmp_path / "causal_analysis_results.xlsx")
    book = load_workbook(path)
    assert {"effects", "temporal", "response_curves", "decomposition", "metadata"} <= set(book.sheetnames)
    header = [c.value for c in next(book["effects"].iter_rows(max_row=1))]
    assert "incremental_roas" in header and book["effects"].max_row == 4
    assert {"verdict", "verdict_reason", "summary", "iroas_90d", "mroas_ci_lower"} <= set(header)


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="attribution_model"):
        ModelSpec(attribution_model="magic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence_level"):
        ModelSpec(confidence_level=1.5)


def test_analyze_attribution_options_name_every_other_spec_field() -> None:
    """The typed keyword options of ``analyze_attribution`` stay in step with :class:`ModelSpec`."""
    import dataclasses
    import inspect
    import typing

    from liftos.causal.api import CausalAPI
    from liftos.causal.spec import ModelSpec, SpecOptions

    named = set(inspect.signature(CausalAPI.analyze_attribution).parameters)
    fields = {f.name for f in dataclasses.fields(ModelSpec)}
    assert set(typing.get_type_hints(SpecOptions)) == fields - named
