"""A simulated multi-channel mixing line: tanks, injectors, transport lag, mixing, EC and pH.

Each channel has a stock tank and an injector. What an injector delivers (L/h) is its
commanded rate × its delivery factor (1 healthy, < 1 a clogged injector), and nothing once
its tank is empty. At the injection point the stock concentration of channel ``i`` is
``c_i = rate_i / Q`` (L of stock per m³ of water, ``Q`` in m³/h). The water then travels
``line_volume_l`` of pipe to the sensors as a plug (a transport lag of ``V / Q``), and mixes
there as a first-order lag of ``mixing_tau_s``:

    c_mix_i ← c_mix_i + (c_lag_i − c_mix_i)·(1 − exp(−dt / τ))

    EC = EC_water + Σ_i k_i · c_mix_i                       (mS/cm; k_i per stock, in
                                                            mS/cm per L/m³: EC adds up
                                                            in dilute solutions)
    pH = titration of the water by Σ_acid eq_i · c_mix_i / 1000 eq/L (drivers.sim.titration)

Tank levels drop by what is drawn over the tank's area. The probes read with small noise
from the line's own random stream. Faults: :meth:`MixingLine.clog` (an injector delivers a
share of its rate), a tank that runs dry (:meth:`MixingLine.set_tank_l`), a stuck pH probe
(:meth:`MixingLine.stick_ph_probe`: it keeps reading what it read), and the water stopping
(:meth:`MixingLine.set_flow`). Plain Python, one step per call; the Modbus face of the
single-injector line is :mod:`drivers.sim.field`.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field

from drivers.sim.titration import AlkalineWater

__all__ = ["LineChannel", "MixingLine"]


@dataclass(slots=True)
class LineChannel:
    """One channel's stock and injector.

    ``ec_per_l_m3``: mS/cm the stock adds per L of stock per m³ of water;
    ``acid_eq_l``: eq of H+ per L of stock (0 for a fertilizer);
    ``tank_l`` and ``tank_area_m2``: what the tank holds and its cross-section (level = L / area).
    """

    name: str
    ec_per_l_m3: float
    acid_eq_l: float = 0.0
    tank_l: float = 500.0
    tank_area_m2: float = 0.5
    delivery: float = 1.0  # delivered / commanded (a clogged injector < 1)
    rate_l_h: float = 0.0  # commanded
    drawn_l: float = 0.0  # what really left the tank

    @property
    def level_m(self) -> float:
        return self.tank_l / 1000 / self.tank_area_m2


@dataclass(slots=True)
class MixingLine:
    """The line from the injection point to the EC and pH probes (see the module's text)."""

    channels: dict[str, LineChannel]
    water: AlkalineWater = field(default_factory=AlkalineWater)
    water_ec_ms_cm: float = 0.5
    line_volume_l: float = 150.0
    mixing_tau_s: float = 20.0
    flow_m3_h: float = 20.0
    noise_ec_ms_cm: float = 0.01
    noise_ph: float = 0.01
    seed: int = 1
    _cum_l: float = 0.0
    _plug: deque[tuple[float, dict[str, float]]] = field(default_factory=deque)
    _mix: dict[str, float] = field(default_factory=dict)
    _ph_stuck_at: float | None = None
    _at_probes: dict[str, float] = field(default_factory=dict)  # stock L/m³ last arrived
    _rng: random.Random = field(init=False)
    ec_true_ms_cm: float = 0.0
    ph_true: float = 0.0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._mix = dict.fromkeys(self.channels, 0.0)
        self.ec_true_ms_cm = self.water_ec_ms_cm
        self.ph_true = self.water.ph

    # ------------------------------------------------------------ commands and faults

    def command(self, name: str, rate_l_h: float) -> None:
        """The injector of channel ``name`` is set to ``rate_l_h`` (L/h, ≥ 0)."""
        if rate_l_h < 0 or not math.isfinite(rate_l_h):
            raise ValueError(f"channel {name}: rate {rate_l_h!r} L/h")
        self.channels[name].rate_l_h = rate_l_h

    def set_flow(self, flow_m3_h: float) -> None:
        self.flow_m3_h = max(0.0, flow_m3_h)

    def clog(self, name: str, delivery: float) -> None:
        """Channel ``name``'s injector delivers ``delivery`` × its rate from now on."""
        self.channels[name].delivery = delivery

    def set_tank_l(self, name: str, litres: float) -> None:
        self.channels[name].tank_l = max(0.0, litres)

    def stick_ph_probe(self, at: float | None = None) -> None:
        """The pH probe reads ``at`` (default: its present reading) whatever the water does."""
        self._ph_stuck_at = self.read_ph() if at is None else at

    # ------------------------------------------------------------ readings

    def read_ec_ms_cm(self) -> float:
        return self.ec_true_ms_cm + self._rng.gauss(0.0, self.noise_ec_ms_cm)

    def read_ph(self) -> float:
        if self._ph_stuck_at is not None:
            return self._ph_stuck_at
        return self.ph_true + self._rng.gauss(0.0, self.noise_ph)

    def level_m(self, name: str) -> float:
        return self.channels[name].level_m

    # ------------------------------------------------------------ physics

    def delivered_l_h(self, name: str) -> float:
        """What channel ``name``'s injector puts into the line now (L/h)."""
        ch = self.channels[name]
        return ch.rate_l_h * ch.delivery if ch.tank_l > 0 else 0.0

    def step(self, dt_s: float) -> None:
        """Advance the line by ``dt_s`` seconds."""
        injected: dict[str, float] = {}
        for name, ch in self.channels.items():
            litres = min(ch.tank_l, self.delivered_l_h(name) * dt_s / 3600)
            ch.tank_l -= litres
            ch.drawn_l += litres
            # no water: the stock sits at the injection point, nothing travels on
            injected[name] = litres / (self.flow_m3_h * dt_s / 3600) if self.flow_m3_h else 0.0
        self._cum_l += self.flow_m3_h / 3.6 * dt_s
        self._plug.append((self._cum_l, injected))
        arrived = self._arrived()
        decay = 1.0 - math.exp(-dt_s / self.mixing_tau_s)
        for name in self._mix:
            self._mix[name] += (arrived.get(name, 0.0) - self._mix[name]) * decay
        self.ec_true_ms_cm = self.water_ec_ms_cm + sum(
            self.channels[n].ec_per_l_m3 * c for n, c in self._mix.items()
        )
        acid_eq_l = sum(self.channels[n].acid_eq_l * c / 1000 for n, c in self._mix.items())
        self.ph_true = self.water.ph_after(acid_eq_l)

    def _arrived(self) -> dict[str, float]:
        """The water now at the probes: injected when the line held ``line_volume_l`` less."""
        at = self._cum_l - self.line_volume_l
        while self._plug and self._plug[0][0] <= at:
            self._at_probes = self._plug.popleft()[1]
        return self._at_probes
