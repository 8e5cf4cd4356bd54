"""The source table: built from built-in definitions and installed entry points, never from import order."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points

import pytest

from liftos.errors import ConfigError
from liftos.transformations import source_definition, source_definitions
from liftos.transformations.quality import UNIVERSAL_RULES, default_cross_field_rules
from liftos.transformations.source_registry import ENTRY_POINT_GROUP, SourceDefinition

# One raw payload per source, as its API sends it (recorded shapes; see tests/liftos/integrations).
_FRESH_INTERPRETER = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, date, datetime
    from liftos.events import RawEvent, RequestSlice
    from liftos.transformations import map_raw_event

    def event(source, stream, payload):
        return RawEvent(
            source=source, account_id="acct-1", stream=stream, fetched_at=datetime(2025, 12, 5, tzinfo=UTC),
            request_slice=RequestSlice(start=date(2025, 12, 1), end=date(2025, 12, 1)),
            payload=payload, idempotency_key=f"{source}-{stream}",
        )

    events = [
        event("meta", "insights", {"account_id": "1", "account_currency": "USD", "campaign_id": "c1",
              "ad_id": "a1", "date_start": "2025-12-01", "date_stop": "2025-12-01", "spend": "12.50",
              "impressions": "1000", "clicks": "10"}),
        event("google_ads", "ad_group_daily", {"customer": {"currencyCode": "USD"},
              "campaign": {"id": "7"}, "adGroup": {"id": "8"}, "segments": {"date": "2025-12-01"},
              "metrics": {"costMicros": "2500000", "impressions": "300", "clicks": "4"}}),
        event("klaviyo", "campaign_values", {"groupings": {"campaign_id": "k1",
              "campaign_message_id": "m1", "send_channel": "email"},
              "statistics": {"recipients": 1000, "clicks": 20, "conversions": 2, "conversion_value": 80.0}}),
        event("canonical", "store_outcomes", {"date": "2025-12-01", "orders": 3, "revenue": 90.0,
              "currency": "USD"}),
    ]
    rows = {e.source: len(map_raw_event(e)) for e in events}
    heavy_modules = ("httpx", "aiokafka", "clickhouse_connect", "liftos.integrations.meta.connector")
    heavy = sorted(m for m in heavy_modules if m in sys.modules)
    print(json.dumps({"rows": rows, "heavy": heavy}))
    """
)


def test_a_fresh_interpreter_maps_every_source_importing_only_transformations() -> None:
    """Given a new interpreter that imports nothing but liftos.transformations (and the event models),
    when it maps a raw event of every source, then each maps to a row and no HTTP, Kafka or warehouse
    client was imported on the way."""
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_INTERPRETER], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rows"] == {"meta": 1, "google_ads": 1, "klaviyo": 1, "canonical": 1}
    assert result["heavy"] == []


def test_every_installed_source_is_declared_once_by_entry_point() -> None:
    declared = {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}
    assert {"meta", "google_ads", "klaviyo"} <= declared
    names = {d.name for d in source_definitions().values()}
    assert names == declared | {"canonical"}
    for name in declared:
        definition = source_definition(name)
        assert isinstance(definition, SourceDefinition) and definition.connector is not None


def test_aliases_resolve_to_their_source_and_unknown_names_fail_in_one_line() -> None:
    assert source_definition("google").name == "google_ads"
    assert source_definition("facebook").name == "meta"
    with pytest.raises(ConfigError, match="unknown source 'tiktok'; known: "):
        source_definition("tiktok")


def test_vendor_quality_rules_come_from_their_source() -> None:
    """The conversions <= clicks rule is Google's own (declared in its package), not the core's."""
    rules = default_cross_field_rules()
    assert rules[: len(UNIVERSAL_RULES)] == UNIVERSAL_RULES
    vendor_rules = [r for r in rules if r.channels is not None]
    found = [(r.name, tuple(r.channels or ())) for r in vendor_rules]
    assert found == [("conversions<=clicks", ("google_ads",))]
