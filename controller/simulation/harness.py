"""A site's simulated field: the site config translated into ``drivers.sim`` objects.

One :class:`drivers.sim.SimServer` per configured bus (same kind, host and
port, so the daemon and ``qanat poll`` reach them unchanged), one
:class:`drivers.sim.VirtualDevice` per device, a control channel for fault
injection, and a :class:`drivers.sim.SimField` that moves the values.

For the season simulation: ``clock`` (a monotonic seconds function, e.g. a
:class:`controller.clock.VirtualClock`'s) drives the relay leases of every
device, ``any_port`` serves every bus on a free loopback port, an RS485 (``rtu``) bus as
RTU over TCP there (read them with :meth:`Simulation.bus_port` and
:meth:`Simulation.bus_settings`), ``physics`` is the field's season truth, and
``step_s=None`` leaves the stepping to the caller (no stepping thread).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from controller.config.site import OutputRef, SiteConfig
from drivers.sim import (
    ControlServer,
    Endpoint,
    FieldWiring,
    Output,
    PulseWiring,
    SimField,
    SimServer,
    TankWiring,
    VirtualDevice,
    ZoneWiring,
)
from drivers.sim.dosingfield import ChannelWiring, DosingField
from drivers.sim.field import SeasonTruth
from drivers.sim.titration import NITRIC_60_EQ_L, AlkalineWater
from drivers.transport import BusSettings

__all__ = ["DEFAULT_CONTROL_PORT", "Simulation", "field_wiring"]

DEFAULT_CONTROL_PORT = 5099
LOOPBACK = "127.0.0.1"  # where ``any_port`` serves, whatever host the site file gives


def _output(ref: str | None) -> Output | None:
    if not ref:
        return None
    o = OutputRef.parse(ref)
    return Output(o.device, o.point)


def field_wiring(site: SiteConfig, start_hour: float = 6.0) -> FieldWiring:
    """The simulated field's wiring, read off the site configuration."""
    zones = tuple(
        ZoneWiring(
            name=z.name,
            valve=Output(OutputRef.parse(z.valve).device, OutputRef.parse(z.valve).point),
            nominal_flow_m3h=z.nominal_flow_m3_h,
            probes=tuple(p.device for p in z.probes),
            flow_meter=z.flow_meter,
            area_m2=z.area_m2_value,
            probe_depths_m=tuple(p.depth_m for p in z.probes),
        )
        for z in site.zones
    )
    f = site.fertigation
    return FieldWiring(
        zones=zones,
        pump=_output(site.head.pump),
        master_valve=_output(site.head.master_valve),
        flow_meter=site.head.flow_meter,
        ec_meter=f.ec_meter if f else None,
        ph_meter=f.ph_meter if f else None,
        injector=f.injector if f else None,
        weather_station=site.weather.station if site.weather else None,
        pressure=site.head.pressure,
        pressure_before_filter=site.head.pressure_before_filter,
        backflush_valve=_output(site.head.backflush_valve),
        tanks=tuple(TankWiring(t.level, area_m2=t.area_m2) for t in f.tanks) if f else (),
        start_hour=start_hour,
        water_ec_ms_cm=f.source_ec_ms_cm if f else 0.6,
        pulse_meters=tuple(
            PulseWiring(m.name, m.device, m.point, m.litres_per_pulse) for m in site.pulse_meters
        ),
    )


# The simulated channels' stocks: EC by a salt index of 1.2 mS/cm per g/L of product (typical
# of nitrate and potash fertilizers), a stock of 0.5 kg/L when the site gives none; the acid is
# 60 % nitric acid (13.0 eq/L, adding 0.3 mS/cm per L/m³); alkalinity of Hexi groundwater.
EC_MS_CM_PER_G_L = 1.2
ACID_EC_PER_L_M3 = 0.3
SOURCE_ALKALINITY_MEQ_L = 3.5


def dosing_wiring(site: SiteConfig) -> tuple[ChannelWiring, ...]:
    """The simulated dosing station of a site's ``[[fertigation.channels]]`` (none without)."""
    f = site.fertigation
    out = []
    for c in f.channels if f else []:
        power = OutputRef.parse(c.power)
        acid = c.kind == "acid"
        area = c.tank_area_m2 or 0.5
        out.append(
            ChannelWiring(
                c.name,
                c.injector,
                Output(power.device, power.point),
                ACID_EC_PER_L_M3 if acid else EC_MS_CM_PER_G_L * (c.stock_kg_l or 0.5),
                NITRIC_60_EQ_L if acid else 0.0,
                c.tank_level,
                tank_l=1000 * area,  # 1 m of stock
                tank_area_m2=area,
            )
        )
    return tuple(out)


class Simulation:
    """Every simulated device of a site, served; ``start()`` then ``stop()`` (or ``with``)."""

    def __init__(
        self,
        site: SiteConfig,
        *,
        control_port: int = DEFAULT_CONTROL_PORT,
        seed: int = 0,
        step_s: float | None = 1.0,
        now: Callable[[], datetime] | None = None,
        clock: Callable[[], float] = time.monotonic,
        any_port: bool = False,
        physics: SeasonTruth | None = None,
    ) -> None:
        self.site = site
        self.devices = {
            d.name: VirtualDevice(
                d.name, d.unit, site.profiles[d.name], clock, seed=f"{seed}:{d.name}"
            )
            for d in site.devices
        }
        self.servers = [
            SimServer(
                Endpoint(
                    # an RS485 line's frames over TCP: no serial port is needed to serve it
                    "rtu_over_tcp" if any_port and b.kind == "rtu" else b.kind,
                    host=LOOPBACK if any_port or not b.host else b.host,
                    port=0 if any_port else b.port,
                    serial_port=b.serial_port,
                    baudrate=b.baudrate,
                    parity=b.parity,
                    stopbits=b.stopbits,
                ),
                [self.devices[d.name] for d in site.devices if d.bus == b.name],
            )
            for b in site.buses
        ]
        self.control = ControlServer(self.devices.values(), port=control_port)
        local = (now or (lambda: datetime.now(site.site.tz)))()
        self.field = SimField(
            field_wiring(site, start_hour=local.hour + local.minute / 60),
            self.devices,
            seed=seed,
            physics=physics,
        )
        self.control.field = self.field  # the control channel's ``line`` op
        self.dosing = self._dosing_field(site, seed)
        self.step_s = step_s
        self._stop = threading.Event()
        self._stepper = threading.Thread(target=self._run_field, name="sim-field", daemon=True)

    def _dosing_field(self, site: SiteConfig, seed: int) -> DosingField | None:
        f = site.fertigation
        channels = dosing_wiring(site)
        if f is None or f.loop is None or not channels:
            return None
        return DosingField(
            channels,
            self.devices,
            ec_meter=f.ec_meter,
            ph_meter=f.ph_meter,
            flow_m3_h=lambda: self.field.flow_m3h,
            water=AlkalineWater(f.loop.source_ph or 8.0, SOURCE_ALKALINITY_MEQ_L),
            water_ec_ms_cm=f.source_ec_ms_cm,
            line_volume_l=f.loop.line_volume_l,
            mixing_tau_s=f.loop.mixing_tau_s,
            seed=seed,
        )

    def step(self, dt_s: float) -> None:
        """The field, then the dosing station (whose EC and pH replace the field's)."""
        self.field.step(dt_s)
        if self.dosing is not None:
            self.dosing.step(dt_s)

    def _run_field(self) -> None:
        step_s = self.step_s
        assert step_s is not None
        while not self._stop.wait(step_s):
            self.step(step_s)

    def bus_port(self, bus: str) -> int:
        """The TCP port a bus is served on (its configured one unless ``any_port``)."""
        for b, server in zip(self.site.buses, self.servers, strict=True):
            if b.name == bus:
                return server.port if server.port is not None else b.port
        raise KeyError(f"no bus {bus!r} in the site")

    def bus_settings(self, bus: str) -> BusSettings:
        """A bus's settings pointing at where it is served."""
        b = next(b for b in self.site.buses if b.name == bus)
        ep = self.servers[self.site.buses.index(b)].endpoint
        return replace(b.settings(), kind=ep.kind, host=ep.host, port=self.bus_port(bus))

    def start(self) -> Simulation:
        for server in self.servers:
            server.start()
        self.control.start()
        if self.step_s is not None:
            self._stepper.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for server in self.servers:
            server.stop()
        self.control.stop()

    def __enter__(self) -> Simulation:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
