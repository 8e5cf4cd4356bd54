"""Published JSON Schemas of every topic's message value, derived from the event models.

Downstream consumers validate or generate code from these schemas instead of importing ``liftos``.
Each schema is ``model_json_schema(mode="serialization")`` of the topic's value model, plus:

- ``$schema``: JSON Schema draft 2020-12 (what pydantic emits);
- ``$id``: ``urn:liftos:topic:<topic name>:schema:<schema version>``, so a schema names its topic and version;
- ``x-liftos-topic`` / ``x-liftos-key``: the topic name and the fields whose ``|``-joined values form the
  Kafka message key (the value's natural key);
- ``additionalProperties`` is relaxed to ``true`` at the top level: within one topic version fields may only
  be *added* (see ``docs/consumers.md``), so consumers must tolerate fields they do not know yet;
- every ``number`` also admits the strings ``"Infinity"``, ``"-Infinity"`` and ``"NaN"``, which is how the
  models (``ser_json_inf_nan="strings"``) put non-finite floats on the wire.

``liftos schema export --out DIR`` writes them as ``<topic name>.schema.json``; the checked-in copies live in
``docs/schemas/`` and a test keeps them equal to what the models produce.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from liftos.events import SCHEMA_VERSION
from liftos.topics import ALL_TOPICS, TopicSpec

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "NON_FINITE",
    "export_schemas",
    "render_schema",
    "schema_file_name",
    "schema_id",
    "topic_schema",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
NON_FINITE = ("Infinity", "-Infinity", "NaN")


def schema_id(spec: TopicSpec) -> str:
    """The ``$id`` of ``spec``'s value schema: names the topic and the schema version."""
    return f"urn:liftos:topic:{spec.name}:schema:{SCHEMA_VERSION}"


def schema_file_name(spec: TopicSpec) -> str:
    """File name of ``spec``'s exported schema, e.g. ``liftos.effects.v1.schema.json``."""
    return f"{spec.name}.schema.json"


def topic_schema(spec: TopicSpec) -> dict[str, Any]:
    """The JSON Schema of the values of ``spec``'s topic, as a dictionary."""
    model = spec.value_model
    derived = model.model_json_schema(mode="serialization")
    derived["additionalProperties"] = True
    if model.model_config.get("ser_json_inf_nan") == "strings":
        derived = _admit_non_finite(derived)
    header: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(spec),
        "x-liftos-topic": spec.name,
        "x-liftos-schema-version": SCHEMA_VERSION,
        "x-liftos-key": {"fields": list(model.NATURAL_KEY), "separator": "|"},
    }
    return header | derived


def _admit_non_finite(node: Any) -> Any:
    """``node`` with every ``{"type": "number", ...}`` also accepting the non-finite float strings."""
    if isinstance(node, list):
        return [_admit_non_finite(item) for item in node]
    if not isinstance(node, dict):
        return node
    walked = {key: _admit_non_finite(value) for key, value in node.items()}
    if walked.get("type") == "number":
        del walked["type"]
        walked["anyOf"] = [{"type": "number"}, {"enum": list(NON_FINITE)}]
    return walked


def render_schema(spec: TopicSpec) -> str:
    """``spec``'s schema as stable, pretty-printed JSON text (ends with a newline)."""
    return json.dumps(topic_schema(spec), indent=2, ensure_ascii=False) + "\n"


def export_schemas(out: Path, topics: tuple[TopicSpec, ...] = ALL_TOPICS) -> list[Path]:
    """Write one ``<topic>.schema.json`` per topic into ``out`` (created if missing); returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in topics:
        path = out / schema_file_name(spec)
        path.write_text(render_schema(spec), encoding="utf-8")
        written.append(path)
    return written
