"""``qanat demo`` and ``qanat run`` on a port already listened on (``--listen``, the demo's
``--sim-control-port``): refused at once (exit 2, before the demo's season is simulated or
the daemon starts), naming the address and how to get a free port; the port held here by
the test's own socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.site import DEMO_SITE
from web.listencheck import bind_problem


@pytest.fixture
def held() -> Iterator[str]:
    """``127.0.0.1:PORT`` of a socket listening for the test's duration."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def _qanat(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controller.cli", *args],
        capture_output=True,
        text=True,
        # generous: on the fault the demo simulates its season (about a minute) first
        timeout=300,
        env={**os.environ, "QANAT_DATA_DIR": str(data)},
        check=False,
    )


@pytest.mark.parametrize("command", ["demo", "run"])
def test_a_port_in_use_is_refused_before_anything_starts(
    command: str, held: str, tmp_path: Path
) -> None:
    proc = _qanat(
        command,
        "--config",
        str(DEMO_SITE),
        "--listen",
        held,
        "--data-dir",
        str(tmp_path / "data"),
        data=tmp_path / "data",
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"--listen {held}: the address is already in use" in proc.stderr, proc.stderr
    assert "--listen 127.0.0.1:0 for any free one" in proc.stderr
    assert "simulating the season" not in proc.stdout  # refused before it
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "data" / "qanat.db").exists()  # no daemon opened its store


def test_the_demo_s_simulator_control_port_in_use_is_refused_too(held: str, tmp_path: Path) -> None:
    port = held.rsplit(":", 1)[1]
    proc = _qanat(
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--sim-control-port",
        port,
        "--data-dir",
        str(tmp_path / "data"),
        data=tmp_path / "data",
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"--sim-control-port {port}: the address is already in use" in proc.stderr
    assert "--sim-control-port 0 for any free one" in proc.stderr
    assert "simulating the season" not in proc.stdout


def test_a_free_address_has_no_problem() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert bind_problem(f"127.0.0.1:{port}") is None
    assert bind_problem("127.0.0.1:0") is None
    assert "not an address of this machine" in (bind_problem("192.0.2.1:8080") or "")
