"""Shared fixtures for driver tests: short-timeout Modbus clients (pty_pair: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.client.base import ModbusBaseSyncClient
from pymodbus.framer import FramerType

from tests.helpers.modbus import CLIENT_TIMEOUT_S, ClientFactory


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
                str(port),
                framer=FramerType.RTU,
                baudrate=9600,
                timeout=CLIENT_TIMEOUT_S,
                retries=0,
            )
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
