"""The control channel end to end: JSON lines into a running simulator, faults seen on the wire."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from pymodbus.exceptions import ModbusIOException

from drivers.profile import ProfileLibrary
from drivers.sim import (
    ControlError,
    ControlServer,
    Endpoint,
    SimField,
    SimServer,
    VirtualDevice,
    send_control,
)
from tests.helpers.clock import FakeClock
from tests.helpers.modbus import ClientFactory
from tests.helpers.simfield import WIRING, devices_for

LIB = ProfileLibrary.load()


@pytest.fixture
def devices() -> list[VirtualDevice]:
    return [
        VirtualDevice("probe1a", 21, LIB["renke-rs-ecth-n01"]),
        VirtualDevice("relay1", 1, LIB["waveshare-relay-8ch"]),
    ]


@pytest.fixture
def control(devices: list[VirtualDevice]) -> Iterator[ControlServer]:
    with ControlServer(devices) as ctl:
        yield ctl


def test_fault_injected_from_the_command_line_shows_on_the_wire(
    devices: list[VirtualDevice], control: ControlServer, modbus_client: ClientFactory
) -> None:
    with SimServer(Endpoint("tcp", port=0), devices) as srv:
        client = modbus_client(srv.port)
        assert not client.read_holding_registers(0, count=3, device_id=21).isError()
        reply = send_control(
            "127.0.0.1",
            control.port,
            {"op": "fault", "device": "probe1a", "kind": "no_answer", "for_s": 30},
        )
        assert reply["ok"] and reply["fault"]["kind"] == "no_answer"
        with pytest.raises(ModbusIOException):
            client.read_holding_registers(0, count=3, device_id=21)
        status = send_control("127.0.0.1", control.port, {"op": "status"})
        probe_status = next(d for d in status["devices"] if d["name"] == "probe1a")
        assert probe_status["faults"][0]["kind"] == "no_answer"
        assert 0 < probe_status["faults"][0]["remaining_s"] <= 30
        reply = send_control("127.0.0.1", control.port, {"op": "clear", "device": "probe1a"})
        assert reply == {"ok": True, "cleared": 1}
        assert not client.read_holding_registers(0, count=3, device_id=21).isError()


def test_set_and_get(control: ControlServer, devices: list[VirtualDevice]) -> None:
    msg = {"op": "set", "device": "probe1a", "point": "moisture", "value": 23.5}
    assert send_control("127.0.0.1", control.port, msg)["value"] == pytest.approx(23.5)
    assert devices[0].get("moisture") == pytest.approx(23.5)
    msg = {"op": "get", "device": "probe1a", "point": "moisture"}
    assert send_control("127.0.0.1", control.port, msg)["value"] == pytest.approx(23.5)
    msg = {"op": "get", "device": "relay1"}
    assert send_control("127.0.0.1", control.port, msg)["status"]["values"]["ch1"] == 0


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"op": "explode"}, "op: unknown op 'explode'"),
        ({"op": "fault", "device": "nobody", "kind": "stuck"}, "device: unknown device 'nobody'"),
        ({"op": "fault", "device": "probe1a", "kind": "gremlins"}, "kind: unknown fault kind"),
        ({"op": "fault", "device": "probe1a", "kind": "slow"}, "delay_s: a slow fault needs"),
        ({"op": "fault", "device": "probe1a", "kind": "stuck", "point": "x"}, "no point 'x'"),
        ({"op": "set", "device": "probe1a", "point": "moisture", "value": "wet"}, "value:"),
        ({"op": "set", "device": "probe1a", "point": "moisture", "value": 1e9}, "does not fit"),
        ({"op": "get", "device": "probe1a", "point": "flow"}, "point: probe1a has no point"),
    ],
)
def test_bad_requests_get_a_clear_error(
    control: ControlServer, message: dict[str, object], error: str
) -> None:
    with pytest.raises(ControlError) as exc:
        send_control("127.0.0.1", control.port, message)
    assert exc.value.reply["ok"] is False
    assert error in str(exc.value)


def test_garbage_lines_do_not_stop_the_channel(control: ControlServer) -> None:
    with socket.create_connection(("127.0.0.1", control.port), timeout=2) as sock:
        stream = sock.makefile("rwb")
        for line in (b"not json\n", b"[1, 2]\n", b"\xff\xfe\n", b'{"op": "status"}\n'):
            stream.write(line)
            stream.flush()
            reply = json.loads(stream.readline())
        assert reply["ok"] is True  # the last, valid request on the same connection
    assert send_control("127.0.0.1", control.port, {"op": "status"})["ok"] is True


def test_control_channel_listens_on_loopback_only(devices: list[VirtualDevice]) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        ControlServer(devices, host="0.0.0.0")


def test_a_line_fault_is_set_and_cleared_through_the_channel(
    devices: list[VirtualDevice], control: ControlServer
) -> None:
    reply = control.handle({"op": "line", "zone": "z1", "kind": "clog", "fraction": 0.2})
    assert reply == {
        "ok": False,
        "error": "line: this simulator has no field to set a line fault in",
    }
    field = SimField(WIRING, devices_for(FakeClock()), seed=1)
    control.field = field
    message = {"op": "line", "zone": "z1", "kind": "clog", "fraction": 0.2}
    reply = send_control("127.0.0.1", control.port, message)
    assert reply["line_faults"] == {"z1": {"kind": "clog", "fraction": 0.2}}
    assert field.line_faults() == {"z1": ("clog", 0.2)}
    bad = control.handle({"op": "line", "zone": "z1", "kind": "burst", "fraction": 0.2})
    assert not bad["ok"] and "kind: a line fault is one of clog, leak" in bad["error"]
    cleared = send_control(
        "127.0.0.1", control.port, {"op": "line", "zone": "z1", "kind": "clog", "fraction": 0}
    )
    assert cleared["line_faults"] == {} and field.line_faults() == {}
