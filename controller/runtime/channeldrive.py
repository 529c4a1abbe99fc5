"""The field side of multi-channel dosing: readings in, injector rates and supplies out.

:class:`ChannelDrive` reads what :class:`controller.runtime.channels.ChannelDosing` needs
(head flow and pump, EC, pH, each channel's tank level: the live values no older than
``safety.stale_after_s``) and applies its rates: a channel with a rate gets its leased
supply (``dosing:<channel>``) on (a pump fed by that supply then confirms its ``run`` 0:
:func:`controller.runtime.dosers.stopped_once_powered`), its rate written (verified) when
it moves by more than the single injector's dead band or every ``SETPOINT_REFRESH_S``, and
``run`` 1; a channel at 0 L/h gets ``run`` 0 and its supply off
(:func:`controller.runtime.dosers.stop_pump`: a fed pump's ``run`` 0 before its supply).
The sequencer's lock covers every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from controller.clock import Clock
from controller.config.dosing import ChannelConfig
from controller.config.site import SiteConfig
from controller.runtime.channels import Measurement
from controller.runtime.dosers import stop_pump, stopped_once_powered
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState, control_max_age_s
from controller.runtime.outputs import Outputs

__all__ = ["SETPOINT_DEADBAND", "SETPOINT_DEADBAND_L_H", "SETPOINT_REFRESH_S", "ChannelDrive"]

# as the single injector's (controller.runtime.dosing): a verified write every tick
# would take most of a 9600-baud bus
SETPOINT_DEADBAND = 0.05
SETPOINT_DEADBAND_L_H = 0.1
SETPOINT_REFRESH_S = 30.0


@dataclass(slots=True)
class _Written:
    rate_l_h: float = 0.0
    at_mono_s: float = 0.0
    running: bool = False
    counter_start_l: float | None = None


@dataclass(slots=True)
class ChannelDrive:
    """Reads for and writes to the channels of one fertigation run."""

    site: SiteConfig
    outputs: Outputs
    live: LiveState
    fieldio: FieldIO
    clock: Clock
    written: dict[str, _Written] = field(default_factory=dict)

    @property
    def channels(self) -> dict[str, ChannelConfig]:
        f = self.site.fertigation
        return {c.name: c for c in (f.channels if f else [])}

    def measure(self) -> Measurement:
        f = self.site.fertigation
        assert f is not None  # a channel run is planned only on a site with fertigation
        return Measurement(
            flow_m3_h=self._value(self.site.head.flow_meter, "flow_rate"),
            pump_on=self.outputs.is_on("pump"),
            ec_ms_cm=self._value(f.ec_meter, "ec"),
            ph=self._value(f.ph_meter, "ph") if f.ph_meter else None,
            levels_m={
                c.name: self._value(c.tank_level, "level")
                for c in f.channels
                if c.tank_level is not None
            },
        )

    def apply(self, rates_l_h: dict[str, float], mono_s: float) -> None:
        """Set each channel to its rate (L/h); 0 switches it off."""
        for name, rate in rates_l_h.items():
            if rate > 0:
                self._on(self.channels[name], rate, mono_s)
            elif self.written.get(name, _Written()).running:
                self._off(self.channels[name])

    def all_off(self) -> None:
        for name, w in self.written.items():
            if w.running:
                self._off(self.channels[name])

    def counted_l(self, name: str) -> float | None:
        """Litres the injector's own ``dosed_volume`` counter rose since it was started."""
        w = self.written.get(name)
        end = self._value(self.channels[name].injector, "dosed_volume")
        if w is None or w.counter_start_l is None or end is None or end < w.counter_start_l:
            return None
        return end - w.counter_start_l

    def _on(self, ch: ChannelConfig, rate: float, mono_s: float) -> None:
        bus = self.fieldio.bus_of(ch.injector)
        w = self.written.setdefault(ch.name, _Written())
        if not w.running:
            if w.counter_start_l is None:
                w.counter_start_l = self._value(ch.injector, "dosed_volume")
            self.outputs.on(f"dosing:{ch.name}")
            stopped_once_powered(self.site, self.fieldio, ch.injector)  # fed by its supply
            bus.write_point(ch.injector, "rate_setpoint", rate)  # verified by read-back
            bus.write_point(ch.injector, "run", 1)
            w.rate_l_h, w.at_mono_s, w.running = rate, mono_s, True
            return
        moved = abs(rate - w.rate_l_h)
        if (
            moved > max(SETPOINT_DEADBAND * w.rate_l_h, SETPOINT_DEADBAND_L_H)
            or mono_s - w.at_mono_s >= SETPOINT_REFRESH_S
        ):
            bus.write_point(ch.injector, "rate_setpoint", rate)
            w.rate_l_h, w.at_mono_s = rate, mono_s

    def _off(self, ch: ChannelConfig) -> None:
        w = self.written[ch.name]
        w.running = False
        # supply and run 0 in the order stop_pump gives (a fed pump is stopped while powered)
        failures = stop_pump(
            self.site, self.outputs, self.fieldio, f"dosing:{ch.name}", ch.injector
        )
        if failures:
            raise failures[0][1]

    def _value(self, device: str, point: str) -> float | None:
        return self.live.value(device, point, self.clock.now(), control_max_age_s(self.site))
