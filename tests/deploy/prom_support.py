"""Helpers shared by the Prometheus and Grafana tests: promtool, and the metric names PromQL refers to.

``known_metric_names()`` is what a scrape of the services can return: every sample name of the four
services' metrics modules (``prometheus_client``'s default registry, which also carries the client's
``process_*``/``python_*`` collectors), of the embedded warehouse's own registry, and the series Prometheus
adds itself (``up``, ``scrape_*``). ``PROPOSED_METRICS`` are names the rules and dashboards already use
but no service exports yet; the tests keep that list honest (it must shrink as they are added).
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import yaml
from prometheus_client import REGISTRY, CollectorRegistry

__all__ = [
    "PROMETHEUS_DIR",
    "PROPOSED_METRICS",
    "SERVICE_METRICS_MODULES",
    "check_promql",
    "known_metric_names",
    "metric_names",
    "promtool",
    "recorded_names",
    "registry_sample_names",
]

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "rules" / "liftos.rules.yml"

SERVICE_METRICS_MODULES = (
    "liftos_ingestor.metrics",
    "liftos_normalizer.metrics",
    "liftos_enricher.metrics",
    "liftos_causal_engine.metrics",
)

#: Used by rules and dashboards, proposed to the services (docs/metrics.md, "Proposed").
PROPOSED_METRICS: frozenset[str] = frozenset()

#: Series Prometheus itself attaches to every scrape target.
SCRAPE_SERIES = frozenset(
    {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling"}
)

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"inf", "nan", "start", "end", "atan2"}
)
_NAME_MATCHER = re.compile(r"""__name__\s*=\s*["']([a-zA-Z_:][a-zA-Z0-9_:]*)["']""")
_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NUMBERS = re.compile(r"(?<![\w:])\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[smhdwy]*")
_IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_GRAFANA_VARIABLES = re.compile(
    r"\$__(?:rate_interval|interval|range)|\$\{__(?:rate_interval|interval|range)\}"
)


def promtool() -> str | None:
    """Path of ``promtool`` (Debian package ``prometheus``), or ``None``."""
    return shutil.which("promtool")


def registry_sample_names(registry: CollectorRegistry) -> set[str]:
    """Every sample name the metric families of ``registry`` can expose, children or not."""
    names: set[str] = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
    return names


def known_metric_names() -> set[str]:
    """Sample names the services, the embedded warehouse and Prometheus' scrapes define."""
    for module in SERVICE_METRICS_MODULES:
        importlib.import_module(module)
    from liftos_devstack.warehouse_server import _Metrics

    return registry_sample_names(REGISTRY) | registry_sample_names(_Metrics().registry) | SCRAPE_SERIES


def recorded_names(rules_file: Path = RULES) -> set[str]:
    """Names of the recording rules in ``rules_file``."""
    groups = yaml.safe_load(rules_file.read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (a lexical scan, after promtool checked the syntax).

    Strings, label matchers, range/subquery brackets, grouping clauses and numbers are removed; what
    remains as an identifier not followed by ``(`` and not a keyword is a metric name.
    """
    names = set(_NAME_MATCHER.findall(expr))
    text = _GRAFANA_VARIABLES.sub("5m", expr)
    for pattern in (_STRINGS, _MATCHERS, _RANGES, _GROUPING, _NUMBERS):
        text = pattern.sub(" ", text)
    for match in _IDENTIFIER.finditer(text):
        is_call = text[match.end() :].lstrip().startswith("(")
        if not is_call and match.group().lower() not in _KEYWORDS:
            names.add(match.group())
    return names


def check_promql(expressions: Iterable[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``promtool check rules`` on a rule file recording each expression (Grafana variables → 5m)."""
    rules = [
        {"record": f"dashboard:expr_{index}", "expr": _GRAFANA_VARIABLES.sub("5m", expr)}
        for index, expr in enumerate(expressions)
    ]
    path = workdir / "dashboard-exprs.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    tool = promtool()
    assert tool is not None, "promtool is not installed"
    return subprocess.run([tool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
