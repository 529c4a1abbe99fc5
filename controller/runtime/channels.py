"""Several dosing channels in ratio, an EC loop over the fertilizers, a pH loop on the acid.

A recipe (:class:`controller.config.dosing.DosingRecipe`) becomes a :class:`DosingPlan`:
each channel's feed-forward ratio in L of stock per m³ of water, so that the run's amount
is given over the inject phase at the zone's nominal flow (kg/mu → L by the zone's area
and ``stock_kg_l``; L/m³ as given). Each second, :meth:`ChannelDosing.step` turns the
measured flow, EC, pH and tank levels into a rate per injector (L/h):

    fertilizer i:  rate_i = ratio_i · Q · s      s = the EC loop's scale, one for all
                                                 fertilizer channels, so their ratio holds
                                                 (one at its max rate slows all of them)
    acid:          rate   = r_acid · Q           r_acid = the pH loop's L/m³

with ``Q`` the flow (m³/h). Both loops are PI (:mod:`controller.runtime.piloop`) tuned by
SIMC for the line's dead time ``θ = line_volume_l / Q`` and mixing time constant; their
integrals and their feedback are held for ``θ + 3·τ`` after injection (re)starts, while
the probes still read water the dose has not reached. A fertilizer channel stops when its
amount is given (its last step is trimmed to the litre).

Faults end dosing for good (every rate 0) with a named alarm (:class:`DosingStop`), after
which the run flushes the line with clean water: no water flow for ``NO_FLOW_HOLD_S``
(rates are 0 at once, acid included, and the integrals held), a tank below its low
level, a channel on longer than its ``max_run_min``, EC or pH further than its band from
the setpoint for ``out_of_band_s`` once the line settled, a meter not read fresh for
``STALE_HOLD_S``, and a pH probe whose reading does not move while the acid rate did.
Plain logic on given values: the caller reads the devices and writes the rates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from controller.config.dosing import ChannelConfig, DosingLoopConfig, DosingRecipe
from controller.runtime.piloop import PI, simc

__all__ = [
    "ALARMS",
    "ChannelDosing",
    "ChannelTarget",
    "DosingPlan",
    "DosingStop",
    "Measurement",
    "plan_recipe",
]

M2_PER_MU = 2000 / 3
NO_FLOW_HOLD_S = 60.0  # rates are 0 at once; dosing ends after this long without water
STALE_HOLD_S = 10.0  # a setpoint's meter not read fresh this long ends dosing
EC_SCALE_LIMITS = (0.5, 1.3)  # the EC loop moves the planned ratio by at most this much
ACID_MAX_OF_PLAN = 1.6  # the pH loop gives at most this × the recipe's L/m³
PH_STUCK_SPREAD = 0.001  # a reading that moved less than this over the window is stuck
PH_STUCK_ACID_MOVE = 0.2  # ... while the acid rate moved by this share of its plan

# alarm code → what it means (docs/operations.md, "Alarms and what to do")
ALARMS = {
    "inject_no_flow": "no water flow while dosing",
    "tank_low": "a channel's tank below its low level",
    "dosing_max_time": "a channel dosed longer than its max_run_min",
    "ec_off_setpoint": "EC out of its band around the recipe's setpoint",
    "ph_off_setpoint": "pH out of its band around the recipe's setpoint",
    "ec_meter_stale": "EC or pH meter not read fresh while dosing",
    "ph_probe_stuck": "the pH reading did not move while the acid rate did",
    "injector_delivery_low": "a tank fell less than half what its injector was told to give",
}
DELIVERY_MIN_DROP_M = 0.02  # a level check needs this much expected drop to judge
DELIVERY_MIN_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """One channel in a run: its feed-forward ratio and what it must give."""

    name: str
    kind: Literal["fertilizer", "acid"]
    ratio_l_m3: float  # stock per m³ of water at the planned pace
    target_l: float | None  # the run's amount; None: held by concentration to the end
    stock_kg_l: float | None
    max_rate_l_h: float
    max_run_s: float
    low_level_m: float  # < 0: no level transmitter
    tank_area_m2: float | None = None


@dataclass(frozen=True, slots=True)
class DosingPlan:
    """A recipe planned for one run (see the module's text)."""

    channels: tuple[ChannelTarget, ...]
    ec_ms_cm: float | None
    ph: float | None
    inject_s: float
    source_ec_ms_cm: float
    source_ph: float | None
    loop: DosingLoopConfig
    no_flow_m3_h: float


@dataclass(frozen=True, slots=True)
class Measurement:
    """What the caller read this second; ``None`` for a value not read fresh."""

    flow_m3_h: float | None
    pump_on: bool
    ec_ms_cm: float | None
    ph: float | None
    levels_m: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DosingStop:
    """Why dosing ended early: an alarm code of :data:`ALARMS` and its message."""

    code: str
    message: str
    channel: str | None = None


def plan_recipe(
    recipe: DosingRecipe,
    channels: list[ChannelConfig],
    loop: DosingLoopConfig,
    *,
    area_m2: float,
    nominal_flow_m3_h: float,
    inject_s: float,
    source_ec_ms_cm: float,
    no_flow_m3_h: float,
) -> DosingPlan:
    """The plan of ``recipe`` for a zone of ``area_m2`` watered at ``nominal_flow_m3_h``."""
    by_name = {c.name: c for c in channels}
    volume_m3 = nominal_flow_m3_h * inject_s / 3600
    area_mu = area_m2 / M2_PER_MU
    targets = []
    for d in recipe.doses:
        ch = by_name[d.channel]
        if d.l_m3 is not None:
            ratio, target = d.l_m3, None
        else:
            litres = d.l_mu * area_mu if d.l_mu is not None else 0.0
            if d.kg_mu is not None:
                assert ch.stock_kg_l is not None  # the site checker holds it
                litres = d.kg_mu * area_mu / ch.stock_kg_l
            ratio, target = litres / volume_m3, litres
        targets.append(
            ChannelTarget(
                ch.name,
                ch.kind,
                ratio,
                target,
                ch.stock_kg_l,
                ch.max_rate_l_h,
                ch.max_run_min * 60,
                ch.low_level_m if ch.tank_level else -1.0,
                ch.tank_area_m2,
            )
        )
    return DosingPlan(
        tuple(targets),
        recipe.ec_ms_cm,
        recipe.ph,
        inject_s,
        source_ec_ms_cm,
        loop.source_ph,
        loop,
        no_flow_m3_h,
    )


@dataclass(slots=True)
class _Channel:
    target: ChannelTarget
    given_l: float = 0.0  # ∫ rate dt: what the injector was told to give
    on_s: float = 0.0
    rate_l_h: float = 0.0
    window: tuple[float, float, float] | None = None  # (s, given L, level m) of the check

    @property
    def done(self) -> bool:
        t = self.target.target_l
        return t is not None and self.given_l >= t - 1e-9


class ChannelDosing:
    """The inject phase of one run over several channels (see the module's text)."""

    def __init__(self, plan: DosingPlan) -> None:
        self.plan = plan
        self.channels = {t.name: _Channel(t) for t in plan.channels}
        acid = [t for t in plan.channels if t.kind == "acid"]
        self._acid = acid[0] if acid else None
        lo, hi = EC_SCALE_LIMITS
        self.ec_pi = PI(1.0, lo, hi, u=1.0)
        ff = self._acid.ratio_l_m3 if self._acid else 0.0
        self.ph_pi = PI(ff, 0.0, ff * ACID_MAX_OF_PLAN, u=ff)
        self.elapsed_s = 0.0  # inject phase time, with or without flow
        self.flowing_s = 0.0  # time since water (re)started under injection
        self.no_flow_s = 0.0
        self._stale_s = 0.0
        self._off_band_s = {"ec": 0.0, "ph": 0.0}
        self._ph_window: deque[tuple[float, float, float]] = deque()  # (t, pH, acid L/m³)
        self.stopped: DosingStop | None = None

    def retarget(self, ec_ms_cm: float | None, ph: float | None) -> None:
        """New EC and pH setpoints from now on (a technician's change mid-run); the loops
        keep their state, so the change is a setpoint step, not a restart."""
        self.plan = replace(self.plan, ec_ms_cm=ec_ms_cm, ph=ph)
        self._off_band_s = {"ec": 0.0, "ph": 0.0}

    # ------------------------------------------------------------ the step

    @property
    def done(self) -> bool:
        """Every fertilizer amount given, or the inject phase's time is over, or stopped."""
        if self.stopped is not None or self.elapsed_s >= self.plan.inject_s:
            return True
        fert = [c for c in self.channels.values() if c.target.kind == "fertilizer"]
        with_target = [c for c in fert if c.target.target_l is not None]
        return bool(with_target) and all(c.done for c in with_target)

    def settled(self, flow_m3_h: float) -> bool:
        """Has the line had time since water (re)started to show the dose at the probes?"""
        return self.flowing_s >= self._hold_s(flow_m3_h) + 2 * self.plan.loop.mixing_tau_s

    def step(self, dt_s: float, m: Measurement) -> dict[str, float]:
        """The rate per channel (L/h) for the next ``dt_s`` seconds, given ``m``."""
        if self.done:
            return self._all_off()
        self.elapsed_s += dt_s
        flow = m.flow_m3_h
        if not m.pump_on or flow is None or flow < self.plan.no_flow_m3_h:
            return self._no_flow(dt_s)
        self.no_flow_s = 0.0
        self.flowing_s += dt_s
        stop = self._check(dt_s, m, flow)
        if stop is not None:
            self.stopped = stop
            return self._all_off()
        hold = self.flowing_s < self._hold_s(flow)
        scale = self._ec_scale(dt_s, m, flow, hold)
        acid_l_m3 = self._acid_l_m3(dt_s, m, flow, hold)
        wanted = {
            name: (acid_l_m3 if ch.target.kind == "acid" else ch.target.ratio_l_m3 * scale) * flow
            for name, ch in self.channels.items()
        }
        # a fertilizer channel at its max rate slows them all: the ratio holds, EC falls
        limit = min(
            (
                ch.target.max_rate_l_h / wanted[name]
                for name, ch in self.channels.items()
                if ch.target.kind == "fertilizer" and not ch.done and wanted[name] > 0
            ),
            default=1.0,
        )
        for name, ch in self.channels.items():
            if ch.target.kind == "fertilizer":
                wanted[name] *= min(1.0, limit)
        return {name: self._give(ch, wanted[name], dt_s) for name, ch in self.channels.items()}

    def _give(self, ch: _Channel, rate_l_h: float, dt_s: float) -> float:
        if ch.done:
            rate_l_h = 0.0
        rate_l_h = min(max(0.0, rate_l_h), ch.target.max_rate_l_h)
        if ch.target.target_l is not None:  # the last step gives what is left, no more
            rate_l_h = min(rate_l_h, (ch.target.target_l - ch.given_l) * 3600 / dt_s)
        ch.rate_l_h = rate_l_h
        ch.given_l += rate_l_h * dt_s / 3600
        if rate_l_h > 0:
            ch.on_s += dt_s
        return rate_l_h

    def _all_off(self) -> dict[str, float]:
        for ch in self.channels.values():
            ch.rate_l_h = 0.0
        return dict.fromkeys(self.channels, 0.0)

    def _no_flow(self, dt_s: float) -> dict[str, float]:
        self.no_flow_s += dt_s
        self.flowing_s = 0.0  # the line must show the dose again once water is back
        self._ph_window.clear()
        if self.no_flow_s >= NO_FLOW_HOLD_S:
            self.stopped = DosingStop(
                "inject_no_flow", f"no water flow for {self.no_flow_s:.0f} s while dosing"
            )
        return self._all_off()

    # ------------------------------------------------------------ the loops

    def _hold_s(self, flow_m3_h: float) -> float:
        theta = self.plan.loop.line_volume_l / (flow_m3_h / 3.6)
        return theta + 3 * self.plan.loop.mixing_tau_s

    def _ec_scale(self, dt_s: float, m: Measurement, flow: float, hold: bool) -> float:
        if self.plan.ec_ms_cm is None or m.ec_ms_cm is None:
            return self.ec_pi.u
        theta = self.plan.loop.line_volume_l / (flow / 3.6)
        k = self.plan.ec_ms_cm - self.plan.source_ec_ms_cm  # mS/cm per unit of scale
        kc, ti = simc(k, self.plan.loop.mixing_tau_s, theta, tauc_s=theta)
        if hold:
            return self.ec_pi.u
        return self.ec_pi.step(self.plan.ec_ms_cm - m.ec_ms_cm, dt_s, kc, ti)

    def _acid_l_m3(self, dt_s: float, m: Measurement, flow: float, hold: bool) -> float:
        acid = self._acid
        if acid is None:
            return 0.0
        if self.plan.ph is None or self.plan.source_ph is None or m.ph is None:
            return self.ph_pi.u
        theta = self.plan.loop.line_volume_l / (flow / 3.6)
        # the titration curve's mean slope from source water to the setpoint (pH per L/m³);
        # steeper near the setpoint, hence the slower τc = 2θ
        k = max(0.1, (self.plan.source_ph - self.plan.ph) / acid.ratio_l_m3)
        kc, ti = simc(k, self.plan.loop.mixing_tau_s, theta, tauc_s=2 * theta)
        if hold:
            return self.ph_pi.u
        return self.ph_pi.step(m.ph - self.plan.ph, dt_s, kc, ti)

    # ------------------------------------------------------------ safety

    def _check(self, dt_s: float, m: Measurement, flow: float) -> DosingStop | None:
        return (
            self._tanks(m)
            or self._delivery(m)
            or self._max_time()
            or self._stale(dt_s, m)
            or self._band(dt_s, m, flow)
            or self._ph_stuck(m)
        )

    def _tanks(self, m: Measurement) -> DosingStop | None:
        for name, ch in self.channels.items():
            level = m.levels_m.get(name)
            if level is not None and level < ch.target.low_level_m:
                return DosingStop(
                    "tank_low",
                    f"channel {name}: tank at {level:.3f} m < {ch.target.low_level_m:g} m",
                    name,
                )
        return None

    def _delivery(self, m: Measurement) -> DosingStop | None:
        """A tank that fell less than half what its injector was told to give, judged once
        ``delivery_check_s`` passed and the expected fall is at least ``DELIVERY_MIN_DROP_M``
        (well above a level transmitter's noise)."""
        for name, ch in self.channels.items():
            level, area = m.levels_m.get(name), ch.target.tank_area_m2
            if level is None or area is None:
                continue
            if ch.window is None:
                ch.window = (self.elapsed_s, ch.given_l, level)
                continue
            since, given0, level0 = ch.window
            expected_m = (ch.given_l - given0) / 1000 / area
            if (
                self.elapsed_s - since < self.plan.loop.delivery_check_s
                or expected_m < DELIVERY_MIN_DROP_M
            ):
                continue
            ch.window = (self.elapsed_s, ch.given_l, level)
            if level0 - level < DELIVERY_MIN_SHARE * expected_m:
                return DosingStop(
                    "injector_delivery_low",
                    f"channel {name}: tank fell {(level0 - level) * 1000:.0f} mm, "
                    f"{expected_m * 1000:.0f} mm was given",
                    name,
                )
        return None

    def _max_time(self) -> DosingStop | None:
        for name, ch in self.channels.items():
            if ch.on_s >= ch.target.max_run_s:
                return DosingStop(
                    "dosing_max_time",
                    f"channel {name}: dosed {ch.on_s / 60:.1f} min, "
                    f"max_run_min {ch.target.max_run_s / 60:g}",
                    name,
                )
        return None

    def _stale(self, dt_s: float, m: Measurement) -> DosingStop | None:
        missing = [
            what
            for what, setpoint, value in (
                ("EC", self.plan.ec_ms_cm, m.ec_ms_cm),
                ("pH", self.plan.ph, m.ph),
            )
            if setpoint is not None and value is None
        ]
        self._stale_s = self._stale_s + dt_s if missing else 0.0
        if self._stale_s >= STALE_HOLD_S:
            return DosingStop(
                "ec_meter_stale", f"{' and '.join(missing)} not read for {self._stale_s:.0f} s"
            )
        return None

    def _band(self, dt_s: float, m: Measurement, flow: float) -> DosingStop | None:
        loop = self.plan.loop
        if not self.settled(flow):
            return None
        for key, setpoint, value, band, unit in (
            ("ec", self.plan.ec_ms_cm, m.ec_ms_cm, loop.ec_band_ms_cm, " mS/cm"),
            ("ph", self.plan.ph, m.ph, loop.ph_band, ""),
        ):
            if setpoint is None or value is None:
                continue
            off = abs(value - setpoint) > band
            self._off_band_s[key] = self._off_band_s[key] + dt_s if off else 0.0
            if self._off_band_s[key] >= loop.out_of_band_s:
                return DosingStop(
                    f"{key}_off_setpoint",
                    f"{key.upper() if key == 'ec' else 'pH'} {value:.2f}{unit} further than "
                    f"{band:g} from {setpoint:g} for {self._off_band_s[key]:.0f} s",
                )
        return None

    def _ph_stuck(self, m: Measurement) -> DosingStop | None:
        acid = self._acid
        if acid is None or m.ph is None or self.plan.ph is None:
            return None
        now = self.elapsed_s
        window = self._ph_window
        window.append((now, m.ph, self.ph_pi.u))
        span_s = self.plan.loop.ph_stuck_s
        while window and window[0][0] < now - span_s:
            window.popleft()
        if now - window[0][0] < span_s * 0.99:
            return None
        phs = [p for _, p, _ in window]
        acids = [a for _, _, a in window]
        moved = (max(acids) - min(acids)) / acid.ratio_l_m3
        if max(phs) - min(phs) <= PH_STUCK_SPREAD and moved >= PH_STUCK_ACID_MOVE:
            return DosingStop(
                "ph_probe_stuck",
                f"pH read {phs[-1]:.2f} for {span_s:g} s while the acid moved "
                f"{moved:.0%} of its plan",
                acid.name,
            )
        return None

    # ------------------------------------------------------------ the record

    def record(self) -> dict[str, dict[str, float | None]]:
        """What each channel gave (L by rate × time, kg by ``stock_kg_l``) and its goal."""
        out: dict[str, dict[str, float | None]] = {}
        for name, ch in self.channels.items():
            kg = ch.given_l * ch.target.stock_kg_l if ch.target.stock_kg_l else None
            out[name] = {
                "given_l": round(ch.given_l, 4),
                "target_l": ch.target.target_l,
                "kg": None if kg is None else round(kg, 4),
                "on_s": ch.on_s,
            }
        return out
