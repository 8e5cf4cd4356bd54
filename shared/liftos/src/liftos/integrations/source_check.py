"""What ``liftos check`` learns from one call to a source: accounts, scopes, version, rate-limit headroom.

Pure data: each connector's ``check()`` fills a :class:`SourceCheck`; the command prints one verdict
line per source and exits non-zero when any source failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AccountInfo", "SourceCheck"]


@dataclass(frozen=True)
class AccountInfo:
    """One account a source will read.

    Attributes:
        account_id: The id rows carry (``act_…``, a 10-digit customer id, a Klaviyo public key).
        name: Display name ("" when the API gives none).
        currency: ISO 4217 currency of its amounts (None: the API did not say).
        timezone: IANA time zone of its days (None: the API did not say).
    """

    account_id: str
    name: str = ""
    currency: str | None = None
    timezone: str | None = None

    def describe(self) -> str:
        """``act_1 "Brand US" USD America/New_York``."""
        name = f' "{self.name}"' if self.name else ""
        return f"{self.account_id}{name} {self.currency or '?'} {self.timezone or '?'}"


@dataclass(frozen=True)
class SourceCheck:
    """The verdict on one source.

    Attributes:
        source: Source name.
        ok: Every check passed.
        accounts: Accounts it will read.
        api_version: Version the calls used.
        scopes: Permissions the credentials hold (empty when the API does not tell).
        headroom: Rate-limit headroom as the API reported it (None: not reported).
        problems: One line per failed check (empty when ``ok``).
    """

    source: str
    ok: bool
    accounts: tuple[AccountInfo, ...] = ()
    api_version: str = ""
    scopes: tuple[str, ...] = ()
    headroom: str | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)

    def verdict(self) -> str:
        """One line: ``meta: OK — 2 accounts, v26.0, scopes ads_read, headroom 97 %``."""
        if not self.ok:
            return f"{self.source}: FAILED — {'; '.join(self.problems)}"
        parts = [f"{len(self.accounts)} account{'s' if len(self.accounts) != 1 else ''}"]
        if self.api_version:
            parts.append(f"API {self.api_version}")
        if self.scopes:
            parts.append(f"scopes {','.join(self.scopes)}")
        if self.headroom:
            parts.append(f"rate limit {self.headroom}")
        return f"{self.source}: OK — {', '.join(parts)}"
