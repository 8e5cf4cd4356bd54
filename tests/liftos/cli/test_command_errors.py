"""Every ``liftos`` command's failures, as a person meets them: one line naming the cause and the fix.

Each case runs the real command in a subprocess (``python -m liftos.cli …``, or ``python -m <service>``
as the embedded stack runs a service) and asserts its exact stderr and exit status: 2 for usage and
configuration errors, 1 for runtime errors (unreachable broker or warehouse, a busy port, a file that
cannot be written). The commands run concurrently (each spends seconds importing), so the module costs
about a fourth of their sum.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from liftos_devstack.broker import free_port
from tests.fixtures.warehouse import WarehouseEndpoint

KAFKA_FIX = (
    "start the embedded stack (liftos up) or a broker (liftos broker), or point "
    "LIFTOS_KAFKA__BOOTSTRAP_SERVERS at your Kafka cluster"
)
WAREHOUSE_FIX = (
    "start the embedded stack (liftos up) or a warehouse (liftos warehouse), or point "
    "LIFTOS_WAREHOUSE__HOST / LIFTOS_WAREHOUSE__PORT at your ClickHouse server"
)
CREDENTIALS_FIX = (
    "set it in the ingestor's environment (docker compose: in .env, which the ingestor reads as its "
    "env_file; see .env.example)"
)
UP_FIX = (
    "stop what listens there or choose other ports: liftos up --kafka-port, --warehouse-port, "
    "--service-base-port (0 picks free ports)"
)


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    status: int
    line: str
    env: Mapping[str, str] = field(default_factory=dict)
    module: str = "liftos.cli"


@dataclass(frozen=True)
class Outcome:
    status: int
    stderr: str


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    """A loopback port another process (this one) listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def _cases(busy: int, closed: int, tmp: Path, warehouse: WarehouseEndpoint) -> dict[str, Case]:
    unreachable_kafka = {
        "LIFTOS_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{closed}",
        "LIFTOS_KAFKA__CONNECT_TIMEOUT_S": "1",
    }
    no_warehouse = f"no ClickHouse answers at http://127.0.0.1:{closed} (connection refused); {WAREHOUSE_FIX}"
    no_kafka = f"no Kafka broker answers at 127.0.0.1:{closed} after 1 s (connection refused); {KAFKA_FIX}"
    meta = {"LIFTOS_META__ACCESS_TOKEN": "token", "LIFTOS_META__APP_SECRET": "secret"}
    return {
        "backfill-bad-day": Case(
            ("ingest", "backfill", "--source", "meta", "--since", "2024-13-01"),
            2,
            "liftos ingest backfill: invalid value for '--since': '2024-13-01' is not a day (YYYY-MM-DD): "
            "month must be in 1..12; see 'liftos ingest backfill --help'",
        ),
        "backfill-until-before-since": Case(
            ("ingest", "backfill", "--source", "meta", "--since", "2024-03-01", "--until", "2024-02-01"),
            2,
            "liftos ingest backfill: invalid value for --until: 2024-02-01 is before --since 2024-03-01 "
            "(the window would be empty); see 'liftos ingest backfill --help'",
        ),
        "backfill-missing-credentials": Case(
            ("ingest", "backfill", "--source", "meta", "--since", "2024-03-01"),
            2,
            "liftos ingest backfill: Meta access_token is missing (argument or LIFTOS_META__ACCESS_TOKEN); "
            + CREDENTIALS_FIX,
        ),
        "backfill-no-broker": Case(
            ("ingest", "backfill", "--source", "meta", "--since", "2024-03-01"),
            1,
            f"liftos ingest backfill: {no_kafka}",
            unreachable_kafka | meta,
        ),
        "report-no-warehouse": Case(
            ("report", "--warehouse-port", str(closed)), 1, f"liftos report: {no_warehouse}"
        ),
        "report-empty-warehouse": Case(
            ("report", "--warehouse-port", str(warehouse.port), "--database", "nothing_here"),
            1,
            f"liftos report: the warehouse at http://127.0.0.1:{warehouse.port} has no database "
            "'nothing_here' (nothing was loaded yet); load data first (liftos up, or liftos demo) or set "
            "LIFTOS_WAREHOUSE__DATABASE",
        ),
        "schema-unwritable": Case(
            ("schema", "export", "--out", str(tmp / "a-file")),
            1,
            f"liftos schema export: file exists ({tmp / 'a-file'}); check the path, the address and "
            "permissions",
        ),
        "up-busy-broker-port": Case(
            (
                "up",
                "--kafka-port",
                str(busy),
                "--warehouse-port",
                "0",
                "--service-base-port",
                "0",
                "--data-dir",
                str(tmp / "up"),
            ),
            1,
            f"liftos up: port {busy} (broker) is in use by another process (is the stack already running?); "
            + UP_FIX,
        ),
        "up-busy-warehouse-port": Case(
            (
                "up",
                "--kafka-port",
                "0",
                "--warehouse-port",
                str(busy),
                "--service-base-port",
                "0",
                "--data-dir",
                str(tmp / "up"),
            ),
            1,
            f"liftos up: port {busy} (warehouse) is in use by another process (is the stack already "
            f"running?); {UP_FIX}",
        ),
        "up-bad-replicas": Case(
            ("up", "--replicas", "ingestor=2", "--data-dir", str(tmp / "up")),
            2,
            "liftos up: invalid value for --replicas: ingestor runs as one process (single writer); only "
            "normalizer, enricher scale; see 'liftos up --help'",
        ),
        "broker-busy-port": Case(
            ("broker", "--port", str(busy)),
            1,
            f"liftos broker: port {busy} on 127.0.0.1 (the broker) is in use by another process; stop what "
            "listens there or choose another --port",
        ),
        "warehouse-busy-port": Case(
            ("warehouse", "--port", str(busy), "--path", str(tmp / "store")),
            1,
            f"liftos warehouse: port {busy} on 127.0.0.1 (the warehouse) is in use by another process; stop "
            "what listens there or choose another --port",
        ),
        "demo-unknown-scenario": Case(
            ("demo", "--scenario", "nope"),
            2,
            "liftos demo: invalid value for --scenario: unknown scenario 'nope'; see 'liftos demo --help'",
        ),
        "sandbox-busy-port": Case(
            ("sandbox", "--port", str(busy)),
            1,
            f"liftos sandbox: port {busy} on 127.0.0.1 (the sandbox emulators) is in use by another "
            "process; stop what listens there or choose another --port",
        ),
        "sandbox-truth-bad-day": Case(
            ("sandbox", "truth", "--seed", "1", "--start", "2024-02-30"),
            2,
            "liftos sandbox truth: invalid value for '--start': '2024-02-30' is not a day (YYYY-MM-DD): day "
            "is out of range for month; see 'liftos sandbox truth --help'",
        ),
        "ingestor-no-broker": Case(
            (), 1, f"liftos ingestor: {no_kafka}", unreachable_kafka, "liftos_ingestor"
        ),
        "normalizer-invalid-setting": Case(
            ("normalizer",),
            2,
            "liftos normalizer: invalid setting LIFTOS_KAFKA__SESSION_TIMEOUT_MS: input should be a valid "
            "integer, unable to parse string as an integer; fix it in the environment (the README's "
            "Settings table lists every variable)",
            {"LIFTOS_KAFKA__SESSION_TIMEOUT_MS": "six seconds"},
        ),
        "normalizer-no-broker": Case(
            (), 1, f"liftos normalizer: {no_kafka}", unreachable_kafka, "liftos_normalizer"
        ),
        "enricher-no-warehouse": Case(
            ("enricher",), 1, f"liftos enricher: {no_warehouse}", {"LIFTOS_WAREHOUSE__PORT": str(closed)}
        ),
        "causal-engine-busy-port": Case(
            ("causal-engine",),
            1,
            f"liftos causal-engine: port {busy} on 127.0.0.1 (causal-engine /metrics and /healthz) is in use "
            "by another process; stop what listens there or set LIFTOS_OBSERVABILITY__PORT to a free port",
            {"LIFTOS_OBSERVABILITY__PORT": str(busy)},
        ),
        "unknown-command": Case(("nosuch",), 2, "liftos: no such command 'nosuch'; see 'liftos --help'"),
    }


def _run(case: Case, home: Path) -> Outcome:
    env = os.environ | {"LIFTOS_DATA_DIR": str(home / "state"), "COLUMNS": "200"} | dict(case.env)
    env.pop("LIFTOS_OBSERVABILITY__LOG_LEVEL", None)
    for name in [
        n for n in env if n.startswith(("LIFTOS_META__", "LIFTOS_GOOGLE_ADS__", "LIFTOS_KLAVIYO__"))
    ]:
        if name not in case.env:
            del env[name]
    process = subprocess.run(
        [sys.executable, "-m", case.module, *case.argv],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Outcome(process.returncode, process.stderr)


@pytest.fixture(scope="module")
def outcomes(
    busy_port: int, tmp_path_factory: pytest.TempPathFactory, warehouse_server: WarehouseEndpoint
) -> dict[str, tuple[Case, Outcome]]:
    """Every case run once, four at a time."""
    home = tmp_path_factory.mktemp("cli")
    (home / "a-file").write_text("")
    cases = _cases(busy_port, free_port(), home, warehouse_server)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_run, case, home) for name, case in cases.items()}
        return {name: (cases[name], future.result()) for name, future in futures.items()}


CASE_NAMES = list(_cases(1, 2, Path("/nonexistent"), WarehouseEndpoint("127.0.0.1", 3, Path("/x"))))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_failure_is_one_line_naming_cause_and_fix(
    name: str, outcomes: dict[str, tuple[Case, Outcome]]
) -> None:
    case, outcome = outcomes[name]
    assert outcome.stderr.strip() == case.line
    assert outcome.status == case.status


def test_debug_shows_the_traceback_instead(tmp_path: Path) -> None:
    outcome = _run(Case(("--debug", "report", "--warehouse-port", str(free_port())), 1, ""), tmp_path)
    assert outcome.status == 1
    assert "Traceback (most recent call last)" in outcome.stderr and "TransientError" in outcome.stderr
