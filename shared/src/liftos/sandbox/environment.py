"""Pointing the connectors at a running sandbox: the ``LIFTOS_*`` variables they read."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["connector_environment"]


def connector_environment(credentials: Mapping[str, Mapping[str, str]], base_url: str) -> dict[str, str]:
    """Environment for the ingestor (or a notebook) to read the sandbox at ``base_url``.

    Args:
        credentials: ``World.credentials()`` (platform → credential name → value).
        base_url: Where ``liftos sandbox --port`` serves, e.g. ``http://127.0.0.1:8765``.

    Returns:
        ``LIFTOS_<PLATFORM>__<NAME>`` variables with the credentials and each platform's base URL
        (Google also gets its OAuth token endpoint).
    """
    environment = {
        f"LIFTOS_{platform.upper()}__{name.upper()}": value
        for platform, values in credentials.items()
        for name, value in values.items()
    }
    for platform in credentials:
        environment[f"LIFTOS_{platform.upper()}__BASE_URL"] = base_url
    environment["LIFTOS_GOOGLE_ADS__TOKEN_URL"] = f"{base_url}/token"
    return environment
