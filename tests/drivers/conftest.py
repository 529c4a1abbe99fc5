"""Shared fixtures for driver tests: a socat pty pair and short-timeout Modbus clients."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.client.base import ModbusBaseSyncClient
from pymodbus.framer import FramerType

CLIENT_TIMEOUT_S = 0.3


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two linked pseudo-terminals (a null-modem cable), made by socat."""
    socat = shutil.which("socat")
    if socat is None:
        pytest.fail("socat is missing: scripts/test.sh installs it (apt-get install -y socat)")
    a, b = tmp_path / "ttyA", tmp_path / "ttyB"
    proc = subprocess.Popen(
        [socat, f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not (a.exists() and b.exists()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("socat did not create the pty pair")
            time.sleep(0.01)
        yield str(a), str(b)
    finally:
        proc.terminate()
        proc.wait(5)


ClientFactory = Callable[..., ModbusBaseSyncClient]


@pytest.fixture
def modbus_client() -> Iterator[ClientFactory]:
    """``modbus_client(port, kind)`` → a connected pymodbus client, closed after the test.

    ``kind`` is ``tcp``, ``rtu_over_tcp`` or ``rtu`` (then ``port`` is a tty path).
    """
    clients: list[ModbusBaseSyncClient] = []

    def make(port: int | str, kind: str = "tcp") -> ModbusBaseSyncClient:
        client: ModbusBaseSyncClient
        if kind == "rtu":
            client = ModbusSerialClient(
                str(port), framer=FramerType.RTU, baudrate=9600,
                timeout=CLIENT_TIMEOUT_S, retries=0,
            )  # fmt: skip
        else:
            framer = FramerType.SOCKET if kind == "tcp" else FramerType.RTU
            client = ModbusTcpClient(
                "127.0.0.1", port=int(port), framer=framer, timeout=CLIENT_TIMEOUT_S, retries=0
            )
        assert client.connect()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
