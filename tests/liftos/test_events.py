"""The event models: validation, natural keys, idempotency keys."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from liftos.events import EffectUpdate, NormalizedRow, RawEvent, RequestSlice, idempotency_key, version_of
from tests.factories import make_normalized_row, make_raw_event


def test_idempotency_key_is_stable_and_distinguishes_parts() -> None:
    assert idempotency_key("meta", "act_1", "2025-01-01") == idempotency_key("meta", "act_1", "2025-01-01")
    assert idempotency_key("meta", "act_1", "2025-01-01") != idempotency_key("meta", "act_12", "025-01-01")
    assert len(idempotency_key("x")) == 32


def test_version_is_milliseconds_since_epoch() -> None:
    assert version_of(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == 1000


def test_raw_event_rejects_naive_time_and_bad_source() -> None:
    good = make_raw_event()
    with pytest.raises(ValidationError):
        RawEvent.model_validate(good.model_dump() | {"fetched_at": datetime(2025, 1, 1)})
    with pytest.raises(ValidationError):
        RawEvent.model_validate(good.model_dump() | {"source": "Meta Ads!"})


def test_request_slice_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match="before its start"):
        RequestSlice(start=date(2025, 1, 2), end=date(2025, 1, 1))


def test_models_are_frozen_and_strict() -> None:
    row = make_normalized_row()
    with pytest.raises(ValidationError):
        row.spend = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        NormalizedRow.model_validate(row.model_dump() | {"unexpected": 1})


def test_natural_key_ignores_version_and_measures() -> None:
    first = make_normalized_row(spend=1.0, version=1)
    restated = make_normalized_row(spend=2.0, version=2)
    other_day = make_normalized_row(day=date(2025, 1, 2))
    assert first.natural_key() == restated.natural_key()
    assert first.natural_key() != other_day.natural_key()


def test_effect_update_bounds() -> None:
    fields = {
        "model_version": 1,
        "trained_at": datetime.now(UTC),
        "window_start": date(2025, 1, 1),
        "window_end": date(2025, 3, 1),
        "channel": "meta",
        "spend": 100.0,
        "revenue_lift": 250.0,
        "ci_lower": 200.0,
        "ci_upper": 300.0,
        "confidence_level": 0.95,
        "p_value": 0.01,
        "incremental_roas": 2.5,
        "marginal_roas": 1.2,
        "method": "mmm",
    }
    assert EffectUpdate(**fields).natural_key() == "meta|1"
    with pytest.raises(ValidationError):
        EffectUpdate(**fields | {"p_value": 1.5})
    with pytest.raises(ValidationError):
        EffectUpdate(**fields | {"model_version": 0})
