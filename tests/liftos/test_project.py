"""The project file: one place every settings class reads, below the environment, secrets apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from liftos.errors import ConfigError
from liftos.integrations.google_ads.settings import GoogleAdsCredentials
from liftos.integrations.meta.settings import MetaCredentials
from liftos.project import load_project, project_environment, service_values
from liftos.settings import CurrencySettings, NameList, ServiceSettings

PROJECT = """
reporting_currency = "eur"
country = "DE"
subdivision = "BY"
since = "2025-01-01"

[sources.meta]
accounts = ["act_1", "act_2"]
base_url = "http://127.0.0.1:1"

[sources.google_ads]
login_customer_id = "111-222-3333"

[sources.klaviyo]
enabled = false

[files.orders]
path = "orders.csv"
kind = "outcome"

[fx.rates]
AED = 0.25

[completeness]
threshold = 0.95
"""
SECRETS = """
[sources.meta]
access_token = "EAA-from-the-secrets-file"

[sources.google_ads]
refresh_token = "1//refresh"
"""


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "liftos.toml").write_text(PROJECT)
    (tmp_path / "liftos.secrets.toml").write_text(SECRETS)
    for name in ("LIFTOS_PROJECT_FILE", "LIFTOS_SECRETS_FILE", "LIFTOS_SOURCES", "LIFTOS_REPORTING_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


class _Ingestor(CurrencySettings):
    sources: NameList = ()


def test_every_settings_class_reads_the_file_and_its_secrets(project_dir: Path) -> None:
    settings = _Ingestor()
    assert settings.reporting_currency == "EUR"
    assert settings.sources == ("meta", "google_ads")  # klaviyo is disabled
    assert settings.fx_rates == {"AED": 0.25}
    meta = MetaCredentials()
    assert meta.accounts == ("act_1", "act_2")
    assert meta.base_url == "http://127.0.0.1:1"
    assert meta.access_token is not None
    assert meta.access_token.get_secret_value() == "EAA-from-the-secrets-file"
    google = GoogleAdsCredentials()
    assert google.login_customer_id == "111-222-3333"
    assert google.refresh_token is not None and google.refresh_token.get_secret_value() == "1//refresh"
    values = service_values(load_project().file)
    assert values["completeness_threshold"] == 0.95
    assert values["expected_sources"] == ("meta", "google_ads", "canonical:orders")


def test_the_environment_overrides_the_file(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFTOS_SOURCES", "klaviyo")  # a plain comma list, no JSON needed
    monkeypatch.setenv("LIFTOS_META__ACCESS_TOKEN", "EAA-from-env")
    monkeypatch.setenv("LIFTOS_META__ACCOUNTS", "act_9")
    assert _Ingestor().sources == ("klaviyo",)
    meta = MetaCredentials()
    assert meta.access_token is not None and meta.access_token.get_secret_value() == "EAA-from-env"
    assert meta.accounts == ("act_9",)
    monkeypatch.setenv("LIFTOS_SOURCES", '["meta", "google_ads"]')
    assert _Ingestor().sources == ("meta", "google_ads")


def test_a_secret_in_the_checked_in_file_is_refused(project_dir: Path) -> None:
    (project_dir / "liftos.toml").write_text(PROJECT + '\n[sources.klaviyo.extra]\napi_key = "pk_x"\n')
    with pytest.raises(ConfigError, match=r"api_key is a secret; put it in liftos.secrets.toml"):
        load_project()


def test_invalid_values_fail_with_one_line(project_dir: Path) -> None:
    (project_dir / "liftos.toml").write_text('reporting_currency = "dollars"\n')
    with pytest.raises(ConfigError, match=r"liftos.toml: reporting_currency: .*ISO 4217"):
        ServiceSettings()
    (project_dir / "liftos.toml").write_text("[sources.meta\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_project()
    (project_dir / "liftos.toml").write_text('[refit]\nmin_days = "soon"\n')
    with pytest.raises(ConfigError, match=r"refit\.min_days"):
        load_project()


def test_the_file_location_comes_from_LIFTOS_PROJECT_FILE(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "conf" / "prod.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text('reporting_currency = "GBP"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFTOS_PROJECT_FILE", str(elsewhere))
    monkeypatch.delenv("LIFTOS_SECRETS_FILE", raising=False)
    assert CurrencySettings().reporting_currency == "GBP"
    assert project_environment() == {"LIFTOS_PROJECT_FILE": str(elsewhere.resolve())}


def test_no_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIFTOS_PROJECT_FILE", raising=False)
    monkeypatch.delenv("LIFTOS_REPORTING_CURRENCY", raising=False)
    project = load_project()
    assert project.path is None
    assert CurrencySettings().reporting_currency == "USD"
