"""Fuzzing the bus owner on the wire: a real :class:`Bus` against an endpoint on loopback
that answers with whatever the test says — silence, garbage, cut or padded frames, another
unit's or function's answer, exception codes, flipped bytes, a dropped connection, a relay
that answers a write without switching.

A pymodbus server would never send most of these, so the endpoint is a raw socket server
(Modbus TCP and RTU over TCP) that frames good answers itself and then spoils them. Checked:
nothing but the drivers' own errors leaves the bus owner; a spoiled answer never becomes a
good reading; an output call returns only when the device really holds that state, and no
write but the one asked is ever sent; afterwards good answers read correctly again.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.bus import Bus, DeviceRef
from drivers.errors import DriverError
from drivers.profile import ProfileLibrary
from drivers.reading import Quality
from drivers.transport import BusSettings
from tests.helpers.clock import FakeClock
from tests.helpers.figures import Figures

LIB = ProfileLibrary.load()
PROBE = LIB["renke-rs-ecth-n01"]  # holding 0..2: moisture ×0.1, temperature ×0.1 signed, EC
RELAY = LIB["waveshare-relay-8ch"]  # coils 0..7, flash-on at 0x200 + channel
PROBE_UNIT, RELAY_UNIT = 21, 1
REGISTERS = [253, 0xFFEC, 350]  # 25.3 %, -2.0 °C, 350 µS/cm
EXPECTED = {"moisture": 25.3, "temperature": -2.0, "soil_ec": 350.0}
TIMEOUT_S = 0.15
Framing = Literal["tcp", "rtu_over_tcp"]

FUZZ = settings(
    max_examples=30,  # each spoiled answer may cost a timeout: kept short
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def crc16(data: bytes) -> bytes:
    """Modbus RTU CRC (polynomial 0xA001, low byte first)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack("<H", crc)


@dataclass(frozen=True)
class Request:
    tid: int  # 0 for RTU, which has none
    unit: int
    pdu: bytes  # function code and data, no CRC


@dataclass(frozen=True)
class Fault:
    """How one answer is spoiled; ``arg`` is the kind's parameter."""

    kind: str
    arg: Any = None


# Kinds after which no point of a read may read ok, whatever the framing.
SPOILING = {"silence", "close", "garbage", "truncate", "unit", "function", "exception", "count"}


class RawEndpoint:
    """A Modbus TCP or RTU-over-TCP device pair (probe and relay module) on a loopback port.

    Each request takes the next of ``faults`` (then good answers); writes change the relay's
    coils as a device would, whatever then happens to the answer.
    """

    def __init__(self, framing: Framing) -> None:
        self.framing = framing
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.coils = [False] * 8
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._server.close()
        for conn in self._conns:
            conn.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while True:
                request = self._request(conn)
                self.requests.append(request)
                answer = self._answer(request, self.faults.pop(0) if self.faults else Fault("good"))
                if answer is None:
                    conn.close()
                    return
                conn.sendall(answer)
        except (EOFError, OSError):
            conn.close()

    def _read(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _request(self, conn: socket.socket) -> Request:
        if self.framing == "tcp":
            tid, _protocol, length, unit = struct.unpack(">HHHB", self._read(conn, 7))
            return Request(tid, unit, self._read(conn, length - 1))
        unit, function = self._read(conn, 2)  # functions 1-6: four data bytes and the CRC
        return Request(0, unit, bytes([function]) + self._read(conn, 6)[:4])

    def frame(self, request: Request, pdu: bytes, *, unit: int | None = None) -> bytes:
        unit = request.unit if unit is None else unit
        if self.framing == "tcp":
            return struct.pack(">HHHB", request.tid, 0, len(pdu) + 1, unit) + pdu
        adu = bytes([unit]) + pdu
        return adu + crc16(adu)

    def good_pdu(self, request: Request, *, act: bool = True) -> bytes:
        function = request.pdu[0]
        address, value = struct.unpack(">HH", request.pdu[1:5])
        if function == 3 and request.unit == PROBE_UNIT:
            regs = [
                REGISTERS[a] if a < len(REGISTERS) else 0 for a in range(address, address + value)
            ]
            return bytes([3, 2 * value]) + struct.pack(f">{value}H", *regs)
        if function == 1 and request.unit == RELAY_UNIT:
            bits = [self.coils[a] if a < 8 else False for a in range(address, address + value)]
            packed = bytes(
                sum(1 << i for i, on in enumerate(bits[k : k + 8]) if on)
                for k in range(0, len(bits), 8)
            )
            return bytes([1, len(packed)]) + packed
        if function == 5 and request.unit == RELAY_UNIT:
            if act:  # 0x200 + channel: flash on for `value` × 100 ms
                self.coils[address % 0x200] = address >= 0x200 or value == 0xFF00
            return request.pdu
        return bytes([function | 0x80, 1])

    def _answer(self, request: Request, fault: Fault) -> bytes | None:
        kind, arg = fault.kind, fault.arg
        # A lost request does nothing and a stuck relay answers without switching; any other
        # write takes effect, even if its answer is then spoiled.
        pdu = self.good_pdu(request, act=kind not in ("silence", "close", "stuck"))
        good = self.frame(request, pdu)
        if kind == "silence":
            return b""
        if kind == "close":
            return None
        if kind == "garbage":
            return bytes(arg)
        if kind == "truncate":
            return good[: arg % len(good)]
        if kind == "trailing":
            return good + bytes(arg)
        if kind == "flip":
            index, mask = arg
            spoiled = bytearray(good)
            spoiled[index % len(spoiled)] ^= mask
            return bytes(spoiled)
        if kind == "unit":
            return self.frame(request, pdu, unit=(request.unit + arg) % 256)
        if kind == "function":  # another function than the one asked
            other = arg if arg != request.pdu[0] else arg % 6 + 1
            return self.frame(request, bytes([other]) + pdu[1:])
        if kind == "exception":
            return self.frame(request, bytes([request.pdu[0] | 0x80, arg]))
        if kind == "count" and pdu[0] in (1, 3):
            return self.frame(request, bytes([pdu[0], (pdu[1] + arg) % 256]) + pdu[2:])
        return good


faults = st.one_of(
    st.just(Fault("good")),
    st.just(Fault("silence")),
    st.just(Fault("close")),
    st.just(Fault("stuck")),
    st.builds(Fault, st.just("garbage"), st.binary(min_size=1, max_size=40)),
    st.builds(Fault, st.just("truncate"), st.integers(0, 300)),
    st.builds(Fault, st.just("trailing"), st.binary(min_size=1, max_size=20)),
    st.builds(Fault, st.just("flip"), st.tuples(st.integers(0, 300), st.integers(1, 255))),
    st.builds(Fault, st.just("unit"), st.integers(1, 255)),
    st.builds(Fault, st.just("function"), st.sampled_from([1, 2, 3, 4, 5, 6, 15, 16, 0x2B, 0x7F])),
    st.builds(Fault, st.just("exception"), st.integers(0, 255)),
    st.builds(Fault, st.just("count"), st.integers(1, 255)),
)


@contextmanager
def bus_on(framing: Framing) -> Iterator[tuple[RawEndpoint, Bus, FakeClock]]:
    """A fresh endpoint and the real bus owner on it (no retries: one request, one answer).

    The bus's back-off runs on a hand-moved clock, so a test can let any rest expire.
    """
    endpoint = RawEndpoint(framing)
    clock = FakeClock()
    settings = BusSettings(
        "fuzz",
        framing,
        host="127.0.0.1",
        port=endpoint.port,
        timeout_s=TIMEOUT_S,
        retries=0,
        gap_s=0,
    )
    devices = [DeviceRef("probe", PROBE_UNIT, PROBE), DeviceRef("relay", RELAY_UNIT, RELAY)]
    bus = Bus(settings, devices, monotonic=clock, sleep=clock.sleep)
    try:
        yield endpoint, bus, clock
    finally:
        bus.close()
        endpoint.close()


def writes(endpoint: RawEndpoint) -> list[tuple[int, int]]:
    """(address, value) of every write-single-coil the endpoint received."""
    return [struct.unpack(">HH", r.pdu[1:5]) for r in endpoint.requests if r.pdu[0] == 5]


def check_read(endpoint: RawEndpoint, bus: Bus, device: str, fault: Fault) -> None:
    readings, _ = bus.read_points(device)  # never raises for the device
    assert len(readings) == len(PROBE.points if device == "probe" else RELAY.points)
    for reading in readings:
        assert (reading.value is None) == (reading.quality is not Quality.OK)
    tcp = endpoint.framing == "tcp"
    # A CRC guards every RTU byte; TCP has none, so a flipped value may pass. TCP frames by
    # the header's length, and pymodbus takes coils from the bytes present, not the count
    # byte: a wrong count over the relay's real coil byte still reads those coils.
    spoiled = (fault.kind == "flip" and not tcp) or (
        fault.kind in SPOILING and not (fault.kind == "count" and tcp and device == "relay")
    )
    if spoiled:
        assert not any(r.ok for r in readings), (fault, readings)
    if device == "probe" and fault.kind in ("good", "trailing", "stuck"):
        assert all(r.value == EXPECTED[r.point] for r in readings if r.ok)


def check_output(endpoint: RawEndpoint, bus: Bus, op: str) -> None:
    wanted = op == "lease"
    commanded = (0x200 + 2, 20) if wanted else (2, 0x0000)  # ch3: 2 s = 20 × 100 ms
    before = len(writes(endpoint))
    try:
        if wanted:
            bus.lease_output("relay", "ch3", 2.0)
        else:
            bus.output_off("relay", "ch3")
    except DriverError:
        pass  # refused or failed: the caller knows, and the module's lease still ends
    else:
        assert endpoint.coils[2] is wanted  # returned: the module holds the state asked
    assert set(writes(endpoint)[before:]) <= {commanded}  # nothing written but the command


def recovers(endpoint: RawEndpoint, bus: Bus, clock: FakeClock) -> None:
    """With good answers (and any back-off over), reads and writes work again."""
    endpoint.faults.clear()
    for _attempt in range(3):  # a loaded machine may miss one short timeout
        clock.advance(3600)
        readings, _ = bus.read_points("probe")
        if all(r.ok for r in readings):
            break
    assert {r.point: r.value for r in readings} == EXPECTED, readings
    clock.advance(3600)
    bus.output_off("relay", "ch3")
    assert endpoint.coils[2] is False


@pytest.fixture(autouse=True)
def _quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL)  # pymodbus logs every spoiled frame


@pytest.mark.parametrize("framing", ["tcp", "rtu_over_tcp"])
@given(
    script=st.lists(
        st.tuples(st.sampled_from(["probe", "relay", "lease", "off"]), faults),
        min_size=1,
        max_size=3,
    )
)
@FUZZ
def test_spoiled_answers_never_pass_as_good_and_the_bus_recovers(
    framing: Framing, script: list[tuple[str, Fault]], figures: Figures
) -> None:
    figures.add("modbus_fuzz_cases")
    with bus_on(framing) as (endpoint, bus, clock):
        for op, fault in script:
            clock.advance(3600)  # whatever rest the last failure earned is over
            endpoint.faults[:] = [fault]
            if op in ("probe", "relay"):
                check_read(endpoint, bus, op, fault)
            else:
                check_output(endpoint, bus, op)
        recovers(endpoint, bus, clock)


@pytest.mark.parametrize("framing", ["tcp", "rtu_over_tcp"])
@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        (Fault("unit", 1), "no answer within"),  # pymodbus drops another unit's answer
        (Fault("function", 4), "read holding 0+3: answer of function 4, not 3"),
        (Fault("exception", 2), "read holding 0+3: exception 2 (illegal data address)"),
        (Fault("count", 2), ""),
    ],
    ids=["unit", "function", "exception", "count"],
)
def test_each_kind_of_wrong_answer_is_a_comm_error(
    framing: Framing, fault: Fault, detail: str, figures: Figures
) -> None:
    figures.add("modbus_fuzz_cases")
    with bus_on(framing) as (endpoint, bus, clock):
        endpoint.faults[:] = [fault]
        readings, _ = bus.read_points("probe")
        assert {r.quality for r in readings} == {Quality.COMM_ERROR}
        assert all(detail in r.detail for r in readings), readings
        recovers(endpoint, bus, clock)
