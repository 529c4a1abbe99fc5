"""A multi-channel dosing station behind simulated Modbus devices.

:class:`DosingField` couples a :class:`drivers.sim.mixingline.MixingLine` to the devices a
site's ``[[fertigation.channels]]`` name: each step it reads every channel's supply relay
coil and its injector's ``run`` and ``rate_setpoint`` (a pump runs only powered and told
to), moves the line by the water's flow, then publishes what the line gives: the EC and pH
transmitters' readings, each channel's tank level and its pump's ``dosed_volume`` counter
(what the pump was set to, rate × time: a pump counts its strokes, not what a clogged valve
let through). A device fault (a stuck pH probe) still applies: values go through
:meth:`VirtualDevice.set`. Step it after :class:`drivers.sim.field.SimField`, whose EC and
pH it replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drivers.sim.device import VirtualDevice
from drivers.sim.field import Output
from drivers.sim.mixingline import LineChannel, MixingLine
from drivers.sim.titration import AlkalineWater

__all__ = ["ChannelWiring", "DosingField"]


@dataclass(frozen=True, slots=True)
class ChannelWiring:
    """One channel's devices and its stock (see :class:`drivers.sim.mixingline.LineChannel`)."""

    name: str
    injector: str
    power: Output
    ec_per_l_m3: float
    acid_eq_l: float = 0.0
    tank: str | None = None  # its level device
    tank_l: float = 500.0
    tank_area_m2: float = 0.5


class DosingField:
    """The channels' pumps, tanks and mixing line, published on their devices."""

    def __init__(
        self,
        channels: tuple[ChannelWiring, ...],
        devices: Mapping[str, VirtualDevice],
        *,
        ec_meter: str,
        ph_meter: str | None,
        flow_m3_h: Callable[[], float],
        water: AlkalineWater,
        water_ec_ms_cm: float,
        line_volume_l: float,
        mixing_tau_s: float,
        seed: int = 0,
    ) -> None:
        missing = [
            name
            for name in (
                ec_meter,
                ph_meter,
                *(c.injector for c in channels),
                *(c.power.device for c in channels),
                *(c.tank for c in channels),
            )
            if name is not None and name not in devices
        ]
        if missing:
            raise ValueError(f"dosing field: no simulated device {', '.join(sorted(missing))}")
        self.wiring = {c.name: c for c in channels}
        self.devices = devices
        self.ec_meter, self.ph_meter = ec_meter, ph_meter
        self._flow = flow_m3_h
        self.line = MixingLine(
            {
                c.name: LineChannel(c.name, c.ec_per_l_m3, c.acid_eq_l, c.tank_l, c.tank_area_m2)
                for c in channels
            },
            water=water,
            water_ec_ms_cm=water_ec_ms_cm,
            line_volume_l=line_volume_l,
            mixing_tau_s=mixing_tau_s,
            seed=seed,
        )
        self.counted_l = dict.fromkeys(self.wiring, 0.0)

    def step(self, dt_s: float) -> None:
        """Read the pumps' commands, move the line ``dt_s`` seconds, publish the readings."""
        self.line.set_flow(self._flow())
        for name, c in self.wiring.items():
            pump = self.devices[c.injector]
            powered = bool(self.devices[c.power.device].get(c.power.point))
            running = powered and bool(pump.get("run"))
            rate = max(0.0, pump.get("rate_setpoint")) if running else 0.0
            self.line.command(name, rate)
            self.counted_l[name] += rate * dt_s / 3600
        self.line.step(dt_s)
        for name, c in self.wiring.items():
            self.devices[c.injector].set("dosed_volume", self.counted_l[name])
            if c.tank is not None:
                self.devices[c.tank].set("level", self.line.level_m(name))
        self.devices[self.ec_meter].set("ec", self.line.read_ec_ms_cm())
        if self.ph_meter is not None:
            self.devices[self.ph_meter].set("ph", self.line.read_ph())
