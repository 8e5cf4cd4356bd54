"""The README's "Your own accounts" section, followed literally against the sandbox (slow).

The commands are read from the README (the block after ``<!-- own-accounts-commands -->`` and the
section's ``[files.*]`` TOML block) and run in a fresh directory, with only the port numbers replaced
by free ones. The sandbox serves two Meta accounts (USD and GBP), a Google Ads manager with two client
customers (one in EUR) and a Klaviyo account, Klaviyo's rate limits on.

- ``liftos check`` lists all five accounts; after the backfill the warehouse's spend per account and
  day equals the sandbox's truth converted at the daily ECB rates, to the cent, with no dead letter;
  a TV spend file and a shop-orders file reach the warehouse and the model as a channel and as the
  outcome, and every version carries its completeness.
- With the Meta token revoked, ``liftos check`` exits non-zero naming Meta, and the causal engine
  publishes a ``held`` status, not a version.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from liftos.settings import WarehouseSettings
from liftos.warehouse.connection import connect
from liftos_devstack.broker import free_port, wait_for_port
from liftos_sandbox import WorldSpec
from liftos_sandbox.world import simulate_world

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent
CENT = 0.005
FIRST, LAST = "2025-01-01", "2025-12-31"


def _section() -> str:
    text = README.read_text()
    return text.split("## Your own accounts", 1)[1].split("\n## ", 1)[0]


def readme_commands() -> list[str]:
    """The shell lines of the section's command block."""
    block = _section().split("<!-- own-accounts-commands -->", 1)[1].split("```bash\n", 1)[1]
    return [line for line in block.split("```", 1)[0].splitlines() if line.strip()]


def readme_files_toml() -> str:
    """The section's ``[files.*]`` TOML block (indented in a list item)."""
    block = _section().split("```toml\n", 1)[1].split("```", 1)[0]
    return "\n".join(line.strip() for line in block.splitlines()) + "\n"


class Project:
    """A directory where the README's commands run, with free ports in place of the README's."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ports = {"8765": free_port(), "9092": free_port(), "8123": free_port()}
        self.background: list[subprocess.Popen[bytes]] = []
        inherited = {
            k: v for k, v in os.environ.items() if k not in ("LIFTOS_PROJECT_FILE", "LIFTOS_SECRETS_FILE")
        }
        self.env = inherited | {
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            # `liftos ingest file` and the test's own reads reach the stack's broker and warehouse
            "LIFTOS_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{self.ports['9092']}",
            "LIFTOS_WAREHOUSE__PORT": str(self.ports["8123"]),
            "LIFTOS_OBSERVABILITY__LOG_LEVEL": "WARNING",
        }

    def line(self, line: str) -> str:
        line = line.replace("--service-base-port 8081", "--service-base-port 0")
        for readme_port, port in self.ports.items():
            line = re.sub(rf"\b{readme_port}\b", str(port), line)
        return line

    def run(self, line: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = self.line(line)
        if command.rstrip().endswith("&"):
            log = (self.root / f"background-{len(self.background)}.log").open("ab")
            process = subprocess.Popen(
                ["bash", "-c", command.rstrip().removesuffix("&")],
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.background.append(process)
            if " sandbox " in command:
                wait_for_port("127.0.0.1", self.ports["8765"], 60.0)
            return subprocess.CompletedProcess(command, 0, "", "")
        done = subprocess.run(
            ["bash", "-c", command], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=300
        )
        if check:
            assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
        return done

    def stop(self) -> None:
        for process in reversed(self.background):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.background):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def warehouse(self) -> Any:
        settings = WarehouseSettings(port=self.ports["8123"])
        return connect(settings)


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # the warehouse or its tables are not there yet
            pass
        time.sleep(3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def world() -> Any:
    return simulate_world(WorldSpec(seed=0))


def _write_files(root: Path, world: Any) -> pd.DataFrame:
    """The shop's orders (the sandbox's outcome) and a TV spend file in EUR, named as in the README."""
    outcome = world.outcome[(world.outcome["date"] >= FIRST) & (world.outcome["date"] <= LAST)]
    orders = pd.DataFrame(
        {
            "day": outcome["date"].dt.strftime("%Y-%m-%d"),
            "orders": outcome["orders"],
            "revenue": outcome["revenue"].map(lambda v: f"{v:.2f}"),
        }
    )
    orders.to_csv(root / "shop_orders.csv", index=False)
    days = pd.date_range(FIRST, LAST)
    cost = np.round(np.random.default_rng(3).uniform(400.0, 1600.0, len(days)), 2)
    tv = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "cost": [f"{c:.2f}" for c in cost]})
    tv.to_csv(root / "tv_spend.csv", index=False)
    return tv


def _truth_per_account_day(world: Any) -> pd.DataFrame:
    daily = world.daily[(world.daily["date"] >= FIRST) & (world.daily["date"] <= LAST)]
    converted = daily.assign(spend=daily["spend"] * world.fx_of(daily))
    return converted.groupby(["account_id", "date"], as_index=False)["spend"].sum()


def _dead_letters(project: Project) -> int:
    import asyncio

    from aiokafka import AIOKafkaConsumer

    async def count() -> int:
        consumer = AIOKafkaConsumer(
            "liftos.raw.v1.dlq",
            "liftos.normalized.v1.dlq",
            bootstrap_servers=f"127.0.0.1:{project.ports['9092']}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            batches = await consumer.getmany(timeout_ms=3000)
            return sum(len(messages) for messages in batches.values())
        finally:
            await consumer.stop()

    return asyncio.run(count())


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    running = Project(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_the_readme_on_the_sandbox_reads_every_account_to_the_cent(project: Project, world: Any) -> None:
    commands = readme_commands()
    up = next(i for i, line in enumerate(commands) if line.startswith("liftos up"))
    outputs = [project.run(line) for line in commands[:up]]
    check = next(o for c, o in zip(commands, outputs, strict=False) if c.startswith("liftos check"))
    listed = re.findall(r"^  (meta|google_ads|klaviyo) (\S+)", check.stdout, re.MULTILINE)
    assert sorted(listed) == sorted(
        (str(r.channel), str(r.account_id)) for r in world.accounts.itertuples()
    ), check.stdout
    assert len(listed) == 5
    assert {"USD", "GBP", "EUR"} <= set(re.findall(r" ([A-Z]{3}) [A-Za-z]+/", check.stdout))

    # step 5 of the section: declare the files, the outcome from the shop's orders, then publish them
    tv = _write_files(project.root, world)
    project_file = project.root / "liftos.toml"
    text = project_file.read_text().replace('# source = "canonical"', 'source = "canonical"')
    project_file.write_text(text + "\n" + readme_files_toml())
    assert "files.tv: OK" in project.run("liftos check").stdout

    project.run(commands[up])
    _wait(lambda: project.warehouse().command("EXISTS TABLE marketing_daily") == 1, 120, "the warehouse")
    project.run("liftos ingest file tv")
    project.run("liftos ingest file orders")

    truth = _truth_per_account_day(world)
    client = project.warehouse()

    def api_spend() -> pd.DataFrame:
        got = client.query_df(
            "SELECT account_id, date, sum(spend) AS spend FROM marketing_daily FINAL "
            "WHERE source != 'canonical' GROUP BY account_id, date"
        )
        return got.assign(date=pd.to_datetime(got["date"]))

    def complete() -> bool:
        published = client.query("SELECT count() FROM effect_updates FINAL WHERE channel = 'tv'").result_rows
        return len(api_spend()) == len(truth) and int(published[0][0]) > 0

    _wait(complete, 900, "the backfill and a published version with the tv channel")
    merged = truth.merge(api_spend(), on=["account_id", "date"], how="outer", suffixes=("_truth", "_got"))
    off = merged[(merged["spend_truth"].fillna(0) - merged["spend_got"].fillna(0)).abs() >= CENT]
    assert off.empty, off.head()
    assert set(merged["account_id"]) == set(world.accounts["account_id"])
    assert _dead_letters(project) == 0

    tv_rows = client.query_df(
        "SELECT date, spend, fx_rate FROM marketing_daily FINAL WHERE channel = 'tv' ORDER BY date"
    )
    assert len(tv_rows) == len(tv)
    eur = world.fx_daily["EUR"].reindex(pd.to_datetime(tv["date"])).to_numpy()  # the rate of each day
    assert np.allclose(tv_rows["spend"].to_numpy(), tv["cost"].astype(float).to_numpy() * eur, atol=CENT)
    outcome = client.query_df(
        "SELECT source, sum(orders) AS orders FROM store_outcomes FINAL GROUP BY source"
    )
    shop = world.outcome[(world.outcome["date"] >= FIRST) & (world.outcome["date"] <= LAST)]
    assert int(outcome.set_index("source").loc["canonical", "orders"]) == int(shop["orders"].sum())
    updates = client.query_df("SELECT channel, completeness FROM effect_updates FINAL")
    assert {"meta", "google_ads", "klaviyo", "tv"} <= set(updates["channel"])
    assert updates["completeness"].notna().all() and (updates["completeness"] >= 0.9).all()
    status = client.query_df("SELECT status, dead_letters FROM model_status FINAL ORDER BY checked_at")
    assert status["status"].iloc[-1] == "published" and int(status["dead_letters"].iloc[-1]) == 0


def test_a_revoked_token_fails_the_check_and_holds_the_model(project: Project) -> None:
    commands = readme_commands()
    sandbox = next(line for line in commands if line.startswith("liftos sandbox --port"))
    project.run(sandbox.replace(" &", " --revoke meta &"))
    for line in commands[1:]:
        if line.startswith("liftos check"):
            check = project.run(line, check=False)
            assert check.returncode == 1
            assert re.search(r"^meta: FAILED .*invalidated", check.stdout, re.MULTILINE), check.stdout
            assert "google_ads: OK" in check.stdout and "klaviyo: OK" in check.stdout
        elif line.startswith("liftos sandbox --port"):
            continue
        else:
            project.run(line)
    _wait(lambda: project.warehouse().command("EXISTS TABLE model_status") == 1, 120, "the warehouse")
    client = project.warehouse()

    def held() -> bool:
        rows = client.query("SELECT reasons FROM model_status FINAL WHERE status = 'held'").result_rows
        return any("meta: no rows in the window" in str(r[0]) for r in rows)

    _wait(held, 600, "a held status naming meta")
    versions = client.query("SELECT count() FROM effect_updates").result_rows
    assert int(versions[0][0]) == 0
