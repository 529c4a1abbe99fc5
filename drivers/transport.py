"""pymodbus clients, built from bus settings, and the one custom request qanat needs.

This module and :mod:`drivers.bus` are the only places that import pymodbus.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from dataclasses import dataclass
from typing import Literal

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.client.base import ModbusBaseSyncClient
from pymodbus.framer import FramerType
from pymodbus.pdu.bit_message import WriteSingleCoilRequest

__all__ = ["BusSettings", "FlashCoilRequest", "build_client", "connect_cause", "open_cause"]

BusKind = Literal["tcp", "rtu_over_tcp", "rtu"]


@dataclass(frozen=True, slots=True)
class BusSettings:
    """How to reach one physical bus and how patiently.

    ``timeout_s`` is per attempt; a transaction makes at most ``1 + retries``
    attempts, so a dead device costs at most ``(1 + retries) × timeout_s``
    before it is reported, and after ``failures_before_backoff`` failed
    transactions in a row it is skipped for a growing rest (``backoff_*``).
    ``gap_s`` is the silence kept between the end of one transaction and the
    start of the next (RS485 devices need a few character times).
    """

    name: str
    kind: BusKind
    host: str = ""
    port: int = 502
    serial_port: str = ""
    baudrate: int = 9600
    parity: str = "N"
    stopbits: int = 1
    bytesize: int = 8
    timeout_s: float = 0.5
    retries: int = 1
    gap_s: float = 0.01
    failures_before_backoff: int = 3
    backoff_base_s: float = 2.0
    backoff_max_s: float = 60.0

    @property
    def budget_s(self) -> float:
        """The longest one transaction may hold the bus (all attempts and gaps)."""
        return (1 + self.retries) * (self.timeout_s + self.gap_s)

    def describe(self) -> str:
        if self.kind == "rtu":
            return f"{self.serial_port} {self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"
        return f"{self.kind} {self.host}:{self.port}"


def build_client(settings: BusSettings) -> ModbusBaseSyncClient:
    """A pymodbus sync client for ``settings``; qanat does its own retries (``retries=0``)."""
    if settings.kind == "rtu":
        return ModbusSerialClient(
            settings.serial_port,
            framer=FramerType.RTU,
            baudrate=settings.baudrate,
            bytesize=settings.bytesize,
            parity=settings.parity,
            stopbits=settings.stopbits,
            timeout=settings.timeout_s,
            retries=0,
            name=settings.name,
        )
    framer = FramerType.SOCKET if settings.kind == "tcp" else FramerType.RTU
    return TcpClient(
        settings.host,
        port=settings.port,
        framer=framer,
        timeout=settings.timeout_s,
        retries=0,
        name=settings.name,
    )


# why a serial port would not open, by the errno of opening it (BusUnavailable's ``cause``)
_OPEN_CAUSES = {
    errno.ENOENT: "port_missing",
    errno.ENODEV: "port_missing",
    errno.ENXIO: "port_missing",
    errno.EACCES: "permission_denied",
    errno.EPERM: "permission_denied",
    errno.EBUSY: "port_busy",
}


def open_cause(settings: BusSettings) -> str:
    """Why the serial port of ``settings`` cannot be opened, as a code of
    :data:`_OPEN_CAUSES` (``"port_missing"``, ``"permission_denied"``, ``"port_busy"``),
    found by opening it once more (pymodbus logs the reason and keeps only "Failed to
    connect"); ``""`` for a TCP bus, a port that opens, or another reason."""
    if settings.kind != "rtu" or not settings.serial_port:
        return ""
    try:
        fd = os.open(settings.serial_port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        return _OPEN_CAUSES.get(exc.errno or 0, "")
    os.close(fd)
    return ""


class TcpClient(ModbusTcpClient):
    """pymodbus's TCP client keeping why its last connection failed (``connect_error``):
    pymodbus logs the reason and raises only "Failed to connect[…]"."""

    connect_error: OSError | None = None

    def connect(self) -> bool:
        """Connect as pymodbus does (same address, timeout and source address)."""
        if self.socket:
            return True
        params = self.comm_params
        try:
            self.socket = socket.create_connection(
                (params.host, params.port),
                timeout=params.timeout_connect,
                source_address=params.source_address,
            )
        except OSError as exc:
            self.connect_error = exc
            self.close()
            return False
        self.connect_error = None
        return True


# why a TCP connection failed, by the errno of the failure: (BusUnavailable's cause, words)
_CONNECT_CAUSES = {
    errno.ECONNREFUSED: (
        "connection_refused",
        "connection refused (nothing listens on that port, or a firewall refuses it)",
    ),
    errno.EHOSTUNREACH: ("no_route", "no route to the host (cable, address or subnet)"),
    errno.ENETUNREACH: ("no_route", "no route to the host (cable, address or subnet)"),
}


# every cause a bus that cannot be opened or connected may carry (the pages' ``bus_cause``)
BUS_CAUSES = frozenset(
    [
        *_OPEN_CAUSES.values(),
        *(code for code, _ in _CONNECT_CAUSES.values()),
        "unknown_host",
        "connect_timeout",
    ]
)


def connect_cause(client: ModbusBaseSyncClient, settings: BusSettings) -> tuple[str, str] | None:
    """Why ``client`` (built by :func:`build_client`) could not connect to the TCP bus of
    ``settings``: a cause code (``connection_refused``, ``connect_timeout``,
    ``unknown_host``, ``no_route``, ``""`` for another reason) and its words, which the
    bus's own message names the host and port before; ``None`` when the client connected
    or keeps no reason (a serial line: :func:`open_cause`)."""
    error = getattr(client, "connect_error", None)
    if not isinstance(error, OSError):
        return None
    if isinstance(error, socket.gaierror):
        return "unknown_host", f"unknown host name {settings.host!r} (check the site file)"
    if isinstance(error, TimeoutError):
        return (
            "connect_timeout",
            f"no answer to connect within {settings.timeout_s:g} s "
            "(host off, or not on this network)",
        )
    known = _CONNECT_CAUSES.get(error.errno or 0)
    return known if known is not None else ("", f"cannot connect: {error.strerror or error}")


class FlashCoilRequest(WriteSingleCoilRequest):
    """Function 05 carrying a raw 16-bit value instead of 0xFF00/0x0000.

    Relay modules with a "flash on" command (Waveshare: address 0x0200 + channel)
    read the value as an on-time in 100 ms steps; the relay opens by itself
    when it runs out, which is what makes an output a lease.
    """

    def __init__(self, address: int, raw_value: int, dev_id: int) -> None:
        super().__init__(address=address, bits=[True], dev_id=dev_id)
        self.raw_value = raw_value

    def encode(self) -> bytes:
        return struct.pack(">HH", self.address, self.raw_value)
