"""Simulated Modbus devices built from device profiles, with run-time fault injection.

Public API (everything else in this package is internal)::

    # devices (drivers.sim.device)
    VirtualDevice(name: str, unit: int, profile: Profile,
                  clock: Callable[[], float] = time.monotonic, *, seed: int | str | None = None)
        .set(point: str, value: float) -> None       engineering units, via codec.encode
        .get(point: str) -> float                    true value (lease expiry applied)
        .lease_remaining_s(point: str) -> float | None
        .tick() -> None                              evaluate timers now (access does too)
        .inject(fault: Fault) -> ActiveFault         ValueError for an unknown point
        .clear(point: str | None = None, kind: FaultKind | str | None = None) -> int
        .faults() -> list[ActiveFault]
        .status() -> dict                            values, leases, comm_watchdog_s, faults

    # faults (drivers.sim.faults)
    FaultKind: no_answer | exception | garbage | stuck | drift | slow
    Fault(kind, point=None, for_s=None, code=4, values=None, rate_per_s=0.0, delay_s=0.0)
    Fault.from_dict(data) -> Fault                   ValueError naming the bad field

    # serving (drivers.sim.server)
    Endpoint(kind: "tcp" | "rtu_over_tcp" | "rtu", host="127.0.0.1", port=502,
             serial_port="", baudrate=9600, parity="N", stopbits=1, bytesize=8)
    SimServer(endpoint: Endpoint, devices: Iterable[VirtualDevice])
        .start(timeout_s=10.0) -> SimServer          background thread; returns once listening
        .stop() -> None
        with SimServer(...) as server: ...           start/stop
        await .serve()                               in a running loop, until cancelled
        await .open() / await .close()
        .port: int | None                            bound TCP port (after start/open)

    # control channel (drivers.sim.control)
    ControlServer(devices: Iterable[VirtualDevice], host="127.0.0.1", port=0)
        same start/stop/with/serve/open/close as SimServer; .port once listening
    send_control(host: str, port: int, message: Mapping, timeout_s=5.0) -> dict
        raises ControlError (refused; .reply) or OSError (unreachable)

    # field (drivers.sim.field)
    Output(device: str, point: str)
    ZoneWiring(name, valve: Output, nominal_flow_m3h: float, probes: tuple[str, ...] = (),
               flow_meter: str | None = None, initial_moisture_pct=22.0)
    TankWiring(device, area_m2=1.0, initial_level_m=1.5, supplies="injector" | "irrigation")
    FieldWiring(zones: tuple[ZoneWiring, ...], pump=None, master_valve=None, flow_meter=None,
                ec_meter=None, ph_meter=None, injector=None, weather_station=None, pressure=None,
                tanks: tuple[TankWiring, ...] = (), start_hour=6.0, water_ec_ms_cm=0.6)
    SimField(wiring: FieldWiring, devices: Mapping[str, VirtualDevice] | Iterable[VirtualDevice],
             *, seed=0)                              ValueError naming the wiring key path
        .step(dt_s: float) -> None
        .flow_m3h, .total_m3, .ec_ms_cm, .ph, .line_pressure_kpa, .elapsed_s, .time_of_day_h
        .moisture_pct(zone) -> float, .zone_flow_m3h(zone) -> float,
        .tank_level_m(device) -> float

    # pulse meters (drivers.sim.pulses)
    PulseWiring(meter, device, point, litres_per_pulse, start_count=0)
                                                     FieldWiring(pulse_meters=...); a zone's or
                                                     the head's flow_meter may name the meter
    SimField.pulse_meters[meter]: SimPulseMeter      .count, .read_m3, .gain, .power_loss()

    # multi-channel dosing (drivers.sim.mixingline, .dosingfield, .titration; imported
    # from their modules)
    AlkalineWater(ph=8.0, alkalinity_meq_l=3.5).ph_after(acid_eq_l) -> float
    MixingLine(channels: dict[str, LineChannel], water, water_ec_ms_cm, line_volume_l,
               mixing_tau_s, flow_m3_h, ...)  .command(name, rate_l_h), .step(dt_s),
               .read_ec_ms_cm(), .read_ph(), .level_m(name), .clog(name, delivery),
               .set_tank_l(name, litres), .stick_ph_probe(at=None), .set_flow(m3_h)
    DosingField(channels: tuple[ChannelWiring, ...], devices, *, ec_meter, ph_meter,
                flow_m3_h: Callable[[], float], water, water_ec_ms_cm, line_volume_l,
                mixing_tau_s, seed=0)        .step(dt_s) after SimField.step; .line

    # profiles only the simulator has (drivers/sim/profiles)
    SIM_PROFILE_DIR: Path                            sim-relay-8ch-watchdog: a relay module
                                                     with a communication watchdog

Unknown unit ids on an endpoint get no answer. Writes of function 05 keep
their raw value, so a relay profile's ``flash_on`` lease (value × ``unit_s``
seconds at ``lease.address_offset + coil``) is honoured.
"""

from pathlib import Path

from drivers.sim.control import ControlError, ControlServer, send_control
from drivers.sim.device import VirtualDevice
from drivers.sim.faults import ActiveFault, Fault, FaultKind
from drivers.sim.field import FieldWiring, Output, SimField, TankWiring, ZoneWiring
from drivers.sim.pulses import PulseWiring, SimPulseMeter
from drivers.sim.server import Endpoint, EndpointKind, SimServer

SIM_PROFILE_DIR = Path(__file__).parent / "profiles"

__all__ = [
    "SIM_PROFILE_DIR",
    "ActiveFault",
    "ControlError",
    "ControlServer",
    "Endpoint",
    "EndpointKind",
    "Fault",
    "FaultKind",
    "FieldWiring",
    "Output",
    "PulseWiring",
    "SimField",
    "SimPulseMeter",
    "SimServer",
    "TankWiring",
    "VirtualDevice",
    "ZoneWiring",
    "send_control",
]
