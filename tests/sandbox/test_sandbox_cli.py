"""``liftos sandbox truth`` and ``liftos sandbox credentials``."""

from __future__ import annotations

import re
from datetime import date

import orjson
from typer.testing import CliRunner

from liftos_sandbox import WorldSpec, simulate_world
from liftos_sandbox.cli import app

runner = CliRunner()


def test_truth_prints_the_world_truth_as_json() -> None:
    args = ["truth", "--seed", "5", "--scenario", "hard", "--start", "2024-11-01", "--end", "2024-12-31"]
    result = runner.invoke(app, [*args, "--entities", "10"])
    assert result.exit_code == 0, result.output
    printed = orjson.loads(result.stdout)
    world = simulate_world(WorldSpec(seed=5, scenario="hard", entities_per_channel=10))
    assert printed == world.truth(date(2024, 11, 1), date(2024, 12, 31))


def test_truth_rejects_bad_input() -> None:
    assert runner.invoke(app, ["truth", "--seed", "1", "--scenario", "chaos"]).exit_code != 0
    assert runner.invoke(app, ["truth", "--seed", "1", "--start", "2024-13-01"]).exit_code != 0
    outside = ["truth", "--seed", "1", "--start", "2019-01-01", "--entities", "6"]
    assert runner.invoke(app, outside).exit_code != 0


def test_credentials_shape_and_formats() -> None:
    result = runner.invoke(app, ["credentials", "--seed", "9"])
    assert result.exit_code == 0, result.output
    creds = orjson.loads(result.stdout)
    assert set(creds) == {"meta", "google_ads", "klaviyo"}
    assert set(creds["meta"]) == {"access_token", "app_id", "app_secret"}
    assert set(creds["google_ads"]) == {
        "developer_token", "client_id", "client_secret", "refresh_token", "customer_id", "login_customer_id",
    }  # fmt: skip
    assert set(creds["klaviyo"]) == {"api_key", "public_key"}
    assert creds["meta"]["access_token"].startswith("EAA") and len(creds["meta"]["access_token"]) > 100
    assert re.fullmatch(r"\d{15,16}", creds["meta"]["app_id"])
    assert re.fullmatch(r"[0-9a-f]{32}", creds["meta"]["app_secret"])
    assert re.fullmatch(r"[1-9]\d{9}", creds["google_ads"]["customer_id"])
    assert re.fullmatch(r"[1-9]\d{9}", creds["google_ads"]["login_customer_id"])
    assert creds["google_ads"]["client_id"].endswith(".apps.googleusercontent.com")
    assert creds["google_ads"]["refresh_token"].startswith("1//")
    assert re.fullmatch(r"pk_[0-9a-f]{34}", creds["klaviyo"]["api_key"])
    assert re.fullmatch(r"[A-Za-z0-9]{6}", creds["klaviyo"]["public_key"])


def test_credentials_match_the_served_accounts() -> None:
    creds = orjson.loads(runner.invoke(app, ["credentials", "--seed", "9"]).stdout)
    world = simulate_world(WorldSpec(seed=9, entities_per_channel=6, start=date(2025, 1, 1)))
    assert creds == world.credentials()
    google = world.accounts[world.accounts["channel"] == "google_ads"]
    assert creds["google_ads"]["customer_id"] in set(google["account_id"])
    assert (google["manager_id"] == creds["google_ads"]["login_customer_id"]).all()
    klaviyo = world.accounts.loc[world.accounts["channel"] == "klaviyo", "account_id"]
    assert klaviyo.tolist() == [creds["klaviyo"]["public_key"]]
    other = orjson.loads(runner.invoke(app, ["credentials", "--seed", "10"]).stdout)
    assert other["klaviyo"]["api_key"] != creds["klaviyo"]["api_key"]
