"""The base of every source's credentials: arguments, then ``LIFTOS_<SOURCE>__*``, then the project file.

A source package declares ``class <Vendor>Credentials(SourceCredentials)`` with its ``env_prefix`` and
``project_section`` (its name), so ``[sources.<name>]`` of ``liftos.toml`` and ``liftos.secrets.toml``
fills the same fields as the environment, which overrides them.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from liftos.project import ProjectFileSource
from liftos.settings import NameList

__all__ = ["SourceCredentials"]


class SourceCredentials(BaseSettings):
    """Credentials and options of one source.

    Attributes:
        accounts: Accounts to read (``LIFTOS_<SOURCE>__ACCOUNTS=a,b`` or ``accounts = [...]`` in the
            project file); empty reads every account the credentials can see.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)
    project_section: ClassVar[str]

    accounts: NameList = ()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then ``[sources.<name>]`` of the project file."""
        del dotenv_settings, file_secret_settings
        return init_settings, env_settings, ProjectFileSource(settings_cls, cls.project_section)
