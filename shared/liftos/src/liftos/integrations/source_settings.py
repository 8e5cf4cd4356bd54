"""The base of every source's credentials: arguments, then ``LIFTOS_<SOURCE>__*``, then the project file.

A source package declares ``class <Vendor>Credentials(SourceCredentials)`` with its ``env_prefix`` and
``project_section`` (its name), so ``[sources.<name>]`` of ``liftos.toml`` and ``liftos.secrets.toml``
fills the same fields as the environment, which overrides them.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from liftos.project import ProjectSettings
from liftos.settings import NameList

__all__ = ["SourceCredentials"]


class SourceCredentials(ProjectSettings):
    """Credentials and options of one source.

    Attributes:
        accounts: Accounts to read (``LIFTOS_<SOURCE>__ACCOUNTS=a,b`` or ``accounts = [...]`` in the
            project file); empty reads every account the credentials can see.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)
    project_section: ClassVar[str | None]

    accounts: NameList = ()
