"""The published topic schemas (docs/schemas) and the downstream consumer example (examples/).

- The checked-in schemas equal what the models produce today (regenerate with ``liftos schema export``).
- Each schema names its topic and version in ``$id`` and accepts real encoded messages.
- ``examples/consume_effects.py`` reads EffectUpdates published to the session Tansu broker.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from liftos.cli import schema as schema_cli
from liftos.events import SCHEMA_VERSION, EffectUpdate
from liftos.settings import KafkaSettings
from liftos.streaming.codec import encode
from liftos.streaming.kafka import ensure_topics, make_producer, publish
from liftos.topic_schemas import render_schema, schema_file_name, topic_schema
from liftos.topics import ALL_TOPICS, EFFECTS, TopicSpec
from tests.fixtures.broker import unique_name

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "docs" / "schemas"
EXAMPLE = ROOT / "examples" / "consume_effects.py"
CHANNELS = ("google", "klaviyo", "meta")


def effect(channel: str, model_version: int) -> EffectUpdate:
    """A plausible effect update of ``channel`` at ``model_version``."""
    spend = 10_000.0 + 1_000 * model_version
    lift = spend * (1.5 + 0.1 * model_version)
    return EffectUpdate(
        model_version=model_version,
        trained_at=datetime(2025, 3, model_version, 6, tzinfo=UTC),
        window_start=date(2025, 1, 1),
        window_end=date(2025, 2, 28),
        channel=channel,
        spend=spend,
        revenue_lift=lift,
        ci_lower=lift * 0.7,
        ci_upper=lift * 1.3,
        confidence_level=0.95,
        p_value=0.01,
        incremental_roas=lift / spend,
        marginal_roas=1.1,
        method="mmm",
        refresh_stability=None if model_version == 1 else 0.05,
    )


def test_checked_in_schemas_are_fresh() -> None:
    """``docs/schemas`` holds exactly one up-to-date schema per topic."""
    expected = {schema_file_name(spec): render_schema(spec) for spec in ALL_TOPICS}
    present = {path.name: path.read_text(encoding="utf-8") for path in SCHEMA_DIR.glob("*.schema.json")}
    assert sorted(present) == sorted(expected), "run `liftos schema export --out docs/schemas`"
    for name, text in expected.items():
        assert present[name] == text, f"{name} is stale: run `liftos schema export --out docs/schemas`"


@pytest.mark.parametrize("spec", ALL_TOPICS, ids=lambda spec: spec.name)
def test_schema_names_topic_version_and_key(spec: TopicSpec) -> None:
    """``$id`` carries the topic name and schema version; the key fields are the natural key."""
    document = topic_schema(spec)
    assert spec.name in document["$id"]
    assert document["$id"].endswith(f":{SCHEMA_VERSION}")
    assert document["x-liftos-key"]["fields"] == list(spec.value_model.NATURAL_KEY)
    assert document["additionalProperties"] is True


def test_encoded_effect_updates_validate_against_the_published_schema() -> None:
    """The bytes the causal engine sends are valid under the checked-in effects schema."""
    jsonschema = pytest.importorskip("jsonschema")
    published = json.loads((SCHEMA_DIR / schema_file_name(EFFECTS)).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(published)
    for version in (1, 2):
        validator.validate(json.loads(encode(effect("meta", version))))
    non_finite = effect("meta", 3).model_copy(
        update={"incremental_roas": float("inf"), "marginal_roas": float("nan")}
    )
    validator.validate(json.loads(encode(non_finite)))  # sent as "Infinity" / "NaN"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(json.loads(encode(effect("meta", 1))) | {"p_value": 2})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(json.loads(encode(effect("meta", 1))) | {"spend": "lots"})


def test_cli_exports_every_schema(tmp_path: Path) -> None:
    """``liftos schema export --out DIR`` writes one file per topic, identical to the checked-in ones."""
    app = typer.Typer()
    schema_cli.register(app)
    app.callback()(lambda: None)
    result = CliRunner().invoke(app, ["schema", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for spec in ALL_TOPICS:
        written = tmp_path / schema_file_name(spec)
        assert written.read_text(encoding="utf-8") == (SCHEMA_DIR / written.name).read_text(encoding="utf-8")


async def test_consumer_example_reads_published_effects(kafka_settings: KafkaSettings) -> None:
    """The documented example prints every effect update published to the topic, then stops."""
    spec = replace(EFFECTS, name=unique_name("effects"))
    await ensure_topics(kafka_settings, [spec])
    updates = [effect(channel, version) for version in (1, 2) for channel in CHANNELS]
    producer = make_producer(kafka_settings)
    await producer.start()
    try:
        await publish(producer, spec, updates)
    finally:
        await producer.stop()
    lines = await asyncio.to_thread(_run_example, kafka_settings.bootstrap_servers, spec.name, len(updates))
    assert sorted(line.split(" iroas=")[0] for line in lines) == sorted(
        f"{u.channel} v{u.model_version}" for u in updates
    )
    assert all(" ci=[" in line for line in lines)


def _run_example(bootstrap: str, topic: str, count: int) -> list[str]:
    """Run the example as its own process (bounded by a timeout) and return its output lines."""
    argv = [sys.executable, str(EXAMPLE), "--bootstrap", bootstrap, "--topic", topic]
    argv += ["--group", unique_name("example"), "--max-messages", str(count)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout.splitlines()
