"""Seed-derived credentials that the emulators accept, shaped like the real platforms' secrets."""

from __future__ import annotations

from liftos_sandbox.ids import ALNUM, HEX, numeric_ids, random_strings
from liftos_sandbox.seeding import stream

__all__ = ["account_ids", "credentials_for_seed"]

_URLSAFE = ALNUM + "-_"
_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_META_ACCOUNTS = 5
MAX_GOOGLE_CUSTOMERS = 4


def account_ids(seed: int) -> dict[str, list[str]]:
    """Account ids of the world of ``seed``, independent of scenario and entity count.

    Keys: ``meta`` (``act_<16 digits>``, up to 5), ``google_ads`` (10-digit customer ids, up to 4),
    ``google_ads_manager`` (one 10-digit manager id), ``klaviyo`` (one 6-character public id).
    The world uses a prefix of each list.
    """
    rng = stream(seed, "account-ids")
    google = numeric_ids(rng, MAX_GOOGLE_CUSTOMERS + 1, 10)
    return {
        "meta": [f"act_{i}" for i in numeric_ids(rng, MAX_META_ACCOUNTS, 16)],
        "google_ads": google[1:],
        "google_ads_manager": google[:1],
        "klaviyo": random_strings(rng, 1, 6),
    }


def credentials_for_seed(seed: int) -> dict[str, dict[str, str]]:
    """The ``liftos sandbox credentials`` JSON object for ``seed`` (see issue 3)."""
    rng = stream(seed, "credentials")
    ids = account_ids(seed)

    def text(length: int, alphabet: str = ALNUM) -> str:
        return random_strings(rng, 1, length, alphabet)[0]

    return {
        "meta": {
            "access_token": "EAA" + text(1, "BGIJQ") + text(180),
            "app_id": numeric_ids(rng, 1, 16)[0],
            "app_secret": text(32, HEX),
        },
        "google_ads": {
            "developer_token": text(22, _URLSAFE),
            "client_id": f"{numeric_ids(rng, 1, 12)[0]}-{text(32, _LOWER_ALNUM)}.apps.googleusercontent.com",
            "client_secret": "GOCSPX-" + text(28, _URLSAFE),
            "refresh_token": "1//0" + text(2) + "-" + text(96, _URLSAFE),
            "customer_id": ids["google_ads"][0],
            "login_customer_id": ids["google_ads_manager"][0],
        },
        "klaviyo": {
            "api_key": "pk_" + text(34, HEX),
            "public_key": ids["klaviyo"][0],
        },
    }
