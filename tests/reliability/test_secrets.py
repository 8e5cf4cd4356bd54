"""Secrets: never in logs, topics, warehouse rows or exception messages; all SQL is parameterised.

The static half runs in the default suite: every SQL call in ``shared/*/src`` passes values as
parameters (no f-string, ``%`` or ``.format`` interpolation, also through a local or module-level
variable), except the explicitly listed identifier-only statements (DDL from model metadata), and a
settings validation error does not echo a secret of the environment. The slow half streams a sandbox
backfill with distinctive secrets set (the sandbox credentials, a SASL password the PLAINTEXT broker
ignores) and scans every service log line, every message of every topic (keys, values and headers),
every warehouse row and the ingestor's cursor file for them.
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError

from liftos.settings import ServiceSettings
from liftos.streaming.kafka import make_consumer
from tests.reliability.sandbox_stack import SOURCES, sandbox_stack
from tests.reliability.support import metric_total, read_topic, wait_until

ROOT = Path(__file__).resolve().parents[2]
SQL_METHODS = {"query", "command", "query_df", "query_np", "query_arrow", "raw_query", "insert_df"}
#: (file, function) whose SQL interpolates identifiers only: reviewed, and every new one must be too.
#: The embedded server and engine run SQL a client sent them (they are the database, not a caller).
TRUSTED_IDENTIFIER_SQL = {
    ("shared/liftos/src/liftos/warehouse/migrations.py", "apply_migrations"),  # database name, model DDL
    ("shared/devstack/src/liftos_devstack/warehouse_server.py", "_run_query"),
    ("shared/devstack/src/liftos_devstack/warehouse_server.py", "work"),
    ("shared/devstack/src/liftos_devstack/warehouse_engine.py", "_run"),
    ("shared/devstack/src/liftos_devstack/warehouse_engine.py", "query"),
}


def _interpolated(node: ast.expr | None) -> bool:
    """Whether ``node`` builds a string by interpolation (f-string with values, ``%``, ``.format``)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.Mod) or _interpolated(node.left) or _interpolated(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format"
    return False


def _assignments(scope: ast.AST) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            found.setdefault(node.target.id, []).append(node.value)
    return found


def interpolated_sql(source: str, filename: str) -> list[str]:
    """SQL calls whose statement is built by interpolation, as ``file:line function`` strings."""
    tree = ast.parse(source)
    module_names = _assignments(tree)
    problems = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        local_names = _assignments(function)
        for call in ast.walk(function):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in SQL_METHODS
                and call.args
            ):
                continue
            statement = call.args[0]
            candidates = [statement]
            if isinstance(statement, ast.Name):
                candidates = local_names.get(statement.id) or module_names.get(statement.id) or []
            if (
                any(_interpolated(c) for c in candidates)
                and (filename, function.name) not in TRUSTED_IDENTIFIER_SQL
            ):
                problems.append(f"{filename}:{call.lineno} {function.name}: {ast.unparse(statement)[:100]}")
    return problems


def test_the_scan_flags_interpolated_sql() -> None:
    bad = (
        "Q = 'SELECT 1 WHERE a = %s' % 1\n"
        "def f(client, value):\n"
        "    client.query(f'SELECT * FROM t WHERE x = {value}')\n"
        "    client.command('DROP TABLE {}'.format(value))\n"
        "    sql = 'SELECT ' + f'{value}'\n"
        "    client.query(sql)\n"
        "    client.query(Q)\n"
        "    client.query('SELECT {v:String}', parameters={'v': value})\n"
    )
    assert [p.split(":")[1].split()[0] for p in interpolated_sql(bad, "x.py")] == ["3", "4", "6", "7"]


def test_all_sql_in_shared_is_parameterised() -> None:
    problems = []
    sources = sorted(path for src in (ROOT / "shared").glob("*/src") for path in src.rglob("*.py"))
    assert len(sources) > 100, "the scan must read the whole library"
    for path in sources:
        problems += interpolated_sql(path.read_text(), str(path.relative_to(ROOT)))
    assert not problems, "SQL built by interpolation (pass values as parameters):\n" + "\n".join(problems)


def test_a_settings_error_does_not_echo_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    real = "Wh-real-password-5a7c1e"
    monkeypatch.setenv("LIFTOS_MODE", "production")
    monkeypatch.setenv("LIFTOS_KAFKA__SASL_PASSWORD", "changeme")
    monkeypatch.setenv("LIFTOS_WAREHOUSE__PASSWORD", real)
    with pytest.raises(ValidationError) as raised:
        ServiceSettings()
    assert "kafka.sasl_password is a placeholder" in str(raised.value)
    assert real not in str(raised.value) and real[:8] not in str(raised.value)
    assert real not in repr(raised.value)


SASL = "sasl-Pw-3b9d2f71-not-used-by-plaintext"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_no_secret_in_logs_topics_warehouse_or_cursors(tmp_path: Path) -> None:
    env = {"LIFTOS_KAFKA__SASL_PASSWORD": SASL}
    services = ("ingestor", "normalizer", "enricher")
    with sandbox_stack(tmp_path, days=60, entities=6, seed=9, extra_env=env, services=services) as run:
        secrets = {SASL} | {
            value
            for credentials in run.world.credentials().values()
            for name, value in credentials.items()
            if len(value) >= 8 and any(word in name for word in ("token", "secret", "key", "password"))
        }
        assert len(secrets) >= 4, secrets
        ingestor = run.metrics_url("ingestor")
        wait_until(
            lambda: all(
                metric_total(ingestor, "liftos_ingestor_polls_total", source=s, outcome="ok") for s in SOURCES
            ),
            180,
            "every source polled",
        )
        client = run.client()
        wait_until(
            lambda: (
                client.query("SELECT count() FROM marketing_daily").result_rows[0][0] >= len(run.world.daily)
            ),
            120,
            "the warehouse to fill",
        )

        async def topics() -> list[str]:
            consumer = make_consumer(run.kafka, group_id="lister")
            await consumer.start()
            try:
                return sorted(await consumer.topics())
            finally:
                await consumer.stop()

        texts: dict[str, bytes] = {"service logs": run.log.read_bytes()}
        for topic in asyncio.run(topics()):
            records = asyncio.run(read_topic(run.kafka, topic, done=lambda r: False, timeout_s=3))
            texts[f"topic {topic}"] = b"\n".join(
                (r.key or b"") + b" " + (r.value or b"") + b" " + repr(r.headers).encode() for r in records
            )
        for (table,) in client.query("SHOW TABLES").result_rows:
            columns = client.query(f"DESCRIBE TABLE `{table}`").result_rows
            # aggregate states (the restatement log's hashes) are read finalised: the client cannot
            # deserialise a state, and a hash holds no text anyway
            select = ", ".join(
                f"finalizeAggregation(`{name}`)" if kind.startswith("AggregateFunction") else f"`{name}`"
                for name, kind, *_ in columns
            )
            rows = client.query(f"SELECT {select} FROM `{table}`").result_rows
            texts[f"table {table}"] = repr(rows).encode()
        texts["cursors"] = (run.stack.data_dir / "ingestor" / "cursors.json").read_bytes()
        assert any(len(t) > 10_000 for name, t in texts.items() if name.startswith("topic")), (
            "nothing was read"
        )
        leaks = [
            (where, secret) for where, text in texts.items() for secret in secrets if secret.encode() in text
        ]
        assert not leaks, leaks
