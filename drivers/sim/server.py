"""Serving simulated devices on one endpoint: Modbus TCP, RTU over TCP, RTU on a serial port.

One :class:`SimServer` per endpoint answers for every device on it, by unit
id; unknown unit ids get no answer at all, as on a real RS485 bus. An
RS485-to-Ethernet gateway is ``rtu_over_tcp``: a TCP socket carrying RTU
frames. A serial endpoint works on any tty, e.g. one end of a socat pty pair
(``socat pty,raw,echo=0,link=/tmp/a pty,raw,echo=0,link=/tmp/b``).

From sync code::

    with SimServer(Endpoint("tcp", port=0), devices) as server:
        ...  # server.port is the bound port

From asyncio: ``await server.serve()`` (runs until cancelled or ``stop()``),
or ``await server.open()`` … ``await server.close()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.server.base import ModbusBaseServer

from drivers.sim._thread import BackgroundService
from drivers.sim.context import SimContext
from drivers.sim.device import VirtualDevice
from drivers.sim.pdu import RawWriteSingleCoil, WriteSingleRegisterEcho

__all__ = ["Endpoint", "EndpointKind", "SimServer"]

EndpointKind = Literal["tcp", "rtu_over_tcp", "rtu"]
_KINDS = ("tcp", "rtu_over_tcp", "rtu")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where simulated devices answer.

    ``tcp`` and ``rtu_over_tcp`` listen on ``host``:``port`` (port 0: any free
    port, see :attr:`SimServer.port`); ``rtu`` opens ``serial_port`` with
    the given line settings.
    """

    kind: EndpointKind
    host: str = "127.0.0.1"
    port: int = 502
    serial_port: str = ""
    baudrate: int = 9600
    parity: str = "N"
    stopbits: int = 1
    bytesize: int = 8

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            allowed = ", ".join(_KINDS)
            raise ValueError(f"kind: unknown endpoint kind {self.kind!r} (one of {allowed})")
        if self.kind == "rtu":
            if not self.serial_port:
                raise ValueError("serial_port: an rtu endpoint needs a serial port")
            if self.parity not in ("N", "E", "O"):
                raise ValueError(f"parity: expected N, E or O, got {self.parity!r}")
            if self.stopbits not in (1, 2):
                raise ValueError(f"stopbits: expected 1 or 2, got {self.stopbits!r}")
        elif not 0 <= self.port <= 0xFFFF:
            raise ValueError(f"port: {self.port} outside 0..65535")

    def describe(self) -> str:
        if self.kind == "rtu":
            line = f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"
            return f"rtu {self.serial_port} {line}"
        return f"{self.kind} {self.host}:{self.port}"


class SimServer:
    """A Modbus server for ``devices`` (unique unit ids) on ``endpoint``."""

    def __init__(self, endpoint: Endpoint, devices: Iterable[VirtualDevice]) -> None:
        self.endpoint = endpoint
        self.context = SimContext(devices)
        self.port: int | None = None
        self._server: ModbusBaseServer | None = None
        self._background = BackgroundService(f"sim {endpoint.describe()}", self._open_for_thread)

    @property
    def devices(self) -> list[VirtualDevice]:
        return [self.context.units[u] for u in sorted(self.context.units)]

    # ------------------------------------------------------------ sync use

    def start(self, timeout_s: float = 10.0) -> SimServer:
        """Serve in a background thread; returns once listening (``OSError`` if it cannot)."""
        self._background.start(timeout_s)
        return self

    def stop(self) -> None:
        """Stop the background thread started by :meth:`start`."""
        self._background.stop()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------ asyncio use

    async def open(self) -> None:
        """Listen in the running event loop; sets :attr:`port` for TCP endpoints."""
        server = self._build()
        try:
            await server.serve_forever(background=True)
        except RuntimeError as exc:
            raise OSError(f"cannot serve on {self.endpoint.describe()}") from exc
        self._server = server
        sockets = getattr(server.transport, "sockets", None)
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None

    async def serve(self) -> None:
        """Listen and answer until the task is cancelled."""
        await self.open()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def _open_for_thread(self) -> Callable[[], Awaitable[None]]:
        await self.open()
        return self.close

    def _build(self) -> ModbusBaseServer:
        ep = self.endpoint
        custom = [RawWriteSingleCoil, WriteSingleRegisterEcho]
        if ep.kind == "rtu":
            return ModbusSerialServer(
                self.context,
                framer=FramerType.RTU,
                port=ep.serial_port,
                baudrate=ep.baudrate,
                parity=ep.parity,
                stopbits=ep.stopbits,
                bytesize=ep.bytesize,
                ignore_missing_devices=True,
                custom_pdu=custom,
            )
        return ModbusTcpServer(
            self.context,
            framer=FramerType.SOCKET if ep.kind == "tcp" else FramerType.RTU,
            address=(ep.host, ep.port),
            ignore_missing_devices=True,
            custom_pdu=custom,
        )
