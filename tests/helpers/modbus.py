"""What the driver tests' Modbus clients share (the ``modbus_client`` fixture makes them)."""

from __future__ import annotations

from collections.abc import Callable

from pymodbus.client.base import ModbusBaseSyncClient

CLIENT_TIMEOUT_S = 0.3

# modbus_client(port, kind="tcp") -> a connected client
ClientFactory = Callable[..., ModbusBaseSyncClient]
