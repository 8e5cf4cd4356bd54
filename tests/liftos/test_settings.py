"""Settings: env prefix and nesting, frozen objects, masked secrets, placeholder refusal."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from liftos.settings import ServiceSettings


def test_nested_sections_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFTOS_KAFKA__BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("LIFTOS_WAREHOUSE__PORT", "9000")
    monkeypatch.setenv("LIFTOS_WAREHOUSE__PASSWORD", "s3cr3t-value")
    settings = ServiceSettings()
    assert settings.kafka.bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.warehouse.port == 9000
    assert "s3cr3t-value" not in repr(settings) and "s3cr3t-value" not in str(settings.model_dump())
    assert settings.warehouse.password.get_secret_value() == "s3cr3t-value"


def test_settings_are_frozen() -> None:
    settings = ServiceSettings()
    with pytest.raises(ValidationError):
        settings.mode = "production"  # type: ignore[misc]


def test_placeholder_secrets_refused_in_production_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFTOS_WAREHOUSE__PASSWORD", "changethis")
    assert ServiceSettings().mode == "embedded"
    monkeypatch.setenv("LIFTOS_MODE", "production")
    with pytest.raises(ValidationError, match=r"warehouse\.password is a placeholder"):
        ServiceSettings()


def test_invalid_values_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFTOS_KAFKA__SECURITY_PROTOCOL", "SASL_MAGIC")
    with pytest.raises(ValidationError, match="security_protocol"):
        ServiceSettings()
