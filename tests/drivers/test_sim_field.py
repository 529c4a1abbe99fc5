"""The simulated field: outputs on the relay move flow, moisture, EC and tank values."""

from __future__ import annotations

import pytest

from drivers.profile import ProfileLibrary
from drivers.sim import (
    Fault,
    FaultKind,
    FieldWiring,
    Output,
    SimField,
    VirtualDevice,
    ZoneWiring,
)
from tests.helpers.clock import FakeClock
from tests.helpers.simfield import FLASH, WIRING
from tests.helpers.simfield import devices_for as _devices


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def devices(clock: FakeClock) -> dict[str, VirtualDevice]:
    return _devices(clock)


def _advance(field: SimField, clock: FakeClock, seconds: float, dt_s: float = 10.0) -> None:
    for _ in range(round(seconds / dt_s)):
        clock.now += dt_s
        field.step(dt_s)


def test_flow_follows_an_open_valve(devices: dict[str, VirtualDevice], clock: FakeClock) -> None:
    field = SimField(WIRING, devices, seed=1)
    relay, flow = devices["relay1"], devices["flow1"]
    relay.set("ch1", 1)
    _advance(field, clock, 60)
    assert flow.get("flow_rate") == 0  # valve open but no pump
    relay.set("ch7", 1)
    relay.set("ch8", 1)
    _advance(field, clock, 60)
    assert flow.get("flow_rate") == pytest.approx(12.0, rel=0.05)
    relay.set("ch2", 1)
    _advance(field, clock, 60)
    assert flow.get("flow_rate") == pytest.approx(20.0, rel=0.05)
    assert devices["press1"].get("line_pressure") < 320
    relay.set("ch1", 0)
    relay.set("ch2", 0)
    _advance(field, clock, 10)
    assert flow.get("flow_rate") == 0
    # total integrates the flow: 1 min at 12 m3/h + 1 min at 20 m3/h
    assert field.total_m3 == pytest.approx(12 / 60 + 20 / 60, rel=0.05)


def test_flow_stops_when_a_valve_lease_runs_out(
    devices: dict[str, VirtualDevice], clock: FakeClock
) -> None:
    field = SimField(WIRING, devices, seed=1)
    relay = devices["relay1"]
    relay.set("ch7", 1)
    relay.set("ch8", 1)
    relay.write_coil_raw(FLASH, 600)  # zone 1 for 60 s
    _advance(field, clock, 50)
    assert field.flow_m3h > 0
    _advance(field, clock, 20)
    assert field.flow_m3h == 0
    assert devices["flow1"].get("flow_rate") == 0


def test_moisture_rises_where_watered_and_falls_elsewhere(
    devices: dict[str, VirtualDevice], clock: FakeClock
) -> None:
    field = SimField(WIRING, devices, seed=1)
    before = (devices["probe1a"].get("moisture"), devices["probe2a"].get("moisture"))
    for ch in ("ch1", "ch7", "ch8"):
        devices["relay1"].set(ch, 1)
    _advance(field, clock, 3600, dt_s=60)
    assert devices["probe1a"].get("moisture") > before[0] + 5
    assert devices["probe2a"].get("moisture") < before[1]


def test_injection_raises_ec_draws_the_tank_and_ec_decays_after(
    devices: dict[str, VirtualDevice], clock: FakeClock
) -> None:
    field = SimField(WIRING, devices, seed=1)
    doser, ec, tank = devices["doser1"], devices["ec1"], devices["tank_n"]
    for ch in ("ch1", "ch7", "ch8"):
        devices["relay1"].set(ch, 1)
    doser.set("rate_setpoint", 60.0)  # L/h into 12 m3/h
    doser.set("run", 1)
    _advance(field, clock, 300)
    assert ec.get("ec") == pytest.approx(0.6 + 0.1 * 60 / 12, rel=0.05)
    assert devices["ph1"].get("ph") < 7.4
    assert tank.get("level") == pytest.approx(1.2 - 0.060 * 300 / 3600 / 0.5, abs=0.002)
    doser.set("run", 0)
    _advance(field, clock, 600)
    assert ec.get("ec") == pytest.approx(0.6, abs=0.05)
    drawn = field.tank_level_m("tank_n")
    assert field.refill_tank("tank_n") == drawn  # a technician's refill, to where it started
    _advance(field, clock, 1)
    assert field.tank_start_m("tank_n") == 1.2
    assert tank.get("level") == pytest.approx(1.2, abs=0.02)  # the transmitter's resolution


def test_weather_follows_the_day(devices: dict[str, VirtualDevice], clock: FakeClock) -> None:
    field = SimField(WIRING, devices, seed=1)  # starts at 06:00
    temps = {}
    for hour in range(6, 30):
        _advance(field, clock, 3600, dt_s=600)
        temps[(hour + 1) % 24] = devices["wx1"].get("air_temperature")
    assert temps[15] > temps[9] > temps[3]
    assert 0 <= devices["wx1"].get("humidity") <= 100


def test_same_seed_same_field(clock: FakeClock) -> None:
    def run() -> list[dict[str, object]]:
        devices = _devices(FakeClock())
        field = SimField(WIRING, devices, seed=7)
        for ch in ("ch1", "ch7", "ch8"):
            devices["relay1"].set(ch, 1)
        for _ in range(30):
            field.step(10)
        return [dev.status() for dev in devices.values()]

    assert run() == run()


def test_faults_still_apply_to_field_values(
    devices: dict[str, VirtualDevice], clock: FakeClock
) -> None:
    field = SimField(WIRING, devices, seed=1)
    probe = devices["probe1a"]
    frozen = probe.get("moisture")
    probe.inject(Fault(FaultKind.STUCK, point="moisture"))
    for ch in ("ch1", "ch7", "ch8"):
        devices["relay1"].set(ch, 1)
    _advance(field, clock, 600, dt_s=60)
    assert probe.get("moisture") == frozen
    probe.clear()
    field.step(1)
    assert probe.get("moisture") == pytest.approx(field.moisture_pct("z1"), abs=0.1)


def test_wiring_errors_name_the_key_path(devices: dict[str, VirtualDevice]) -> None:
    bad = FieldWiring(
        zones=(ZoneWiring("z1", Output("relay9", "ch1"), 10.0, probes=("flow1",)),),
        flow_meter="probe1a",
    )
    with pytest.raises(ValueError) as exc:
        SimField(bad, devices)
    message = str(exc.value)
    assert "zones[0].valve: unknown device 'relay9'" in message
    assert "zones[0].probes[0]: device 'flow1' (tuf-2000m) has no point 'moisture'" in message
    assert "flow_meter: device 'probe1a' (renke-rs-ecth-n01) has no point 'flow_rate'" in message


def test_filter_clogs_with_water_and_a_backflush_cleans_it() -> None:
    from drivers.sim import FieldWiring, Output, SimField, VirtualDevice, ZoneWiring

    lib = ProfileLibrary.load()
    relay = VirtualDevice("relay", 1, lib["waveshare-relay-8ch"])
    meter = VirtualDevice("flow", 2, lib["tuf-2000m"])
    after = VirtualDevice("p_after", 3, lib["generic-rs485-pressure-transmitter"])
    before = VirtualDevice("p_before", 4, lib["generic-rs485-pressure-transmitter"])
    wiring = FieldWiring(
        zones=(ZoneWiring("z1", Output("relay", "ch1"), 100.0),),
        pump=Output("relay", "ch8"),
        flow_meter="flow",
        pressure="p_after",
        pressure_before_filter="p_before",
        backflush_valve=Output("relay", "ch6"),
    )
    field = SimField(wiring, [relay, meter, after, before], seed=1)
    relay.set("ch1", 1)
    relay.set("ch8", 1)
    field.step(60)
    clean_dp = before.get("line_pressure") - after.get("line_pressure")
    assert 10 < clean_dp < 25  # about FILTER_CLEAN_DP_KPA at the design flow
    for _ in range(60):  # a thousand m3 through the screen
        field.step(600)
    clogged_dp = field.filter_dp_kpa
    assert clogged_dp > clean_dp + 40
    relay.set("ch6", 1)
    field.step(60)
    relay.set("ch6", 0)
    field.step(1)
    assert field.filter_dp_kpa < clean_dp + 5


def test_a_line_fault_scales_its_zone_flow_and_is_off_by_default(
    devices: dict[str, VirtualDevice], clock: FakeClock
) -> None:
    sound, faulty = SimField(WIRING, devices, seed=1), None
    relay, flow = devices["relay1"], devices["flow1"]
    for ch in ("ch1", "ch7", "ch8"):
        relay.set(ch, 1)
    _advance(sound, clock, 60)
    sound_m3h = flow.get("flow_rate")
    assert sound.line_faults() == {}
    faulty = SimField(WIRING, _devices(FakeClock()), seed=1)
    faulty.set_line_fault("z1", "clog", 0.2)
    for ch in ("ch1", "ch7", "ch8"):
        faulty.devices["relay1"].set(ch, 1)
    for _ in range(6):
        faulty.step(10.0)
    assert faulty.zone_flow_m3h("z1") == pytest.approx(0.8 * sound.zone_flow_m3h("z1"), rel=0.03)
    assert faulty.devices["flow1"].get("flow_rate") == pytest.approx(0.8 * sound_m3h, rel=0.03)
    faulty.set_line_fault("z1", "leak", 0.3)
    faulty.step(10.0)
    assert faulty.zone_flow_m3h("z1") == pytest.approx(1.3 * sound.zone_flow_m3h("z1"), rel=0.03)
    faulty.set_line_fault("z1", "leak", 0)
    assert faulty.line_faults() == {}
    with pytest.raises(ValueError, match="zone: unknown zone 'nope'"):
        faulty.set_line_fault("nope", "clog", 0.1)
    with pytest.raises(ValueError, match="kind: a line fault is one of clog, leak"):
        faulty.set_line_fault("z1", "burst", 0.1)
    with pytest.raises(ValueError, match="fraction"):
        faulty.set_line_fault("z1", "clog", 1.5)
