"""The bus owner at its seam: a scripted fake pymodbus client and a fake clock.

Real-server behaviour (TCP, RTU over TCP, serial) is covered by the
integration tests; here each rule of the owner is pinned exactly:
translation of pymodbus errors, bounded attempts, back-off, the inter-frame
gap, health counters, flagged readings and verified writes.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymodbus.exceptions import ConnectionException, ModbusIOException
from pymodbus.pdu import ExceptionResponse
from pymodbus.pdu.bit_message import ReadCoilsResponse, WriteSingleCoilResponse
from pymodbus.pdu.register_message import ReadHoldingRegistersResponse

from drivers.bus import Bus, DeviceRef
from drivers.errors import (
    BusUnavailable,
    DeviceBackedOff,
    DeviceError,
    DeviceException,
    DeviceTimeout,
    FieldIOError,
    LeaseOutOfRange,
    NotWritable,
    UsageError,
    VerifyMismatch,
)
from drivers.profile import ProfileLibrary
from drivers.reading import Quality
from drivers.transport import BusSettings, FlashCoilRequest, open_cause
from tests.helpers.clock import FakeClock

LIB = ProfileLibrary.load()
PROBE = LIB["renke-rs-ecth-n01"]
RELAY = LIB["waveshare-relay-8ch"]

Behaviour = Callable[[str, dict[str, Any]], Any]


class FakeClient:
    """Stands in for a pymodbus sync client; ``script`` answers each call by unit id."""

    def __init__(self, clock: FakeClock, script: dict[int, Behaviour]) -> None:
        self.clock = clock
        self.script = script
        self.calls: list[tuple[str, int, dict[str, Any]]] = []
        self.closed = 0
        self.coils: dict[int, list[bool]] = {}

    def _do(self, op: str, unit: int, **kw: Any) -> Any:
        self.calls.append((op, unit, kw))
        self.clock.now += 0.01  # every transaction takes some time on the wire
        return self.script[unit](op, kw)

    def read_holding_registers(self, address: int, *, count: int, device_id: int) -> Any:
        return self._do("read_holding", device_id, address=address, count=count)

    def read_coils(self, address: int, *, count: int, device_id: int) -> Any:
        return self._do("read_coils", device_id, address=address, count=count)

    def write_coil(self, address: int, value: bool, *, device_id: int) -> Any:
        return self._do("write_coil", device_id, address=address, value=value)

    def execute(self, no_response: bool, request: Any) -> Any:
        return self._do("execute", request.dev_id, request=request)

    def close(self) -> None:
        self.closed += 1


def probe_ok(op: str, kw: dict[str, Any]) -> Any:
    return ReadHoldingRegistersResponse(registers=[253, 0xFFEC, 350][: kw["count"]])


def timeout(op: str, kw: dict[str, Any]) -> Any:
    raise ModbusIOException("No response received after 0 retries, continue with next request")


def make_bus(script: dict[int, Behaviour], **settings: Any) -> tuple[Bus, FakeClient, FakeClock]:
    clock = FakeClock(1000.0)
    client = FakeClient(clock, script)
    s = BusSettings("b", "tcp", host="127.0.0.1", **settings)
    devices = [DeviceRef("p1", 1, PROBE), DeviceRef("p2", 2, PROBE), DeviceRef("r1", 9, RELAY)]
    bus = Bus(s, devices, client=client, monotonic=clock.monotonic, sleep=clock.sleep)  # type: ignore[arg-type]
    return bus, client, clock


def test_good_read_decodes_every_point_in_one_transaction() -> None:
    bus, client, _ = make_bus({1: probe_ok})
    readings, raw = bus.read_points("p1")
    assert [(r.point, r.value, r.quality) for r in readings] == [
        ("moisture", pytest.approx(25.3), Quality.OK),
        ("temperature", pytest.approx(-2.0), Quality.OK),
        ("soil_ec", 350.0, Quality.OK),
    ]
    assert len(client.calls) == 1 and raw[0].values == (253, 0xFFEC, 350)
    assert bus.health["p1"].ok == 1 and bus.health["p1"].last_good is not None


def test_out_of_range_value_is_flagged_not_passed_on() -> None:
    bus, _, _ = make_bus({1: lambda op, kw: ReadHoldingRegistersResponse(registers=[1500, 0, 0])})
    moisture = bus.read_points("p1")[0][0]
    assert moisture.quality is Quality.OUT_OF_RANGE
    assert moisture.value is None and moisture.decoded == pytest.approx(150.0)
    with pytest.raises(ValueError, match=r"p1\.moisture: quality out_of_range"):
        moisture.require()


def test_short_answer_is_a_bad_frame_reported_as_comm_error() -> None:
    bus, _, _ = make_bus({1: lambda op, kw: ReadHoldingRegistersResponse(registers=[1, 2])})
    readings, _ = bus.read_points("p1")
    assert {r.quality for r in readings} == {Quality.COMM_ERROR}
    assert "2 registers for 3" in readings[0].detail
    assert bus.health["p1"].bad_frame == 1


def test_timeout_is_retried_then_translated_and_bounded() -> None:
    bus, client, _ = make_bus({1: timeout}, retries=2, timeout_s=0.2)
    with pytest.raises(DeviceTimeout, match=r"p1: no answer within 0.2 s"):
        bus.read_block("p1", __import__("drivers.codec").codec.plan_reads(PROBE.points, 3)[0])
    assert len(client.calls) == 3  # 1 + retries, never more
    assert client.closed == 3  # a late answer cannot be taken for the next request
    assert bus.health["p1"].timeout == 1


def test_silent_device_backs_off_and_does_not_stall_the_others() -> None:
    bus, client, clock = make_bus(
        {1: timeout, 2: probe_ok}, retries=0, failures_before_backoff=2, backoff_base_s=10
    )
    for _ in range(2):
        assert bus.read_points("p1")[0][0].quality is Quality.COMM_ERROR
    n = len(client.calls)
    readings, _ = bus.read_points("p1")
    assert readings[0].quality is Quality.COMM_ERROR and "resting" in readings[0].detail
    assert len(client.calls) == n  # skipped without touching the wire
    assert bus.read_points("p2")[0][0].quality is Quality.OK
    clock.now += 10.5
    bus.read_points("p1")
    assert len(client.calls) == n + 2  # tried again after the rest (p2 read in between)
    assert bus.health["p1"].skipped == 1


def test_backoff_grows_and_is_capped() -> None:
    bus, _, clock = make_bus(
        {1: timeout}, retries=0, failures_before_backoff=1, backoff_base_s=2, backoff_max_s=5
    )
    rests = []
    for _ in range(4):
        bus.read_points("p1")
        rests.append(round(bus.health["p1"].backoff_until - clock.now, 2))
        clock.now = bus.health["p1"].backoff_until + 0.001
    assert rests == [2.0, 4.0, 5.0, 5.0]


def test_a_device_silent_for_days_rests_at_the_cap_without_overflow() -> None:
    """2,000 failures in a row (about 33 h at 60 s rests): the doubling is counted no further
    than the cap needs; it raised OverflowError at every poll from the 1,025th on."""
    bus, _, clock = make_bus(
        {1: timeout}, retries=0, failures_before_backoff=1, backoff_base_s=2, backoff_max_s=60
    )
    bus.health["p1"].consecutive_failures = 2000
    readings, _ = bus.read_points("p1")
    assert readings[0].quality is Quality.COMM_ERROR
    assert bus.health["p1"].backoff_until - clock.now == 60.0


def test_exception_response_is_typed_and_does_not_back_off() -> None:
    bus, _, _ = make_bus({1: lambda op, kw: ExceptionResponse(3, 2)}, failures_before_backoff=1)
    with pytest.raises(DeviceException) as info:
        bus.read_block("p1", __import__("drivers.codec").codec.plan_reads(PROBE.points, 3)[0])
    assert info.value.code == 2 and "illegal data address" in str(info.value)
    assert bus.health["p1"].exception == 1
    assert bus.health["p1"].backoff_until == 0.0  # the device is alive


def test_connection_refused_is_bus_unavailable() -> None:
    def refuse(op: str, kw: dict[str, Any]) -> Any:
        raise ConnectionException("Failed to connect")

    bus, _, _ = make_bus({1: refuse}, retries=0)
    readings, _ = bus.read_points("p1")
    assert "127.0.0.1:502" in readings[0].detail
    with pytest.raises(BusUnavailable):
        bus.read_block("p1", __import__("drivers.codec").codec.plan_reads(PROBE.points, 3)[0])


def _read_once(settings: BusSettings) -> tuple[str, dict[str, str]]:
    """One read of a probe on a real bus of ``settings``: the reading's detail and the
    values of the bus's last error."""
    bus = Bus(settings, [DeviceRef("p1", 1, PROBE)])
    try:
        readings, _ = bus.read_points("p1")
    finally:
        bus.close()
    said = bus.health_report()["p1"]["last_error_values"]
    assert isinstance(said, dict)
    return readings[0].detail, said


def test_a_serial_port_that_is_missing_is_said_so(tmp_path: Path) -> None:
    missing = tmp_path / "ttyUSB9"
    settings = BusSettings("b", "rtu", serial_port=str(missing), retries=0, timeout_s=0.05)
    detail, said = _read_once(settings)
    assert str(missing) in detail and said["cause"] == "port_missing"


@pytest.mark.parametrize(
    ("number", "cause"),
    [
        (errno.ENOENT, "port_missing"),
        (errno.EACCES, "permission_denied"),
        (errno.EBUSY, "port_busy"),
        (errno.EIO, ""),
    ],
)
def test_why_a_serial_port_cannot_be_opened_is_read_from_opening_it(
    monkeypatch: pytest.MonkeyPatch, number: int, cause: str
) -> None:
    def refuse(path: str, flags: int) -> int:
        raise OSError(number, os.strerror(number), path)

    monkeypatch.setattr(os, "open", refuse)
    assert open_cause(BusSettings("b", "rtu", serial_port="/dev/ttyUSB0")) == cause
    assert open_cause(BusSettings("b", "tcp", host="127.0.0.1")) == ""  # no port to open


def test_a_refused_tcp_connection_is_said_plainly_with_host_and_port() -> None:
    """A port bound but not listening refuses every connection: pymodbus says only
    "Failed to connect[…]"; the bus says the connection was refused, after host:port."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))  # not listening: a connection to it is refused
        port = held.getsockname()[1]
        settings = BusSettings("b", "tcp", host="127.0.0.1", port=port, retries=0)
        detail, said = _read_once(settings)
    assert detail == (
        f"p1: tcp 127.0.0.1:{port}: connection refused "
        "(nothing listens on that port, or a firewall refuses it)"
    )
    assert said["cause"] == "connection_refused"
    assert said["error"] in said["detail"] and "Failed to connect" not in said["detail"]


@pytest.mark.parametrize(
    ("error", "cause", "words"),
    [
        (TimeoutError("timed out"), "connect_timeout", "no answer to connect within 0.5 s"),
        (socket.gaierror(-2, "Name or service not known"), "unknown_host", "'gw.example'"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "no_route", "no route to the host"),
        (OSError(errno.ECONNRESET, "Connection reset by peer"), "", "cannot connect: Connection"),
    ],
)
def test_why_a_tcp_connection_failed_is_its_cause_and_plain_words(
    monkeypatch: pytest.MonkeyPatch, error: OSError, cause: str, words: str
) -> None:
    def fail(*args: Any, **kwargs: Any) -> socket.socket:
        raise error

    monkeypatch.setattr(socket, "create_connection", fail)
    settings = BusSettings("b", "tcp", host="gw.example", port=502, retries=0, timeout_s=0.5)
    detail, said = _read_once(settings)
    assert said["cause"] == cause
    assert detail.startswith("p1: tcp gw.example:502: ")
    assert words in said["error"] and "Failed to connect" not in said["error"]


def test_gap_is_kept_between_transactions() -> None:
    bus, _, clock = make_bus({1: probe_ok}, gap_s=0.05)
    bus.read_points("p1")
    bus.read_points("p1")
    assert clock.sleeps and clock.sleeps[-1] == pytest.approx(0.05)


def relay(stuck: bool = False) -> Behaviour:
    state = [False] * 8

    def answer(op: str, kw: dict[str, Any]) -> Any:
        if op == "write_coil":
            if not stuck:
                state[kw["address"]] = kw["value"]
            return WriteSingleCoilResponse(address=kw["address"], bits=[kw["value"]])
        if op == "execute":
            req = kw["request"]
            assert isinstance(req, FlashCoilRequest)
            if not stuck:
                state[req.address - 0x200] = True
            return WriteSingleCoilResponse(address=req.address, bits=[True])
        return ReadCoilsResponse(bits=state[kw["address"] : kw["address"] + kw["count"]])

    return answer


def test_lease_sends_flash_on_with_time_in_steps_and_verifies() -> None:
    bus, client, _ = make_bus({9: relay()})
    bus.lease_output("r1", "ch3", 15)
    op, _, kw = client.calls[0]
    assert op == "execute"
    assert kw["request"].address == 0x0202 and kw["request"].raw_value == 150
    assert kw["request"].encode() == bytes([0x02, 0x02, 0x00, 0x96])
    assert client.calls[1][0] == "read_coils"  # read back
    bus.output_off("r1", "ch3")
    assert bus.read_point("r1", "ch3").value == 0.0


def test_stuck_valve_raises_verify_mismatch() -> None:
    bus, _, _ = make_bus({9: relay(stuck=True)})
    with pytest.raises(VerifyMismatch, match=r"r1\.ch1: wrote \[1\] but read back \[0\]"):
        bus.lease_output("r1", "ch1", 15)


def test_lease_longer_than_the_module_allows_is_refused() -> None:
    bus, client, _ = make_bus({9: relay()})
    with pytest.raises(LeaseOutOfRange, match="outside"):
        bus.lease_output("r1", "ch1", 4000)
    assert client.calls == []


def test_writing_a_read_only_point_is_a_usage_error_not_a_field_failure() -> None:
    bus, client, _ = make_bus({1: timeout, 9: relay()})
    with pytest.raises(NotWritable, match=r"p1\.moisture: point is not writable") as info:
        bus.write_point("p1", "moisture", 1.0)
    assert isinstance(info.value, UsageError) and not isinstance(info.value, FieldIOError)
    with pytest.raises(NotWritable, match="no output lease"):
        bus.lease_output("p1", "moisture", 15)
    assert client.calls == []


def test_off_is_attempted_even_while_backed_off() -> None:
    calls = {"n": 0}
    good = relay()

    def flaky(op: str, kw: dict[str, Any]) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ModbusIOException("No response received")
        return good(op, kw)

    bus, _, _ = make_bus({9: flaky}, retries=0, failures_before_backoff=2)
    bus.read_points("r1")
    bus.read_points("r1")
    with pytest.raises(DeviceBackedOff):
        bus.lease_output("r1", "ch1", 10)
    bus.output_off("r1", "ch1")  # force=True: water must be stoppable


def _refuse(op: str, kw: dict[str, Any]) -> Any:
    raise ConnectionException("Failed to connect")


@pytest.mark.parametrize(
    ("script", "kind", "values"),
    [
        ({1: timeout}, "timeout", {"timeout_s": "0.2"}),
        (
            {1: lambda op, kw: ExceptionResponse(3, 2)},
            "exception",
            {"what": "read holding 0+3", "modbus_code": "2", "name": "illegal data address"},
        ),
        (
            {1: lambda op, kw: ReadHoldingRegistersResponse(registers=[1, 2])},
            "bad_frame",
            {},
        ),
        ({1: _refuse}, "unavailable", {"port": "tcp 127.0.0.1:502", "cause": ""}),
    ],
)
def test_the_last_error_is_kept_with_its_kind_and_values(
    script: dict[int, Behaviour], kind: str, values: dict[str, str]
) -> None:
    bus, _, _ = make_bus(script, retries=0, timeout_s=0.2)
    readings, _ = bus.read_points("p1")
    health = bus.health_report()["p1"]
    said = health["last_error_values"]
    assert isinstance(said, dict)
    assert health["last_error_kind"] == kind
    assert health["last_error"] == f"p1: {said['detail']}" == readings[0].detail
    assert said.items() >= values.items()
    # every value a page's sentence may name is there: the detail and the kind's fields
    (cls,) = [c for c in DeviceError.__subclasses__() if c.kind == kind]
    assert set(said) == {"detail", *cls.fields}
    # where the kind's fields make its whole message, its template words it as the bus does
    assert cls.template.format(**said) == said["detail"] if cls.template else not cls.fields


def test_a_backed_off_device_is_worded_as_its_template() -> None:
    bus, _, _ = make_bus({1: timeout}, retries=0, failures_before_backoff=1)
    bus.read_points("p1")
    readings, _ = bus.read_points("p1")
    assert readings[0].detail == "p1: " + DeviceBackedOff.template.format(failures=1)
