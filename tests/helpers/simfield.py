"""A small simulated field: two zones, pump, master valve, meters, injector, one tank, the
devices built from the real profiles and a hand-moved clock."""

from __future__ import annotations

from drivers.profile import ProfileLibrary
from drivers.sim import FieldWiring, Output, TankWiring, VirtualDevice, ZoneWiring
from tests.helpers.clock import FakeClock

__all__ = ["FLASH", "LIB", "RELAY", "WIRING", "devices_for"]

LIB = ProfileLibrary.load()
RELAY = LIB["waveshare-relay-8ch"]
FLASH = RELAY.lease.address_offset if RELAY.lease else 0


def devices_for(clock: FakeClock) -> dict[str, VirtualDevice]:
    spec = {
        "relay1": "waveshare-relay-8ch",
        "flow1": "tuf-2000m",
        "press1": "generic-rs485-pressure-transmitter",
        "ec1": "seeed-sensecap-s-ec-01",
        "ph1": "supmea-sup-ph8001",
        "doser1": "prominent-gamma-x",
        "tank_n": "generic-rs485-level-transmitter",
        "wx1": "seeed-sensecap-one-s1000",
        "probe1a": "renke-rs-ecth-n01",
        "probe2a": "renke-rs-ecth-n01",
    }
    return {
        name: VirtualDevice(name, unit, LIB[profile], clock)
        for unit, (name, profile) in enumerate(spec.items(), start=1)
    }


WIRING = FieldWiring(
    zones=(
        ZoneWiring("z1", Output("relay1", "ch1"), nominal_flow_m3h=12.0, probes=("probe1a",)),
        ZoneWiring("z2", Output("relay1", "ch2"), nominal_flow_m3h=8.0, probes=("probe2a",)),
    ),
    pump=Output("relay1", "ch8"),
    master_valve=Output("relay1", "ch7"),
    flow_meter="flow1",
    pressure="press1",
    ec_meter="ec1",
    ph_meter="ph1",
    injector="doser1",
    weather_station="wx1",
    tanks=(TankWiring("tank_n", area_m2=0.5, initial_level_m=1.2),),
)
