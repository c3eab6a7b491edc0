"""The sandbox listens on loopback only: every listening socket of a running sandbox is 127.0.0.1.

Read from the kernel (/proc/net/tcp, tcp6, udp, udp6 and the process's file descriptors), for the real
background process that ``eksaccess sandbox up`` starts, including the listener a CreateCluster call opens.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
from pathlib import Path

import pytest

from eksaccess.sandbox import lifecycle
from eksaccess.sandbox.server import read_ports
from eksaccess.sandbox.testing import running_sandbox

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
LISTEN = "0A"


def _address(hex_addr: str) -> str:
    host, port = hex_addr.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        text = socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(host, 16)))
    else:
        words = struct.unpack("<4I", raw)
        text = socket.inet_ntop(socket.AF_INET6, struct.pack(">4I", *words))
    return f"{text}:{int(port, 16)}"


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def bound_sockets(pid: int) -> list[tuple[str, str]]:
    """(protocol, local address) of every TCP socket in LISTEN and every bound UDP socket of ``pid``."""
    inodes = _socket_inodes(pid)
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        table = Path(f"/proc/{pid}/net/{proto}")
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if inode in inodes and (proto.startswith("udp") or state == LISTEN):
                found.append((proto, _address(local)))
    return found


def test_every_listening_socket_of_the_sandbox_process_is_loopback(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "baseline", process=True) as sb:
        pid = lifecycle.running_pid(sb.state_dir)
        assert pid is not None
        eks = sb.client("eks", "admin")
        eks.create_cluster(
            name="extra",
            roleArn="arn:aws:iam::111122223333:role/x",
            resourcesVpcConfig={"subnetIds": ["s-1"]},
        )  # opens one more listener
        ports = read_ports(sb.state_dir)
        sockets = bound_sockets(pid)
    expected = {ports["aws"], *ports["clusters"].values()}
    assert len(ports["clusters"]) == 2
    assert {int(addr.rsplit(":", 1)[1]) for _, addr in sockets} >= expected
    assert sockets and all(addr.startswith("127.0.0.1:") for _, addr in sockets), sockets


def test_in_process_sandbox_listeners_are_loopback(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "developer-locked-out") as sb:
        ports = read_ports(sb.state_dir)
        mine = {int(a.rsplit(":", 1)[1]): a for _, a in bound_sockets(os.getpid())}
    for port in [ports["aws"], *ports["clusters"].values()]:
        assert mine[port] == f"127.0.0.1:{port}"
