"""A simulated pulse water meter on a DI counter module's input.

The field gives the meter the water through it (m³/h, true); the meter reads it with its
own error (a calibration gain per meter, sd ``PULSE_GAIN_SD``, drawn from a random stream of
its own: never a draw of the water the soil receives nor of the flow meters') and emits one
pulse per ``litres_per_pulse``; the module counts them in its register, wrapping at
2^16 or 2^32 as the profile's counter point is wide. :meth:`SimPulseMeter.power_loss` sets
the count back to 0, as a module without retained counters does after a power cut; a dead
counter (a broken reed, a cut wire) is a ``stuck`` fault on the counter point.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from drivers.sim.device import VirtualDevice

__all__ = ["PULSE_GAIN_SD", "PulseWiring", "SimPulseMeter"]

PULSE_GAIN_SD = 0.005  # a pulse meter's calibration gain, 1 sigma (a class B meter: ±2 %)


@dataclass(frozen=True, slots=True)
class PulseWiring:
    """A pulse meter ``meter`` (the name the zones and head use) counted at ``device.point``.

    ``start_count``: the module's count at the start (e.g. just below the wrap)."""

    meter: str
    device: str
    point: str
    litres_per_pulse: float
    start_count: int = 0


class SimPulseMeter:
    """One pulse meter and its counter register; advance with :meth:`step`."""

    def __init__(self, wiring: PulseWiring, device: VirtualDevice, rng: random.Random) -> None:
        if not wiring.litres_per_pulse > 0:
            raise ValueError(f"litres_per_pulse: must be positive, got {wiring.litres_per_pulse}")
        self.wiring = wiring
        self.device = device
        self.modulus = 1 << (16 * device.profile.point(wiring.point).width)
        if not 0 <= wiring.start_count < self.modulus:
            raise ValueError(f"start_count: {wiring.start_count} outside [0, {self.modulus})")
        self.gain = 1 + rng.gauss(0, PULSE_GAIN_SD)
        self.read_m3 = 0.0  # water the meter registered (its error included), m³
        self._fraction_l = 0.0  # litres towards the next pulse
        self._count = wiring.start_count

    @property
    def count(self) -> int:
        return self._count

    def step(self, true_m3h: float, dt_s: float) -> None:
        """``dt_s`` seconds of ``true_m3h`` through the meter: the pulses it gives."""
        litres = max(0.0, true_m3h) * self.gain * dt_s / 3.6
        self.read_m3 += litres / 1000
        self._fraction_l += litres
        pulses = math.floor(self._fraction_l / self.wiring.litres_per_pulse)
        self._fraction_l -= pulses * self.wiring.litres_per_pulse
        self._count = (self._count + pulses) % self.modulus

    def power_loss(self) -> None:
        """The module restarts with its counter at 0."""
        self._count = 0

    def publish(self) -> None:
        self.device.set(self.wiring.point, self._count)
