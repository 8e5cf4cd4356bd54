"""Settings sections shared by every service, and the base class each service's settings extend.

Every service reads its settings exactly once, at its entry point, from the project file
``liftos.toml`` (:mod:`liftos.project`) and ``LIFTOS_``-prefixed environment variables, which override
the file, with ``__`` between nested sections, e.g.::

    LIFTOS_KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:9092
    LIFTOS_WAREHOUSE__PASSWORD=...
    LIFTOS_OBSERVABILITY__PORT=8081

Settings objects are frozen; library code receives the section it needs as an argument and never
reads the environment itself. Secrets are :class:`pydantic.SecretStr`, so they print as ``**********``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from liftos.clock import ClockSettings
from liftos.errors import ConfigError
from liftos.project import ProjectSettings
from liftos.transformations.fx_rates import DailyRates

__all__ = [
    "PLACEHOLDER_SECRETS",
    "SQL_IDENTIFIER",
    "CurrencySettings",
    "KafkaSettings",
    "NameList",
    "ObservabilitySettings",
    "RegionalSettings",
    "ServiceSettings",
    "WarehouseSettings",
    "load_settings",
    "region_label",
]

AnySettings = TypeVar("AnySettings", bound=BaseSettings)

#: Values that mark a secret as "not set yet"; refused outside the embedded mode.
PLACEHOLDER_SECRETS = frozenset({"changethis", "changeme", "secret", "password", "your-api-key"})
#: A name LiftOS puts into SQL as an identifier (the database): letters, digits and ``_``, not
#: starting with a digit, at most 64 characters; anything else is refused, never quoted.
SQL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _name_list(value: Any) -> Any:
    """``meta,google_ads`` or a JSON list (``["meta"]``) from the environment; lists pass through."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ValueError(f"not a JSON list: {text[:60]!r}") from None
    return tuple(part.strip() for part in text.split(",") if part.strip())


#: A list of names read from the environment as ``a,b,c`` (or a JSON list), e.g. ``LIFTOS_SOURCES=meta``.
NameList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_name_list)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    """How to reach the Kafka cluster (Apache Kafka in production, Tansu locally).

    ``connect_timeout_s`` is how long a process waits for the cluster at start-up before it gives up
    with one line naming the fix. The group timeouts are in milliseconds. The defaults are short on
    purpose: the local broker and
    the tests join consumer groups in about a second with them (see docs on Tansu), and they are
    still safe for a production cluster on a reliable network.
    """

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    client_id: str = "liftos"
    replication_factor: int = Field(default=1, ge=1)
    session_timeout_ms: int = Field(default=6_000, ge=1_000)
    heartbeat_interval_ms: int = Field(default=1_000, ge=100)
    rebalance_timeout_ms: int = Field(default=6_000, ge=1_000)
    request_timeout_ms: int = Field(default=30_000, ge=1_000)
    connect_timeout_s: float = Field(default=30.0, gt=0)


class WarehouseSettings(_Section):
    """How to reach ClickHouse over HTTP (a server in production, ``liftos warehouse`` locally).

    ``database`` must match :data:`SQL_IDENTIFIER` (it is written into DDL). ``password``, when set,
    is also required by the embedded warehouse ``liftos up`` starts.
    """

    host: str = "127.0.0.1"
    port: int = Field(default=8123, ge=1, le=65_535)
    username: str = "default"
    password: SecretStr = SecretStr("")
    database: str = "liftos"
    secure: bool = False
    compress: bool = True
    connect_timeout_s: float = Field(default=10.0, gt=0)
    send_receive_timeout_s: float = Field(default=300.0, gt=0)

    @field_validator("database")
    @classmethod
    def _plain_identifier(cls, value: str) -> str:
        if not SQL_IDENTIFIER.fullmatch(value):
            raise ValueError(
                f"warehouse database {value[:80]!r} is not a plain identifier (letters, digits and _,"
                " not starting with a digit, at most 64 characters)"
            )
        return value


class ObservabilitySettings(_Section):
    """Where a service serves ``/metrics`` and ``/healthz``, and how it logs."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65_535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"


class ServiceSettings(ProjectSettings):
    """Base of every service's settings: the mode plus the shared infrastructure sections.

    Attributes:
        mode: ``embedded`` for the local stack (Tansu + chdb), ``production`` otherwise. Placeholder
            secrets are refused in production.
        data_dir: Directory for the service's local state (sync cursors, stream-processor scratch).
        clock: The business calendar's clock (:class:`~liftos.clock.ClockSettings`; default the real
            one): what "today" is for the ingestor and when each day began for effect freshness.
    """

    model_config = SettingsConfigDict(
        env_prefix="LIFTOS_",
        env_nested_delimiter="__",
        frozen=True,
        extra="ignore",
        env_ignore_empty=True,
        # a validation error must not echo the raw input: it holds every secret of the environment
        hide_input_in_errors=True,
    )

    mode: Literal["embedded", "production"] = "embedded"
    data_dir: Path = Path(".liftos/state")
    kafka: KafkaSettings = KafkaSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    clock: ClockSettings = ClockSettings()

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.mode == "embedded":
            return self
        for name, secret in _secrets(self):
            if secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(f"{name} is a placeholder; set a real secret in production mode")
        return self


def _secrets(model: BaseModel, prefix: str = "") -> list[tuple[str, SecretStr]]:
    """Every ``SecretStr`` inside ``model``, with its dotted path, for validation."""
    found: list[tuple[str, SecretStr]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, SecretStr):
            found.append((path, value))
        elif isinstance(value, BaseModel):
            found.extend(_secrets(value, f"{path}."))
    return found


class RegionalSettings(ServiceSettings):
    """Settings of a service that uses the business's calendar: the enricher joins it onto rows and
    the causal engine models its holidays, so both read the same two variables.

    Attributes:
        country: ISO 3166-1 alpha-2 country of the business's calendar (``LIFTOS_COUNTRY``).
        subdivision: Optional state/region code for regional holidays, e.g. ``BY``
            (``LIFTOS_SUBDIVISION``).
    """

    country: str = Field(default="US", min_length=2, max_length=2)
    subdivision: str | None = None

    @model_validator(mode="after")
    def _known_region(self) -> Self:
        """Fail at start-up on a country or subdivision the ``holidays`` package does not know (rather
        than on the first batch or fit); this also loads the holiday tables before the first row."""
        from liftos.dimensions.calendar import validate_region

        validate_region(self.country, self.subdivision)
        return self

    @property
    def calendar_label(self) -> str:
        """The calendar's name as recorded with effects: ``US``, ``DE-BY``."""
        return region_label(self.country, self.subdivision)


def region_label(country: str, subdivision: str | None) -> str:
    """``country`` and ``subdivision`` as one label (ISO 3166-2 style): ``US``, ``DE-BY``."""
    return f"{country}-{subdivision}" if subdivision else country


class CurrencySettings(ServiceSettings):
    """Settings of a service that converts money (the normalizer) or checks that it can (the ingestor).

    Attributes:
        reporting_currency: ISO code every output amount is converted to (``LIFTOS_REPORTING_CURRENCY``).
        fx_source: ``ecb``: daily ECB reference rates (offline history); ``none``: fixed rates only.
        fx_rates: Fixed reporting-currency units per one unit of a currency, as JSON
            (``LIFTOS_FX_RATES='{"HKD": 0.128}'``), used on every day; they override the daily rates.
    """

    reporting_currency: str = "USD"
    fx_source: Literal["ecb", "none"] = "ecb"
    fx_rates: dict[str, float] = Field(default_factory=dict)

    def daily_rates(self) -> DailyRates:
        """The daily rates these settings describe (raises ConfigError on a bad rate or currency)."""
        return DailyRates(self.reporting_currency, self.fx_rates, history=self.fx_source == "ecb")


def load_settings(cls: type[AnySettings]) -> AnySettings:
    """``cls()`` read from the environment, with an invalid value reported as one :class:`ConfigError`
    naming the variable (``LIFTOS_KAFKA__SESSION_TIMEOUT_MS``), never its value (it may be a secret).

    Entry points call this instead of ``cls()``, so a person sees which variable to fix.
    """
    try:
        return cls()
    except ValidationError as error:
        raise ConfigError(_settings_problem(cls, error), fix=_SETTINGS_FIX) from None


_SETTINGS_FIX = "fix it in the environment (the README's Settings table lists every variable)"


def _settings_problem(cls: type[BaseSettings], error: ValidationError) -> str:
    """``invalid setting LIFTOS_X: <what pydantic says>`` for the first problem (and how many more)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    nesting = str(cls.model_config.get("env_nested_delimiter") or "__")
    problems = error.errors(include_input=False, include_url=False)
    first = problems[0]
    names = [str(part) for part in first["loc"] if not isinstance(part, int)]
    message = str(first["msg"]).removeprefix("Value error, ")
    where = f"setting {prefix}{nesting.join(names).upper()}" if names else f"settings of {cls.__name__}"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"invalid {where}: {message[:1].lower()}{message[1:]}{more}"
