"""The causal engine's plan settings come from the project file's ``[plan]`` table, below the
environment, and reach the plan request unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from liftos.errors import ConfigError
from liftos.settings import load_settings
from liftos_causal_engine.settings import CausalEngineSettings

PROJECT = """
[plan]
horizon_days = 14
budget = 42000
max_change = "off"
fixed = ["klaviyo"]
objective = "profit"
margin = 0.4
risk = 0.1
experiment_target_width = 0.25

[plan.bounds]
meta = [1000, 30000]
"""


@pytest.fixture
def project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "liftos.toml"
    path.write_text(PROJECT)
    monkeypatch.setenv("LIFTOS_PROJECT_FILE", str(path))
    monkeypatch.setenv("LIFTOS_SECRETS_FILE", str(tmp_path / "liftos.secrets.toml"))
    return path


def test_the_plan_table_sets_the_published_plan(project_file: Path) -> None:
    request = load_settings(CausalEngineSettings).plan_request()
    assert request.horizon_days == 14 and request.budget == 42000.0
    assert request.max_change is None  # "off": no limit
    assert request.fixed == ("klaviyo",) and request.bounds == {"meta": (1000.0, 30000.0)}
    assert request.objective == "profit" and request.margin == 0.4 and request.risk == 0.1
    assert request.target_relative_width == 0.25


def test_the_environment_overrides_the_plan_table(
    project_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFTOS_PLAN_HORIZON_DAYS", "56")
    monkeypatch.setenv("LIFTOS_PLAN_RISK", "off")
    request = load_settings(CausalEngineSettings).plan_request()
    assert request.horizon_days == 56 and request.risk is None and request.budget == 42000.0


def test_an_invalid_plan_value_fails_with_one_line(project_file: Path) -> None:
    project_file.write_text("[plan]\nhorizon_days = 0\n")
    with pytest.raises(ConfigError) as error:
        load_settings(CausalEngineSettings)
    assert "horizon_days" in str(error.value) and "\n" not in str(error.value)
