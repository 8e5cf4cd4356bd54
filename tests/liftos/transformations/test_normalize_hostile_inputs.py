"""Property tests: malformed, truncated, wrong-typed and hostile raw events never crash the normalizer;
every bad one becomes a dead letter with a reason (and its original bytes), every good one valid rows."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liftos.events import NormalizedRow, RawEvent, RequestSlice, StoreOutcomeRow
from liftos.pipeline.normalize import NormalizedBatch, normalize_messages
from liftos.streaming.codec import encode
from liftos.streaming.messages import Inbound
from liftos.transformations import MappingContext
from tests.liftos.integrations.recorded import load

DAY = date(2025, 12, 1)
CONTEXT = MappingContext(fx_rates={"EUR": 1.08})
SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("meta", "insights"): load("meta_insights_page1")["data"][0],
    ("google_ads", "ad_group_daily"): load("google_search_stream")[0]["results"][0],
    ("klaviyo", "campaign_values"): load("klaviyo_campaign_values")["data"]["attributes"]["results"][0],
    ("klaviyo", "store_outcomes"): {
        "date": "2025-12-01T00:00:00+00:00",
        "metric_id": "M1",
        "dimensions": [],
        "measurements": {"count": 118.0, "sum_value": 7311.4},
    },
}
#: (path, source-stream) of every metric the mappers parse.
METRIC_PATHS: list[tuple[tuple[str, str], tuple[str | int, ...]]] = [
    (("meta", "insights"), ("spend",)),
    (("meta", "insights"), ("impressions",)),
    (("meta", "insights"), ("clicks",)),
    (("meta", "insights"), ("actions", 1, "value")),
    (("meta", "insights"), ("action_values", 0, "value")),
    (("google_ads", "ad_group_daily"), ("metrics", "costMicros")),
    (("google_ads", "ad_group_daily"), ("metrics", "impressions")),
    (("google_ads", "ad_group_daily"), ("metrics", "conversionsValue")),
    (("klaviyo", "campaign_values"), ("statistics", "recipients")),
    (("klaviyo", "campaign_values"), ("statistics", "conversion_value")),
    (("klaviyo", "store_outcomes"), ("measurements", "count")),
    (("klaviyo", "store_outcomes"), ("measurements", "sum_value")),
]
HOSTILE = st.one_of(
    st.sampled_from(
        ["NaN", "nan", "inf", "-Infinity", "1e400", "-1", "abc", "", " ", "1_000", "١٢", "0x1F", "²"]
    ),
    st.sampled_from([float("nan"), float("inf"), -1, -0.5, 10**30, 1e300, True, False]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _event(key: tuple[str, str], payload: dict[str, Any]) -> RawEvent:
    return RawEvent(
        source=key[0],
        account_id="acct-1",
        stream=key[1],
        request_slice=RequestSlice(start=DAY, end=DAY),
        fetched_at=datetime(2025, 12, 2, tzinfo=UTC),
        payload=payload,
        idempotency_key="k" * 32,
    )


def _run(values: list[bytes | None]) -> NormalizedBatch:
    return normalize_messages(
        [Inbound("liftos.raw.v1", 0, i, b"k", v) for i, v in enumerate(values)], CONTEXT
    )


def _set(payload: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = payload
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _assert_sound(batch: NormalizedBatch, count: int) -> None:
    """Every output re-validates in full; every dead letter has a reason and is a DataError."""
    for row in batch.rows:
        NormalizedRow.model_validate(row.model_dump())
    for outcome in batch.outcomes:
        StoreOutcomeRow.model_validate(outcome.model_dump())
    assert all(d.reason and d.error == "DataError" for d in batch.dead_letters), batch.dead_letters[:1]
    assert len(batch.dead_letters) <= count


@given(st.lists(st.binary(max_size=200) | st.none(), min_size=1, max_size=5))
def test_arbitrary_bytes_are_dead_lettered(values: list[bytes | None]) -> None:
    batch = _run(values)
    assert len(batch.dead_letters) == len(values)
    assert [d.value for d in batch.dead_letters] == values
    _assert_sound(batch, len(values))


@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_truncated_events_are_dead_lettered(key: tuple[str, str], data: st.DataObject) -> None:
    whole = encode(_event(key, SAMPLES[key]))
    cut = data.draw(st.integers(0, len(whole) - 1))
    batch = _run([whole[:cut]])
    assert len(batch.dead_letters) == 1 and batch.dead_letters[0].reason


@given(st.sampled_from(METRIC_PATHS), HOSTILE)
def test_hostile_metric_values_are_dead_lettered_with_the_field(
    target: tuple[tuple[str, str], tuple[str | int, ...]], value: Any
) -> None:
    key, path = target
    payload = copy.deepcopy(SAMPLES[key])
    _set(payload, path, value)
    batch = _run([encode(_event(key, payload))])  # NaN / inf travel as the strings "NaN" / "Infinity"
    assert len(batch.dead_letters) == 1, (path, value, batch.rows)
    assert str(path[0]) in batch.dead_letters[0].reason or "statistics" in batch.dead_letters[0].reason
    _assert_sound(batch, 1)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(st.sampled_from([*SAMPLES, ("meta", "nope"), ("nowhere", "insights")]), st.data())
def test_junk_payloads_and_wrong_sources_never_crash(key: tuple[str, str], data: st.DataObject) -> None:
    payload: dict[str, Any] = copy.deepcopy(SAMPLES.get(key, {}))
    for _ in range(data.draw(st.integers(1, 4))):
        if bool(payload) and data.draw(st.booleans()):
            payload.pop(data.draw(st.sampled_from(sorted(payload))))
        else:
            payload[data.draw(st.sampled_from([*payload, "x"]) if payload else st.just("x"))] = data.draw(
                JSON
            )
    batch = _run([encode(_event(key, payload))])
    _assert_sound(batch, 1)
    if key not in SAMPLES:
        assert "no mapping" in batch.dead_letters[0].reason
    else:
        assert len(batch.rows) + len(batch.outcomes) + len(batch.dead_letters) == 1


@given(
    st.sampled_from(sorted(SAMPLES)),
    st.sampled_from(
        ["spend", "metrics", "statistics", "measurements", "date_start", "segments", "groupings", "date"]
    ),
)
def test_missing_fields_map_or_dead_letter(key: tuple[str, str], field: str) -> None:
    payload = copy.deepcopy(SAMPLES[key])
    payload.pop(field, None)
    batch = _run([encode(_event(key, payload))])
    _assert_sound(batch, 1)
    assert len(batch.rows) + len(batch.outcomes) + len(batch.dead_letters) == 1
