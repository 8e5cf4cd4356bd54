"""Finding: the normalizer's and enricher's faust web servers listened on 0.0.0.0. Every socket the
running embedded stack listens on is bound where its settings say: loopback (127.0.0.1) by default."""

from __future__ import annotations

import io
from pathlib import Path

import psutil
import pytest

from liftos_devstack.stack import SERVICES, EmbeddedStack, StackPorts

LOOPBACK = {"127.0.0.1", "::1"}


@pytest.mark.timeout(180)
def test_every_listener_of_the_running_stack_is_on_loopback(tmp_path: Path) -> None:
    ports = StackPorts(kafka=0, warehouse=0, services=dict.fromkeys(SERVICES, 0))
    # a warehouse password given to the stack reaches the warehouse and every service (they connect)
    env = {"LIFTOS_WAREHOUSE__PASSWORD": "Wh-stack-Pw-7c1e9a3b"}
    with EmbeddedStack(tmp_path, ports=ports, extra_env=env, output=io.StringIO()) as stack:
        bound: dict[str, set[tuple[str, int]]] = {}
        for child in stack.processes:
            assert child.process is not None
            root = psutil.Process(child.process.pid)
            for process in [root, *root.children(recursive=True)]:
                for sock in process.net_connections(kind="inet"):
                    listening = sock.status == psutil.CONN_LISTEN or (sock.type == 2 and not sock.raddr)
                    if listening:
                        bound.setdefault(child.name, set()).add((sock.laddr.ip, sock.laddr.port))
        names = [child.name for child in stack.processes]
        expected_ports = {child.name: child.port for child in stack.processes}
    assert sorted(bound) == sorted(names), bound
    for name, sockets in bound.items():
        assert expected_ports[name] in {port for _ip, port in sockets}, (name, sockets)
    everywhere = {name: s for name, s in bound.items() if {ip for ip, _port in s} - LOOPBACK}
    assert not everywhere, f"listening beyond loopback: {everywhere}"
