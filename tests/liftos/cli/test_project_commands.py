"""``liftos init`` and ``liftos check`` against the emulators (in-process, fast)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liftos.cli import app
from liftos_sandbox.emulators.google_ads_rest import GoogleAdsConfig
from liftos_sandbox.emulators.klaviyo_rest import KlaviyoConfig
from liftos_sandbox.emulators.meta_graph import MetaConfig
from liftos_sandbox.emulators.server import EmulatorConfig
from liftos_sandbox.emulators.source import ServedWorld
from tests.fixtures.emulators import Running, running
from tests.liftos.integrations.emulator_harness import one_year_world

SEED = 11  # one_year_world's seed


@pytest.fixture(scope="module")
def world() -> ServedWorld:
    return one_year_world()


@pytest.fixture(scope="module")
def server(world: ServedWorld) -> Iterator[Running]:
    with running(world, EmulatorConfig(klaviyo=KlaviyoConfig(rate_limits=True))) as srv:
        yield srv


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFTOS_PROJECT_FILE", str(tmp_path / "liftos.toml"))
    monkeypatch.delenv("LIFTOS_SECRETS_FILE", raising=False)
    for name in ("LIFTOS_SOURCES", "LIFTOS_FX_SOURCE", "LIFTOS_FX_RATES", "LIFTOS_REPORTING_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _init(runner: CliRunner, url: str) -> None:
    done = runner.invoke(app, ["init", "--base-url", url, "--since", "2025-01-01", "--until", "2025-12-31"])
    assert done.exit_code == 0, done.output
    secrets = runner.invoke(app, ["sandbox", "credentials", "--seed", str(SEED), "--format", "toml"])
    assert secrets.exit_code == 0, secrets.output
    Path("liftos.secrets.toml").write_text(secrets.output)


def test_init_writes_a_commented_project_and_keeps_secrets_out_of_git(project: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    text = (project / "liftos.toml").read_text()
    assert "[sources.meta]" in text and "[completeness]" in text and "# login_customer_id" in text
    assert (project / ".gitignore").read_text().splitlines() == ["liftos.secrets.toml"]
    assert (project / "liftos.secrets.toml").stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 2 and "use --force" in again.output


def test_check_lists_every_account_with_currency_and_time_zone(
    project: Path, server: Running, world: ServedWorld
) -> None:
    runner = CliRunner()
    _init(runner, server.url)
    done = runner.invoke(app, ["check"])
    assert done.exit_code == 0, done.output
    listed = re.findall(r"^  (\w+) (\S+) \".*\" ([A-Z]{3}) (\S+)$", done.output, re.MULTILINE)
    expected = {
        (str(r["channel"]), str(r["account_id"]), str(r["currency"]), str(r["timezone"]))
        for r in world.accounts.to_dict("records")
    }
    assert set(listed) == expected and len(listed) == 5
    assert re.search(r"^meta: OK — 2 accounts, API v26.0, scopes .*ads_read", done.output, re.MULTILINE)
    assert re.search(r"^google_ads: OK — 2 accounts, API v26, scopes .*adwords", done.output, re.MULTILINE)
    assert re.search(r"^klaviyo: OK — 1 account, API 2026-10-15, rate limit \d+/\d+ left", done.output, re.M)


def test_check_fails_naming_what_is_wrong(project: Path, server: Running) -> None:
    runner = CliRunner()
    _init(runner, server.url)
    text = (project / "liftos.toml").read_text()
    (project / "liftos.toml").write_text(
        text.replace("[sources.klaviyo]\n", '[sources.klaviyo]\ncolour = "red"\n').replace(
            'source = "ecb"', 'source = "none"'
        )
    )
    done = runner.invoke(app, ["check"])
    assert done.exit_code == 1
    assert "klaviyo: FAILED — [sources.klaviyo] has unknown keys ['colour']" in done.output
    assert re.search(r"^meta: FAILED — no fx rate GBP->USD for act_\d+", done.output, re.MULTILINE)
    (project / "liftos.toml").write_text('reporting_currency = "dollars"\n')
    broken = runner.invoke(app, ["check"])
    assert broken.exit_code == 2 and "project file: FAILED" in broken.output


def test_check_names_a_revoked_token(project: Path, world: ServedWorld) -> None:
    revoked = EmulatorConfig(
        meta=MetaConfig(revoked=True),
        google_ads=GoogleAdsConfig(revoked=True),
        klaviyo=KlaviyoConfig(rate_limits=False, revoked=True),
    )
    with running(world, revoked) as srv:
        runner = CliRunner()
        _init(runner, srv.url)
        done = runner.invoke(app, ["check"])
    assert done.exit_code == 1
    assert re.search(r"^meta: FAILED — .*session has been invalidated", done.output, re.MULTILINE)
    assert re.search(r"^google_ads: FAILED — .*revoked", done.output, re.MULTILINE)
    assert re.search(r"^klaviyo: FAILED — ", done.output, re.MULTILINE)
