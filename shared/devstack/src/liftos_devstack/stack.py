"""The embedded stack: broker, warehouse and the four services as separate local processes.

``liftos up`` starts Tansu (Kafka protocol), the chdb-backed warehouse server and the ingestor,
normalizer, enricher and causal engine, each in its own process group; waits until every one reports
healthy; prefixes their output with their name; and on Ctrl-C or SIGTERM stops them in reverse order
(SIGTERM, then SIGKILL after a grace period), leaving no stray process.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from liftos.errors import ConfigError, PortInUseError, TransientError
from liftos.project import project_environment
from liftos.runtime import check_port_free
from liftos_devstack.broker import broker_argv, free_port, wait_for_port

__all__ = [
    "RECYCLE_TOPICS_AFTER",
    "SCALABLE_SERVICES",
    "SERVICES",
    "EmbeddedStack",
    "StackPorts",
    "StackProcess",
    "replica_name",
    "service_of",
]

#: The four services, in start order (consumers of a topic start after its producers' topics exist).
SERVICES: tuple[str, ...] = ("ingestor", "normalizer", "enricher", "causal-engine")
#: Messages the embedded broker may hold in the pipeline's topics before the ingestor recycles them once
#: they are drained (Tansu keeps every message in memory: this bounds its memory; see the README).
RECYCLE_TOPICS_AFTER = 100_000
#: Services that may run as several processes (replicas): stream stages sharing one consumer group, so
#: the topics' partitions are divided among them. The ingestor (owner of the cursors) and the causal
#: engine (owner of the model version sequence) are single writers and run once.
SCALABLE_SERVICES: tuple[str, ...] = ("normalizer", "enricher")
_TERMINAL_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SERVICE_MODULES = {
    "ingestor": "liftos_ingestor",
    "normalizer": "liftos_normalizer",
    "enricher": "liftos_enricher",
    "causal-engine": "liftos_causal_engine",
}


@dataclass(frozen=True)
class StackPorts:
    """Loopback ports of the stack; 0 picks a free port."""

    kafka: int = 9092
    warehouse: int = 8123
    services: Mapping[str, int] = field(
        default_factory=lambda: {
            "ingestor": 8081,
            "normalizer": 8082,
            "enricher": 8083,
            "causal-engine": 8084,
        }
    )

    def resolved(self) -> StackPorts:
        """These ports with every 0 replaced by a free port."""
        return StackPorts(
            kafka=self.kafka or free_port(),
            warehouse=self.warehouse or free_port(),
            services={name: port or free_port() for name, port in self.services.items()},
        )


@dataclass
class StackProcess:
    """One child process of the stack and how to tell it is healthy."""

    name: str
    argv: list[str]
    env: dict[str, str]
    health_url: str | None
    port: int
    process: subprocess.Popen[bytes] | None = None

    def healthy(self) -> bool:
        """Whether the process answers its health check right now."""
        if self.health_url is None:
            try:
                wait_for_port("127.0.0.1", self.port, 0.2)
                return True
            except TransientError:
                return False
        try:
            with urllib.request.urlopen(self.health_url, timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False


def replica_name(service: str, replica: int) -> str:
    """Process name of one replica: the service's name for the first, ``<service>-<n>`` after it."""
    return service if replica == 1 else f"{service}-{replica}"


class EmbeddedStack:
    """Starts and stops the embedded stack; use as a context manager or call start/stop.

    ``replicas`` runs a stream stage (:data:`SCALABLE_SERVICES`) as that many processes: the first uses
    the service's port from ``ports``, the others free ports (see :attr:`processes`); each has its own
    scratch directory. Each process is single-threaded Python, so replicas are how a stage uses more
    than one core.
    """

    def __init__(
        self,
        data_dir: Path,
        ports: StackPorts | None = None,
        extra_env: Mapping[str, str] | None = None,
        output: IO[str] | None = None,
        services: tuple[str, ...] = SERVICES,
        replicas: Mapping[str, int] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.ports = (ports or StackPorts()).resolved()
        self._extra_env = dict(extra_env or {})
        self._output = output if output is not None else sys.stdout
        self._lock = threading.Lock()
        counts = _replica_counts(services, replicas or {})
        self.processes = [
            self._broker(),
            self._warehouse(),
            *(self._service(name, replica) for name in services for replica in range(1, counts[name] + 1)),
        ]
        self._name_width = max(len(child.name) for child in self.processes)

    @property
    def service_env(self) -> dict[str, str]:
        """Environment that points a LiftOS process at this stack's broker and warehouse (and at the
        project file the stack was started with)."""
        return project_environment() | {
            "LIFTOS_MODE": "embedded",
            "LIFTOS_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{self.ports.kafka}",
            "LIFTOS_WAREHOUSE__HOST": "127.0.0.1",
            "LIFTOS_WAREHOUSE__PORT": str(self.ports.warehouse),
        }

    def _broker(self) -> StackProcess:
        return StackProcess("broker", broker_argv("127.0.0.1", self.ports.kafka), {}, None, self.ports.kafka)

    def _warehouse(self) -> StackProcess:
        argv = [
            sys.executable,
            "-m",
            "liftos_devstack.warehouse_server",
            "--path",
            str(self.data_dir / "warehouse"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports.warehouse),
        ]
        url = f"http://127.0.0.1:{self.ports.warehouse}/ping"
        # the same user and password as the services connect with (a password set there is required)
        credentials = {k: v for k, v in self._extra_env.items() if k.startswith("LIFTOS_WAREHOUSE__")}
        return StackProcess("warehouse", argv, credentials, url, self.ports.warehouse)

    def _service(self, name: str, replica: int = 1) -> StackProcess:
        process_name = replica_name(name, replica)
        port = self.ports.services[name] if replica == 1 else free_port()
        own = {"LIFTOS_OBSERVABILITY__PORT": str(port), "LIFTOS_DATA_DIR": str(self.data_dir / process_name)}
        if name == "ingestor":  # this stack's broker has no retention: free it once drained
            own["LIFTOS_RECYCLE_TOPICS_AFTER"] = str(RECYCLE_TOPICS_AFTER)
        env = self.service_env | own | self._extra_env
        argv = [sys.executable, "-m", _SERVICE_MODULES[name]]
        return StackProcess(process_name, argv, env, f"http://127.0.0.1:{port}/healthz", port)

    def check_ports(self) -> None:
        """Fail before anything starts when another process holds one of the stack's ports.

        Raises:
            PortInUseError: naming every port in use (a taken broker port would otherwise pass the
                broker's health check: something answers there, just not our broker).
        """
        busy: list[str] = []
        for child in self.processes:
            try:
                check_port_free("127.0.0.1", child.port, child.name, fix="")
            except PortInUseError:
                busy.append(f"{child.port} ({child.name})")
        if busy:
            ports = "port " + busy[0] + " is" if len(busy) == 1 else "ports " + ", ".join(busy) + " are"
            raise PortInUseError(
                f"{ports} in use by another process (is the stack already running?)",
                fix="stop what listens there or choose other ports: liftos up --kafka-port, "
                "--warehouse-port, --service-base-port (0 picks free ports)",
            )

    def start(self, timeout_s: float = 60.0, on_healthy: Callable[[str, float], None] | None = None) -> float:
        """Check every port, then start every process and wait until all are healthy.

        Returns:
            Seconds from the first start to the last process healthy.

        Raises:
            PortInUseError: a port of the stack is taken (nothing was started).
            TransientError: a process exited or was not healthy within ``timeout_s``.
        """
        self.check_ports()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.write_scrape_targets()
        started = time.monotonic()
        for child in self.processes:
            self._spawn(child)
            if child.name in ("broker", "warehouse"):  # services need both before they can start
                self._wait_healthy([child], started + timeout_s, started, on_healthy)
        self._wait_healthy(self.processes[2:], started + timeout_s, started, on_healthy)
        return time.monotonic() - started

    def write_scrape_targets(self) -> Path:
        """Write Prometheus file-based service discovery files, one per scrape job, listing every
        process that serves ``/metrics`` (all replicas of a stage); returns their directory.

        ``deploy/prometheus/prometheus.embedded.yml`` reads ``.liftos/prometheus-targets/<job>.json``,
        so a Prometheus started beside ``liftos up`` scrapes replicas on whatever ports they got.
        """
        directory = self.data_dir / "prometheus-targets"
        directory.mkdir(parents=True, exist_ok=True)
        jobs: dict[str, list[str]] = {}
        for child in self.processes:
            if child.name != "broker":  # Tansu serves no Prometheus metrics
                jobs.setdefault(service_of(child.name), []).append(f"127.0.0.1:{child.port}")
        for job, targets in jobs.items():
            (directory / f"{job}.json").write_text(json.dumps([{"targets": targets}], indent=2) + "\n")
        return directory

    def _spawn(self, child: StackProcess) -> None:
        child.process = subprocess.Popen(
            child.argv,
            env=os.environ | child.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._relay, args=(child,), daemon=True).start()

    def _relay(self, child: StackProcess) -> None:
        """Copy a child's output line by line, prefixed with its name."""
        assert child.process is not None and child.process.stdout is not None
        width = self._name_width
        for raw in child.process.stdout:
            line = _TERMINAL_CONTROL.sub("", raw.decode("utf-8", "replace")).rstrip()
            if not line:
                continue
            with self._lock:
                self._output.write(f"{child.name:<{width}} | {line}\n")
                self._output.flush()

    def _wait_healthy(
        self,
        children: list[StackProcess],
        deadline: float,
        started: float,
        on_healthy: Callable[[str, float], None] | None,
    ) -> None:
        pending = list(children)
        while pending:
            for child in list(pending):
                assert child.process is not None
                if child.process.poll() is not None:
                    raise TransientError(
                        f"{child.name} exited with code {child.process.returncode} during start-up",
                        fix=f"read its output above (lines prefixed '{child.name}')",
                    )
                if child.healthy():
                    pending.remove(child)
                    if on_healthy:
                        on_healthy(child.name, time.monotonic() - started)
            if pending and time.monotonic() > deadline:
                names = ", ".join(c.name for c in pending)
                raise TransientError(
                    f"not healthy in time: {names}", fix="read their output above (prefixed with their names)"
                )
            time.sleep(0.1)

    def stop(self, grace_s: float = 15.0) -> None:
        """Stop every process in reverse start order: SIGTERM its group, SIGKILL after ``grace_s``."""
        for child in reversed(self.processes):
            process = child.process
            if process is None or process.poll() is not None:
                continue
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(grace_s)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            _signal_group(process, signal.SIGKILL)  # anything the child left in its group

    def restart(self, name: str, timeout_s: float = 60.0) -> float:
        """Start the process ``name`` again (same argv and environment) after it exited or was killed.

        Returns:
            Seconds until it was healthy again.

        Raises:
            ValueError: no process of that name, or it is still running.
            TransientError: it exited again or was not healthy within ``timeout_s``.
        """
        child = next((c for c in self.processes if c.name == name), None)
        if child is None:
            raise ValueError(f"no process named {name!r} in this stack")
        if child.process is not None and child.process.poll() is None:
            raise ValueError(f"{name} is still running")
        if child.process is not None:
            _signal_group(child.process, signal.SIGKILL)  # anything the dead child left in its group
        started = time.monotonic()
        self._spawn(child)
        self._wait_healthy([child], started + timeout_s, started, None)
        return time.monotonic() - started

    def failed(self) -> list[str]:
        """Names of processes that have exited."""
        return [c.name for c in self.processes if c.process is not None and c.process.poll() is not None]

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def service_of(process_name: str) -> str:
    """The service a stack process belongs to: its name without a replica suffix (``normalizer-2`` →
    ``normalizer``); also its Prometheus scrape job."""
    base, _, replica = process_name.rpartition("-")
    return base if base in SCALABLE_SERVICES and replica.isdigit() else process_name


def _replica_counts(services: tuple[str, ...], replicas: Mapping[str, int]) -> dict[str, int]:
    """Processes per service (1 unless ``replicas`` says otherwise), checked.

    Raises:
        ConfigError: a count below 1, for a service not in the stack, or for a single-writer service.
    """
    for name, count in replicas.items():
        if name not in services:
            raise ConfigError(f"replicas for {name!r}, which is not in this stack ({', '.join(services)})")
        if count < 1:
            raise ConfigError(f"replicas for {name} must be at least 1, got {count}")
        if count > 1 and name not in SCALABLE_SERVICES:
            raise ConfigError(
                f"{name} runs as one process (single writer); only {', '.join(SCALABLE_SERVICES)} scale"
            )
    return {name: replicas.get(name, 1) for name in services}


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
