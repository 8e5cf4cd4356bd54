"""deploy/prometheus: configs and rules pass promtool, alerts are unit-tested, and a real Prometheus scrapes
a real running service.

The promtool and server tests need Debian's ``prometheus`` package; they are skipped with a reason without it
(CI installs it: ``apt-get install -y --no-install-recommends prometheus``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from liftos_devstack.broker import LocalBroker
from liftos_devstack.stack import SERVICES, EmbeddedStack, StackPorts, service_of
from tests.deploy.prom_support import (
    PROMETHEUS_DIR,
    PROPOSED_METRICS,
    known_metric_names,
    metric_names,
    promtool,
    recorded_names,
)
from tests.fixtures.warehouse import free_port

RULES = PROMETHEUS_DIR / "rules" / "liftos.rules.yml"
RULE_TESTS = PROMETHEUS_DIR / "rules" / "liftos.rules.test.yml"
CONFIGS = ("prometheus.yml", "prometheus.embedded.yml")
WAIT_S = 90.0

needs_promtool = pytest.mark.skipif(
    promtool() is None,
    reason="promtool not found: install Debian's `prometheus` package (apt-get install prometheus)",
)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = promtool()
    assert tool is not None
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=120, cwd=PROMETHEUS_DIR)


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


@needs_promtool
@pytest.mark.parametrize("config", CONFIGS)
def test_promtool_check_config(config: str) -> None:
    """Both scrape configs (compose and embedded) are valid and load the rule file."""
    done = _promtool("check", "config", config)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout


@needs_promtool
def test_promtool_check_rules() -> None:
    """The rule file is valid PromQL and YAML."""
    done = _promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_test_rules() -> None:
    """Each alert fires on synthetic broken series and stays quiet on healthy ones (liftos.rules.test.yml)."""
    done = _promtool("test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_is_unit_tested_both_ways() -> None:
    """Each alert has a test case expecting it to fire and one expecting silence."""
    cases = [
        case
        for group in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in group.get("alert_rule_test", [])
    ]
    for alert in _alerts():
        mine = [case for case in cases if case["alertname"] == alert["alert"]]
        assert any(case["exp_alerts"] for case in mine), f"{alert['alert']} never expected to fire"
        assert any(not case["exp_alerts"] for case in mine), f"{alert['alert']} never expected quiet"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda rule: str(rule["alert"]))
def test_alert_has_severity_annotations_and_for(alert: dict[str, Any]) -> None:
    """Severity label, summary and description annotations, and an explicit ``for``."""
    assert alert["labels"]["severity"] in {"critical", "warning"}
    assert alert["annotations"]["summary"] and alert["annotations"]["description"]
    assert "for" in alert


def test_rules_only_use_metrics_the_services_export() -> None:
    """Every metric a rule selects is defined by a service (or recorded, or proposed in docs/metrics.md)."""
    allowed = known_metric_names() | recorded_names() | PROPOSED_METRICS
    for rule in _rules():
        unknown = metric_names(rule["expr"]) - allowed
        assert not unknown, f"{rule.get('alert') or rule.get('record')}: unknown metrics {unknown}"


def test_rules_and_dashboards_use_only_exported_metrics() -> None:
    """Nothing is merely proposed any more: every metric the rules and dashboards use is exported."""
    assert frozenset() == PROPOSED_METRICS
    assert {
        "liftos_normalizer_consumer_lag_messages",
        "liftos_enricher_consumer_lag_messages",
        "liftos_causal_engine_drift_alarms_total",
        "liftos_causal_engine_effects_published_total",
    } <= known_metric_names()


def test_scrape_jobs_match_the_services() -> None:
    """One job per service in both configs (plus the embedded warehouse in the embedded one)."""
    for name in CONFIGS:
        config = yaml.safe_load((PROMETHEUS_DIR / name).read_text())
        assert {job["job_name"] for job in config["scrape_configs"]} >= set(SERVICES), name


def test_embedded_jobs_read_the_targets_liftos_up_writes(tmp_path: Path) -> None:
    """Each embedded job reads the file ``liftos up`` (default ``--data-dir .liftos``) writes for it, and
    the file lists every replica: the first on ``liftos up``'s default port, the others where they run."""
    embedded = yaml.safe_load((PROMETHEUS_DIR / "prometheus.embedded.yml").read_text())
    files = {job["job_name"]: job["file_sd_configs"][0]["files"] for job in embedded["scrape_configs"]}
    assert set(files) == {*SERVICES, "warehouse"}
    repository = PROMETHEUS_DIR.parents[1]
    stack = EmbeddedStack(tmp_path / ".liftos", replicas={"normalizer": 2, "enricher": 3})
    directory = stack.write_scrape_targets()
    ports = StackPorts()
    for job, paths in files.items():
        assert [(PROMETHEUS_DIR / path).resolve() for path in paths] == [
            (repository / ".liftos" / "prometheus-targets" / f"{job}.json").resolve()
        ]
        written = json.loads((directory / f"{job}.json").read_text())
        targets = [target for group in written for target in group["targets"]]
        first = ports.warehouse if job == "warehouse" else ports.services[job]
        assert targets[0] == f"127.0.0.1:{first}"
        replicas = [c for c in stack.processes if service_of(c.name) == job]
        assert targets == [f"127.0.0.1:{c.port}" for c in replicas], job
    assert len(json.loads((directory / "enricher.json").read_text())[0]["targets"]) == 3
    assert not (directory / "broker.json").exists()


# ------------------------------------------------------------------ a real Prometheus, a real service


@contextlib.contextmanager
def _process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` in its own process group; SIGTERM (then SIGKILL) that group on exit."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(grace)


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bytes(response.read())
    except (urllib.error.URLError, OSError):
        return None


def _wait_for(what: str, probe: Any, proc: subprocess.Popen[bytes], log: Path) -> Any:
    """Poll ``probe()`` until it returns something truthy, at most ``WAIT_S`` seconds."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        if proc.poll() is not None:
            pytest.fail(f"{what}: process exited with {proc.returncode}: {log.read_text()[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"{what}: timed out after {WAIT_S} s: {log.read_text()[-3000:]}")


def _query(port: int, promql: str) -> list[dict[str, Any]]:
    body = _get(f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
    if body is None:
        return []
    answer = json.loads(body)
    return list(answer["data"]["result"]) if answer.get("status") == "success" else []


def _normalizer(broker: LocalBroker, port: int, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    env = os.environ | {
        "LIFTOS_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "LIFTOS_OBSERVABILITY__PORT": str(port),
        "LIFTOS_DATA_DIR": str(data_dir),
        "LIFTOS_APP_ID": f"prom-test-{port}",
    }
    return [sys.executable, "-m", "liftos_normalizer"], env


def _prometheus_config(tmp_path: Path, target_port: int) -> Path:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": "normalizer", "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@needs_promtool
def test_prometheus_scrapes_a_running_service(kafka_broker: LocalBroker, tmp_path: Path) -> None:
    """Prometheus on loopback scrapes the normalizer process and answers a query for its metric."""
    binary = promtool()
    prometheus = Path(binary).with_name("prometheus") if binary else None
    if prometheus is None or not prometheus.exists():
        pytest.skip("the prometheus server binary is not installed next to promtool")
    service_port, prom_port = free_port(), free_port()
    argv, env = _normalizer(kafka_broker, service_port, tmp_path / "state")
    with _process(argv, env, tmp_path / "normalizer.log") as service:
        metrics_url = f"http://127.0.0.1:{service_port}/metrics"
        _wait_for("normalizer /metrics", lambda: _get(metrics_url), service, tmp_path / "normalizer.log")
        prom_argv = [
            str(prometheus),
            f"--config.file={_prometheus_config(tmp_path, service_port)}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ]
        with _process(prom_argv, dict(os.environ), tmp_path / "prometheus.log") as server:
            query = "liftos_normalizer_messages_in_total"
            found = _wait_for("query", lambda: _query(prom_port, query), server, tmp_path / "prometheus.log")
            assert found[0]["metric"]["job"] == "normalizer"
            assert float(found[0]["value"][1]) >= 0
            up = _wait_for(
                "up",
                lambda: _query(prom_port, 'up{job="normalizer"} == 1'),
                server,
                tmp_path / "prometheus.log",
            )
            assert up[0]["metric"]["instance"] == f"127.0.0.1:{service_port}"
            rules = json.loads(_get(f"http://127.0.0.1:{prom_port}/api/v1/rules") or b"{}")
            groups = {group["name"] for group in rules["data"]["groups"]}
            assert groups == {"liftos.recording", "liftos.alerts"}
