"""VirtualDevice without a network: storage, leases on a fake clock, faults."""

from __future__ import annotations

import threading

import pytest
from pymodbus.constants import ExcCodes

from drivers.codec import decode, encode
from drivers.profile import ProfileLibrary, Table
from drivers.sim import Fault, FaultKind, VirtualDevice
from drivers.sim.faults import ExceptionAnswer, NoAnswer
from tests.helpers.clock import FakeClock

LIB = ProfileLibrary.load()
PROBE = LIB["renke-rs-ecth-n01"]
RELAY = LIB["waveshare-relay-8ch"]
FLASH = RELAY.lease.address_offset if RELAY.lease else 0
ON, OFF = 0xFF00, 0x0000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def relay(clock: FakeClock) -> VirtualDevice:
    return VirtualDevice("relay1", 1, RELAY, clock)


@pytest.fixture
def probe(clock: FakeClock) -> VirtualDevice:
    return VirtualDevice("probe1a", 21, PROBE, clock)


def test_set_get_round_trip_through_the_codec(probe: VirtualDevice) -> None:
    probe.set("moisture", 23.4)
    probe.set("temperature", -3.5)
    assert probe.get("moisture") == pytest.approx(23.4)
    assert probe.get("temperature") == pytest.approx(-3.5)
    words = probe.read(Table.HOLDING, 0, 2)
    assert words == encode(PROBE.point("moisture"), 23.4) + encode(PROBE.point("temperature"), -3.5)


@pytest.mark.parametrize("name", LIB.names())
def test_every_profile_builds_and_reads_its_points(name: str) -> None:
    dev = VirtualDevice(name, 1, LIB[name], seed=1)
    for pt in LIB[name].points:
        assert dev.read(pt.table, pt.address, pt.width) == encode(pt, dev.get(pt.name))


def test_unmapped_address_is_illegal(probe: VirtualDevice) -> None:
    with pytest.raises(ExceptionAnswer) as exc:
        probe.read(Table.HOLDING, 3, 1)
    assert exc.value.code is ExcCodes.ILLEGAL_ADDRESS
    with pytest.raises(ExceptionAnswer) as exc:
        probe.read(Table.INPUT, 0, 1)
    assert exc.value.code is ExcCodes.ILLEGAL_ADDRESS


def test_read_longer_than_the_device_allows_is_refused(probe: VirtualDevice) -> None:
    with pytest.raises(ExceptionAnswer) as exc:
        probe.read(Table.HOLDING, 0, PROBE.max_read_registers + 1)
    assert exc.value.code is ExcCodes.ILLEGAL_VALUE


def test_a_write_of_more_coils_than_the_module_allows_is_refused(relay: VirtualDevice) -> None:
    relay.set("ch1", 1)
    with pytest.raises(ExceptionAnswer) as exc:
        relay.write(Table.COIL, 0, [0] * (relay.profile.max_write_coils + 1))
    assert exc.value.code is ExcCodes.ILLEGAL_VALUE
    assert relay.get("ch1") == 1
    relay.write(Table.COIL, 0, [0] * relay.profile.max_write_coils)
    assert relay.get("ch1") == 0


def test_write_to_read_only_point_is_refused(probe: VirtualDevice) -> None:
    with pytest.raises(ExceptionAnswer) as exc:
        probe.write(Table.HOLDING, 0, [123])
    assert exc.value.code is ExcCodes.ILLEGAL_ADDRESS
    assert probe.get("moisture") == 0


def test_flash_on_lease_expires_on_the_clock(relay: VirtualDevice, clock: FakeClock) -> None:
    relay.write_coil_raw(FLASH + 2, 50)  # 5.0 s
    assert relay.get("ch3") == 1
    assert relay.lease_remaining_s("ch3") == pytest.approx(5.0)
    clock.advance(4.9)
    assert relay.read(Table.COIL, 0, 8)[2] == 1
    clock.advance(0.2)
    assert relay.read(Table.COIL, 0, 8)[2] == 0
    assert relay.lease_remaining_s("ch3") is None


def test_reflash_restarts_the_timer(relay: VirtualDevice, clock: FakeClock) -> None:
    relay.write_coil_raw(FLASH, 30)
    clock.advance(2.5)
    relay.write_coil_raw(FLASH, 30)
    clock.advance(2.5)
    assert relay.get("ch1") == 1
    clock.advance(0.6)
    relay.tick()
    assert relay.get("ch1") == 0


def test_plain_coil_write_cancels_the_lease(relay: VirtualDevice, clock: FakeClock) -> None:
    relay.write_coil_raw(FLASH + 1, 10)
    relay.write_coil_raw(1, ON)
    clock.advance(5)
    assert relay.get("ch2") == 1  # held on without a timer
    relay.write_coil_raw(FLASH + 1, 10)
    relay.write_coil_raw(1, OFF)
    assert relay.get("ch2") == 0
    clock.advance(5)
    assert relay.get("ch2") == 0


def test_flash_time_outside_the_documented_range_is_refused(relay: VirtualDevice) -> None:
    for steps in (0, 0x8000):
        with pytest.raises(ExceptionAnswer) as exc:
            relay.write_coil_raw(FLASH, steps)
        assert exc.value.code is ExcCodes.ILLEGAL_VALUE
    with pytest.raises(ExceptionAnswer) as exc:
        relay.write_coil_raw(0, 0x1234)
    assert exc.value.code is ExcCodes.ILLEGAL_VALUE
    with pytest.raises(ExceptionAnswer) as exc:
        relay.read(Table.COIL, FLASH, 1)  # the flash address is write-only
    assert exc.value.code is ExcCodes.ILLEGAL_ADDRESS


def test_stuck_valve_ignores_writes_and_its_timer(relay: VirtualDevice, clock: FakeClock) -> None:
    relay.write_coil_raw(FLASH + 3, 10)
    relay.inject(Fault(FaultKind.STUCK, point="ch4"))
    relay.write_coil_raw(3, OFF)
    relay.write(Table.COIL, 0, [1, 1, 1, 0])
    clock.advance(5)
    assert relay.read(Table.COIL, 0, 8)[:4] == [1, 1, 1, 1]  # ch4 stuck on, welded
    relay.clear()
    relay.write_coil_raw(3, OFF)
    assert relay.get("ch4") == 0


def test_stuck_sensor_freezes_against_the_field(probe: VirtualDevice) -> None:
    probe.set("moisture", 20)
    probe.inject(Fault(FaultKind.STUCK))
    probe.set("moisture", 30)
    assert probe.get("moisture") == 20
    probe.clear()
    probe.set("moisture", 30)
    assert probe.get("moisture") == 30


def test_fault_for_a_duration_ends_by_itself(probe: VirtualDevice, clock: FakeClock) -> None:
    probe.inject(Fault(FaultKind.NO_ANSWER, for_s=30))
    with pytest.raises(NoAnswer):
        probe.read(Table.HOLDING, 0, 1)
    clock.advance(30)
    assert probe.read(Table.HOLDING, 0, 1) == [0]
    assert probe.faults() == []


def test_point_fault_only_touches_requests_on_that_point(probe: VirtualDevice) -> None:
    probe.inject(Fault(FaultKind.EXCEPTION, point="soil_ec", code=4))
    assert probe.read(Table.HOLDING, 0, 2) == [0, 0]
    with pytest.raises(ExceptionAnswer) as exc:
        probe.read(Table.HOLDING, 0, 3)
    assert exc.value.code is ExcCodes.DEVICE_FAILURE


def test_drift_grows_from_injection(probe: VirtualDevice, clock: FakeClock) -> None:
    probe.set("moisture", 20)
    probe.inject(Fault(FaultKind.DRIFT, point="moisture", rate_per_s=0.5))
    clock.advance(10)
    assert decode(PROBE.point("moisture"), probe.read(Table.HOLDING, 0, 1)) == pytest.approx(25)
    assert probe.get("moisture") == 20  # the true value is untouched


def test_drift_saturates_at_the_type_limit(probe: VirtualDevice, clock: FakeClock) -> None:
    probe.inject(Fault(FaultKind.DRIFT, point="moisture", rate_per_s=-1))
    clock.advance(100)
    assert probe.read(Table.HOLDING, 0, 1) == [0]


def test_garbage_given_and_random(probe: VirtualDevice) -> None:
    probe.inject(Fault(FaultKind.GARBAGE, point="temperature", values=(0x7FFF,)))
    assert probe.read(Table.HOLDING, 0, 3) == [0, 0x7FFF, 0]
    probe.inject(Fault(FaultKind.GARBAGE))
    words = [w for _ in range(5) for w in probe.read(Table.HOLDING, 0, 3)]
    assert len(set(words)) > 5


def test_fault_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"^kind:"):
        Fault.from_dict({"kind": "gremlins"})
    with pytest.raises(ValueError, match=r"^code:"):
        Fault(FaultKind.EXCEPTION, code=99)
    with pytest.raises(ValueError, match=r"^delay_s:"):
        Fault(FaultKind.SLOW)
    with pytest.raises(ValueError, match=r"^rate_per_s:"):
        Fault(FaultKind.DRIFT)
    with pytest.raises(ValueError, match=r"^for_s:"):
        Fault(FaultKind.NO_ANSWER, for_s=-1)
    with pytest.raises(ValueError, match=r"^values:"):
        Fault(FaultKind.GARBAGE, values=(70000,))
    with pytest.raises(ValueError, match=r"^wobble:"):
        Fault.from_dict({"kind": "slow", "wobble": 1})


def test_unknown_point_in_a_fault_is_refused(probe: VirtualDevice) -> None:
    with pytest.raises(ValueError, match="no point 'flow_rate'"):
        probe.inject(Fault(FaultKind.STUCK, point="flow_rate"))


def test_unit_id_range() -> None:
    with pytest.raises(ValueError, match="unit id 0"):
        VirtualDevice("x", 0, PROBE)


def test_concurrent_injection_and_access(relay: VirtualDevice) -> None:
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for i in range(300):
                relay.inject(Fault(FaultKind.STUCK, point="ch1"))
                relay.clear(point="ch1")
                relay.write_coil_raw(FLASH, 1 + i % 5)
                relay.read(Table.COIL, 0, 8)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
