"""The simulated pulse meter: pulses of the field's flow with its own error, in a counter
register that wraps and falls to 0 on a power loss; a stuck counter is a dead one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from drivers.sim import Fault, FaultKind, PulseWiring, SimField
from tests.helpers.clock import FakeClock
from tests.helpers.simfield import LIB, WIRING, devices_for

PULSES = PulseWiring("pm1", "dio1", "count1", litres_per_pulse=10.0)


def field(pulses: PulseWiring = PULSES, seed: int = 0) -> SimField:
    clock = FakeClock()
    devices = devices_for(clock)
    devices["dio1"] = type(devices["relay1"])("dio1", 40, LIB["isma-sfar-1m-4di"], clock)
    wiring = replace(WIRING, flow_meter="pm1", pulse_meters=(pulses,))
    f = SimField(wiring, devices, seed=seed)
    for ch in ("ch1", "ch7", "ch8"):  # zone z1 (12 m3/h), master valve, pump
        devices["relay1"].set(ch, 1)
    return f


def test_the_counter_counts_the_water_in_pulses_with_the_meters_own_error() -> None:
    f = field()
    for _ in range(600):
        f.step(1.0)
    meter = f.pulse_meters["pm1"]
    assert f.devices["dio1"].get("count1") == meter.count
    assert meter.count == int(meter.read_m3 * 100)  # whole pulses of 10 L
    assert meter.read_m3 == pytest.approx(f.total_m3 * meter.gain, rel=1e-9)
    assert meter.gain != 1.0 and abs(meter.gain - 1) < 0.03
    assert f.total_m3 == pytest.approx(2.0, rel=0.02)  # 12 m3/h for 10 min


def test_the_pulse_meters_draws_are_their_own() -> None:
    # the water (the field's stream) is the same with or without the pulse meter
    with_meter = field()
    plain = SimField(WIRING, devices_for(FakeClock()), seed=0)
    plain.devices["relay1"].set("ch1", 1)
    plain.devices["relay1"].set("ch7", 1)
    plain.devices["relay1"].set("ch8", 1)
    for _ in range(60):
        with_meter.step(1.0)
        plain.step(1.0)
    assert with_meter.total_m3 == plain.total_m3


def test_a_counter_wraps_at_its_width_and_falls_to_0_on_power_loss() -> None:
    f = field(replace(PULSES, start_count=(1 << 32) - 5))
    for _ in range(60):  # 200 L: 20 pulses
        f.step(1.0)
    meter = f.pulse_meters["pm1"]
    assert 10 <= meter.count <= 20  # wrapped past 2^32 - 1
    meter.power_loss()
    f.step(1.0)
    assert f.devices["dio1"].get("count1") <= 1


def test_a_dead_counter_stays_where_it_was() -> None:
    f = field()
    f.step(10.0)
    f.devices["dio1"].inject(Fault(FaultKind.STUCK, point="count1"))
    frozen = f.devices["dio1"].get("count1")
    for _ in range(30):
        f.step(1.0)
    assert f.pulse_meters["pm1"].count > frozen  # the water ran on
    assert f.devices["dio1"].get("count1") == frozen


def test_a_start_count_outside_the_register_is_refused() -> None:
    with pytest.raises(ValueError, match="start_count: 4294967296 outside"):
        field(replace(PULSES, start_count=1 << 32))
