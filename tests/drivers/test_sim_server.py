"""The simulator on the wire: a real pymodbus client against SimServer on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from pymodbus.client.base import ModbusBaseSyncClient
from pymodbus.exceptions import ModbusIOException

from drivers.codec import decode, encode
from drivers.profile import Point, ProfileLibrary, Table
from drivers.sim import Endpoint, Fault, FaultKind, SimServer, VirtualDevice
from drivers.sim.pdu import RawWriteSingleCoil
from tests.helpers.clock import FakeClock
from tests.helpers.modbus import CLIENT_TIMEOUT_S, ClientFactory

LIB = ProfileLibrary.load()
PROBE = LIB["renke-rs-ecth-n01"]
RELAY = LIB["waveshare-relay-8ch"]
INJECTOR = LIB["prominent-gamma-x"]
FLASH = RELAY.lease.address_offset if RELAY.lease else 0


def _sample_value(pt: Point) -> float:
    """A value inside the point's range that is not the initial one."""
    if pt.table.is_bit:
        return 1
    lo = pt.min if pt.min is not None else 0.0
    hi = pt.max if pt.max is not None else lo + 100.0
    return lo + (hi - lo) * 0.37


def _read(client: ModbusBaseSyncClient, pt: Point, unit: int) -> list[int]:
    read = {
        Table.COIL: client.read_coils,
        Table.DISCRETE: client.read_discrete_inputs,
        Table.HOLDING: client.read_holding_registers,
        Table.INPUT: client.read_input_registers,
    }[pt.table]
    rr = read(pt.address, count=pt.width, device_id=unit)
    assert not rr.isError(), f"{pt.name}: {rr}"
    return [int(b) for b in rr.bits[: pt.width]] if pt.table.is_bit else list(rr.registers)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def probe(clock: FakeClock) -> VirtualDevice:
    return VirtualDevice("probe1a", 21, PROBE, clock)


@pytest.fixture
def relay() -> VirtualDevice:
    return VirtualDevice("relay1", 1, RELAY)  # real clock: leases run in real time here


@pytest.fixture
def injector(clock: FakeClock) -> VirtualDevice:
    return VirtualDevice("doser1", 5, INJECTOR, clock)


@pytest.fixture
def server(
    probe: VirtualDevice, relay: VirtualDevice, injector: VirtualDevice
) -> Iterator[SimServer]:
    with SimServer(Endpoint("tcp", port=0), [probe, relay, injector]) as srv:
        yield srv


@pytest.mark.parametrize("kind", ["tcp", "rtu_over_tcp"])
def test_every_point_of_every_profile_reads_its_encoded_value(
    kind: str, modbus_client: ClientFactory
) -> None:
    devices = [VirtualDevice(name, i + 1, LIB[name]) for i, name in enumerate(LIB.names())]
    expected: dict[tuple[int, str], list[int]] = {}
    for dev in devices:
        for pt in dev.profile.points:
            dev.set(pt.name, _sample_value(pt))
            expected[(dev.unit, pt.name)] = encode(pt, _sample_value(pt))
    with SimServer(Endpoint(kind, port=0), devices) as srv:  # type: ignore[arg-type]
        client = modbus_client(srv.port, kind)
        for dev in devices:
            for pt in dev.profile.points:
                assert _read(client, pt, dev.unit) == expected[(dev.unit, pt.name)], pt.name


@pytest.mark.parametrize("kind", ["tcp", "rtu_over_tcp"])
def test_absent_unit_gets_no_answer(
    kind: str, probe: VirtualDevice, modbus_client: ClientFactory
) -> None:
    with SimServer(Endpoint(kind, port=0), [probe]) as srv:  # type: ignore[arg-type]
        client = modbus_client(srv.port, kind)
        t0 = time.monotonic()
        with pytest.raises(ModbusIOException):
            client.read_holding_registers(0, count=1, device_id=99)
        assert time.monotonic() - t0 >= CLIENT_TIMEOUT_S * 0.9
        assert not client.read_holding_registers(0, count=1, device_id=21).isError()


def test_unmapped_address_answers_illegal_address(
    server: SimServer, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    rr = client.read_holding_registers(3, count=1, device_id=21)
    assert rr.isError() and rr.exception_code == 2
    rr = client.write_register(0, 5, device_id=21)  # moisture is read-only
    assert rr.isError() and rr.exception_code == 2


def test_no_answer_fault_then_cleared(
    server: SimServer, probe: VirtualDevice, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    probe.inject(Fault(FaultKind.NO_ANSWER))
    with pytest.raises(ModbusIOException):
        client.read_holding_registers(0, count=3, device_id=21)
    assert not client.read_coils(0, count=8, device_id=1).isError()  # others still answer
    probe.clear()
    assert not client.read_holding_registers(0, count=3, device_id=21).isError()


def test_fault_for_a_duration_ends_by_itself(
    server: SimServer, probe: VirtualDevice, clock: FakeClock, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    probe.inject(Fault(FaultKind.EXCEPTION, code=6, for_s=30))
    assert client.read_holding_registers(0, count=1, device_id=21).exception_code == 6
    clock.now += 30
    assert not client.read_holding_registers(0, count=1, device_id=21).isError()


def test_exception_fault_answers_its_code(
    server: SimServer, probe: VirtualDevice, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    probe.inject(Fault(FaultKind.EXCEPTION, point="soil_ec", code=4))
    assert not client.read_holding_registers(0, count=2, device_id=21).isError()
    rr = client.read_holding_registers(0, count=3, device_id=21)
    assert rr.isError() and rr.exception_code == 4
    probe.clear(point="soil_ec")
    assert not client.read_holding_registers(0, count=3, device_id=21).isError()


def test_garbage_fault_returns_given_then_random_words(
    server: SimServer, probe: VirtualDevice, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    probe.set("moisture", 25)
    probe.inject(Fault(FaultKind.GARBAGE, point="moisture", values=(0xFFFF,)))
    assert client.read_holding_registers(0, count=2, device_id=21).registers[0] == 0xFFFF
    probe.inject(Fault(FaultKind.GARBAGE, point="moisture"))
    seen = {client.read_holding_registers(0, count=1, device_id=21).registers[0] for _ in range(4)}
    assert len(seen) > 1
    probe.clear()
    assert client.read_holding_registers(0, count=1, device_id=21).registers == [250]


def test_drift_fault_grows_with_time(
    server: SimServer, probe: VirtualDevice, clock: FakeClock, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    pt = PROBE.point("moisture")
    probe.set("moisture", 20)
    probe.inject(Fault(FaultKind.DRIFT, point="moisture", rate_per_s=0.01))
    clock.now += 600
    regs = client.read_holding_registers(0, count=1, device_id=21).registers
    assert decode(pt, regs) == pytest.approx(26)
    probe.clear()
    assert decode(pt, client.read_holding_registers(0, count=1, device_id=21).registers) == 20


def test_slow_fault_delays_the_answer(
    server: SimServer, probe: VirtualDevice, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    probe.inject(Fault(FaultKind.SLOW, delay_s=0.15))
    t0 = time.monotonic()
    assert not client.read_holding_registers(0, count=1, device_id=21).isError()
    assert 0.15 <= time.monotonic() - t0 < CLIENT_TIMEOUT_S
    probe.clear()
    t0 = time.monotonic()
    client.read_holding_registers(0, count=1, device_id=21)
    assert time.monotonic() - t0 < 0.1


def test_stuck_valve_acknowledges_writes_but_does_not_move(
    server: SimServer, relay: VirtualDevice, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    relay.inject(Fault(FaultKind.STUCK, point="ch2"))
    rr = client.write_coil(1, True, device_id=1)
    assert not rr.isError() and rr.bits[0] is True  # the device echoes the request
    assert client.read_coils(0, count=8, device_id=1).bits[1] is False
    relay.clear()
    client.write_coil(1, True, device_id=1)
    assert client.read_coils(0, count=8, device_id=1).bits[1] is True


def test_write_single_register_echoes_the_request(
    server: SimServer, injector: VirtualDevice, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    run = INJECTOR.point("run")
    assert client.write_register(run.address, 1, device_id=5).registers == [1]
    assert injector.get("run") == 1
    injector.inject(Fault(FaultKind.STUCK, point="run"))
    assert client.write_register(run.address, 0, device_id=5).registers == [0]
    assert injector.get("run") == 1


def _coil(client: ModbusBaseSyncClient, channel: int) -> bool:
    return bool(client.read_coils(0, count=8, device_id=1).bits[channel])


def _flash(client: ModbusBaseSyncClient, channel: int, steps: int) -> None:
    rr = client.execute(False, RawWriteSingleCoil(FLASH + channel, steps, dev_id=1))
    assert isinstance(rr, RawWriteSingleCoil) and rr.value == steps  # echoed with its raw value


def test_flash_on_lease_switches_off_by_itself_and_reflash_extends(
    server: SimServer, modbus_client: ClientFactory
) -> None:
    client = modbus_client(server.port)
    client.register(RawWriteSingleCoil)
    _flash(client, 0, 5)  # 0.5 s
    _flash(client, 1, 5)
    flashed = time.monotonic()
    assert _coil(client, 0) and _coil(client, 1)
    _sleep_until(flashed + 0.25)
    _flash(client, 1, 5)  # renew ch2 only
    renewed = time.monotonic()
    _sleep_until(flashed + 0.55)
    assert not _coil(client, 0)
    assert _coil(client, 1)
    _sleep_until(renewed + 0.55)
    assert not _coil(client, 1)


def _sleep_until(deadline: float) -> None:
    time.sleep(max(0.0, deadline - time.monotonic()))


def test_duplicate_unit_ids_are_refused(probe: VirtualDevice) -> None:
    twin = VirtualDevice("probe1b", probe.unit, PROBE)
    with pytest.raises(ValueError, match="unit id 21 used by both 'probe1a' and 'probe1b'"):
        SimServer(Endpoint("tcp", port=0), [probe, twin])


def test_endpoint_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        Endpoint("udp")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="serial_port"):
        Endpoint("rtu")


def test_serve_from_asyncio(probe: VirtualDevice, modbus_client: ClientFactory) -> None:
    async def main() -> None:
        srv = SimServer(Endpoint("tcp", port=0), [probe])
        task = asyncio.create_task(srv.serve())
        while srv.port is None:
            await asyncio.sleep(0.01)
        client = modbus_client(srv.port)
        rr = await asyncio.to_thread(client.read_holding_registers, 0, count=1, device_id=21)
        assert not rr.isError()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
