"""docker-compose.yml as ``docker compose config`` reads it, since no Docker runs here.

``docker compose config`` interpolates the file with the project's ``.env`` and then validates it
against the Compose Specification's JSON Schema (compose-go's loader does exactly that, in that order);
the schema is the one the maintained ``check-jsonschema`` package ships (``vendor.compose-spec``, the
compose-spec project's schema, Apache-2.0). The ``.env`` is the documented
one: ``.env.example`` filled in as a person would (real secrets instead of the placeholders, the
credentials of every source uncommented). From the same files the ingestor's environment is built as
Docker builds it (its ``env_file``, then its ``environment``), and its settings and every source's
credentials are read from it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema.validators import validator_for

from liftos.integrations.google_ads.settings import GoogleAdsCredentials
from liftos.integrations.klaviyo.settings import KlaviyoCredentials
from liftos.integrations.meta.settings import MetaCredentials
from liftos.settings import load_settings
from liftos_ingestor.settings import IngestorSettings

ROOT = Path(__file__).resolve().parents[2]


def _packaged_schema(name: str) -> Any:
    """A schema check-jsonschema ships, read as a file (importing the package would load its CLI)."""
    spec = find_spec("check_jsonschema")
    assert spec is not None and spec.submodule_search_locations, "check-jsonschema is a dev dependency"
    folder = Path(next(iter(spec.submodule_search_locations))) / "builtin_schemas" / "vendor"
    return json.loads((folder / f"{name}.json").read_text())


SCHEMA = _packaged_schema("compose-spec")
SERVICES = ("ingestor", "normalizer", "enricher", "causal-engine")
CREDENTIAL = re.compile(r"# (LIFTOS_(?:META|GOOGLE_ADS|KLAVIYO)__[A-Z_]+)=$")
#: ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, ``${NAME:?error}``, ``${NAME?error}``,
#: ``${NAME:+other}``, ``${NAME+other}`` (innermost first, so defaults may nest) and ``$NAME``.
BRACED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^${}]*))?\}")
BARE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class MissingVariable(ValueError):
    """A ``${NAME:?message}`` whose variable is not set: ``docker compose`` stops with the message."""


def parse_env_file(text: str) -> dict[str, str]:
    """A ``.env`` / ``env_file`` as Compose reads it: ``NAME=value`` lines, ``#`` comments, quotes."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, value = line.partition("=")
        assert separator, f"not NAME=value: {line!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``text`` with Compose's variable syntax resolved from ``env`` (``$$`` is a literal ``$``)."""
    escaped = text.replace("$$", "\0")

    def braced(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2) or "", match.group(3) or ""
        value = env.get(name)
        unset, empty = value is None, not value
        if operator in (":-", "-"):
            return argument if (empty if operator == ":-" else unset) else str(value)
        if operator in (":?", "?"):
            if empty if operator == ":?" else unset:
                raise MissingVariable(f"required variable {name} is missing a value: {argument}")
            return str(value)
        if operator in (":+", "+"):
            return "" if (empty if operator == ":+" else unset) else argument
        return value or ""

    while BRACED.search(escaped):
        escaped = BRACED.sub(braced, escaped)
    escaped = BARE.sub(lambda match: env.get(match.group(1), ""), escaped)
    return escaped.replace("\0", "$")


def interpolated(node: Any, env: Mapping[str, str]) -> Any:
    """Every string value of a loaded Compose file interpolated (keys are not, as in Compose)."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(value, env) for value in node]
    return node


def filled_env_example() -> str:
    """``.env.example`` as a person fills it in: real secrets, every source's credentials set."""
    lines = []
    for number, line in enumerate((ROOT / ".env.example").read_text().splitlines()):
        credential = CREDENTIAL.fullmatch(line)
        if credential:
            lines.append(f"{credential.group(1)}=value-of-{credential.group(1).lower()}")
        else:
            lines.append(line.replace("=changethis", f"=a-real-secret-{number}"))
    return "\n".join(lines) + "\n"


def _violations(document: Any) -> list[str]:
    cls = validator_for(SCHEMA)
    validator = cls(SCHEMA, format_checker=cls.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@pytest.fixture(scope="module")
def dotenv() -> dict[str, str]:
    return parse_env_file(filled_env_example())


@pytest.fixture(scope="module")
def config(dotenv: dict[str, str]) -> dict[str, Any]:
    """``docker compose config``'s model: the file loaded (anchors merged) and interpolated."""
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    resolved = interpolated(loaded, dotenv)
    assert isinstance(resolved, dict)
    return resolved


def test_compose_config_with_the_documented_env_passes_the_compose_schema(config: dict[str, Any]) -> None:
    assert _violations(config) == []


def test_the_schema_check_finds_mistakes(config: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(config))
    broken["services"]["ingestor"]["enviroment"] = {"LIFTOS_MODE": "production"}
    broken["services"]["normalizer"]["volumes"][0]["type"] = "nfs"
    broken["services"]["kafka"]["depends_on"] = {"clickhouse": {"condition": "healthy"}}
    found = "\n".join(_violations(broken))
    assert "enviroment" in found and "normalizer/volumes/0" in found and "depends_on" in found


def test_a_secret_left_unset_stops_compose_with_its_message(dotenv: dict[str, str]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    without = {name: value for name, value in dotenv.items() if name != "CLICKHOUSE_PASSWORD"}
    with pytest.raises(
        MissingVariable, match="CLICKHOUSE_PASSWORD is missing a value: set CLICKHOUSE_PASSWORD"
    ):
        interpolated(yaml.safe_load(text), without)
    assert interpolate("$${HOME} ${UNSET:-${ALSO_UNSET:-x}}-$A", {"A": "a"}) == "${HOME} x-a"


def _container_environment(service: dict[str, Any]) -> dict[str, str]:
    """The environment Docker gives the container: its env_file(s), then ``environment`` over them."""
    files = service.get("env_file", [])
    env: dict[str, str] = {}
    for entry in [files] if isinstance(files, str | dict) else files:
        path = entry if isinstance(entry, str) else entry["path"]
        assert path == ".env", f"{path}: the documented env file is .env"
        env |= parse_env_file(filled_env_example())
    return env | {name: str(value) for name, value in service["environment"].items()}


def test_the_ingestor_gets_every_sources_credentials_from_its_env_file(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, service in config["services"].items():
        named = [
            v for v in service.get("environment", {}) if re.match(r"LIFTOS_(META|GOOGLE_ADS|KLAVIYO)__", v)
        ]
        assert not named, f"{name}: credentials belong in the env file, not in docker-compose.yml: {named}"
    environment = _container_environment(config["services"]["ingestor"])
    for name in [n for n in os.environ if n.startswith("LIFTOS_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    settings = load_settings(IngestorSettings)  # production mode: placeholders would be refused
    assert settings.mode == "production" and settings.data_dir == Path("/data")
    meta, google, klaviyo = MetaCredentials(), GoogleAdsCredentials(), KlaviyoCredentials()
    assert meta.access_token is not None
    assert meta.access_token.get_secret_value() == "value-of-liftos_meta__access_token"
    assert google.refresh_token is not None
    assert google.refresh_token.get_secret_value() == "value-of-liftos_google_ads__refresh_token"
    assert google.login_customer_id == "value-of-liftos_google_ads__login_customer_id"
    assert klaviyo.api_key is not None
    assert klaviyo.api_key.get_secret_value() == "value-of-liftos_klaviyo__api_key"
    for other in SERVICES[1:]:
        assert "env_file" not in config["services"][other], f"{other} needs no connector credentials"


def test_prometheus_and_grafana_start_whatever_the_services_do(config: dict[str, Any]) -> None:
    for name in ("prometheus", "grafana"):
        waits_for = set(config["services"][name].get("depends_on", {}))
        assert not waits_for & set(SERVICES), f"{name} waits for {waits_for & set(SERVICES)}"


def test_every_service_reads_the_project_file_mounted_read_only(config: dict[str, Any]) -> None:
    for name in SERVICES:
        service = config["services"][name]
        (mount,) = [v for v in service["volumes"] if isinstance(v, dict) and v["source"] == "./liftos.toml"]
        assert mount["read_only"] is True and mount["bind"]["create_host_path"] is False
        assert service["environment"]["LIFTOS_PROJECT_FILE"] == mount["target"] == "/etc/liftos/liftos.toml"
