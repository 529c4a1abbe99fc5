"""A simple simulated field that moves the values of simulated devices.

The wiring (plain dataclasses, built by whoever reads the site config) says
which device outputs are the zone valves, pump and master valve, and which
devices are the flow meters, probes, EC and pH transmitters, injector,
weather station, pressure transmitter and tanks. :meth:`SimField.step` advances the
field by ``dt_s`` seconds and writes the new values through
:meth:`VirtualDevice.set`, so injected faults (a frozen probe) still apply.

The physics are deliberately plain first-order responses, enough to close
the loop for the controller; a soil-physics model can replace them behind
the same ``step(dt_s)`` interface:

* flow (m3/h) = Σ nominal flow of open zone valves while pump and master
  valve are on, with 1 % noise; ``total`` (m3) integrates it; a zone's own
  meter sees that zone's share; a zone's line fault (:meth:`SimField.set_line_fault`,
  off by default) scales its flow: emitters clogging lose a fraction of it, a leak adds one;
* a pulse meter (:mod:`drivers.sim.pulses`) counts that flow in a counter module's register,
  with its own gain from a stream of its own;
* a flow meter reads that flow with its own error, drawn from its own random stream: a
  calibration gain fixed per meter (sd ``METER_GAIN_SD``) and reading noise (sd
  ``METER_NOISE_SD``); its totalizer integrates what it reads, so the metered water and
  the water that reached the soil agree only as well as a real meter would;
* probe moisture (%) rises towards saturation while its zone is watered and
  falls slowly towards wilting point otherwise, faster by day;
* weather follows a diurnal cycle (air temperature peaking at 15:00);
* EC rises towards water EC + dose while the injector runs with flow, and
  decays back after; pH falls a little with the dose;
* tanks feeding the injector (or the irrigation) drop as they are drawn.

Deterministic for a given ``seed`` and sequence of steps.

With a :class:`SeasonTruth` (``physics=``) the field becomes the season simulation's truth:
probe moisture comes from each zone's layered soil (:mod:`drivers.sim.soilphysics`, the
layer at the probe's depth, with a fixed calibration offset per probe and reading noise),
the weather station publishes the weather series (:mod:`drivers.sim.weathergen`) with sensor
noise and a cumulative rain counter, and every zone-day's water in and out is kept in
:attr:`SeasonTruth.daily`.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from drivers.sim.device import VirtualDevice
from drivers.sim.pulses import PulseWiring, SimPulseMeter
from drivers.sim.soilphysics import CropTruth, DayTotals, SoilColumn, step_zone
from drivers.sim.weathergen import WeatherSeries

__all__ = [
    "FieldWiring",
    "Output",
    "SeasonTruth",
    "SimField",
    "TankWiring",
    "ZoneWiring",
    "line_flow_factor",
    "probe_offsets",
    "probe_pct",
    "publish_station",
    "put",
    "soil_temperature_c",
]

# Probe moisture response (volumetric %, per second).
THETA_SAT_PCT = 42.0
THETA_WP_PCT = 10.0
WETTING_RATE_PER_S = 1 / 1800  # approach to saturation while watered (e-folding 30 min)
DRYING_RATE_PER_S = 1 / (3 * 86400)  # approach to wilting point otherwise (e-folding 3 days)

# Fertigation mixing.
DOSE_EC_PER_L_PER_M3 = 0.1  # mS/cm added per (L/h of stock per m3/h of water)
EC_RISE_TAU_S = 30.0
EC_DECAY_TAU_S = 60.0
WATER_PH = 7.4
PH_PER_EC = 0.4  # pH drop per mS/cm of dose (acidic stock solution)

LUX_PER_W_M2 = 120.0  # daylight luminous efficacy, roughly

# Pump curve of the line pressure transmitter.
PUMP_SHUTOFF_KPA = 320.0
# Screen filter: differential pressure at the design flow when clean, and how fast it clogs
# (kPa more per m³ filtered); a backflush cleans it.
FILTER_CLEAN_DP_KPA = 15.0
FILTER_CLOG_KPA_PER_M3 = 0.05
PUMP_DROP_AT_DESIGN_KPA = 120.0  # drop from shut-off to the largest zone's nominal flow

# Flow meter error (fractions of the reading): a calibration gain per meter, and noise.
METER_GAIN_SD = 0.005
METER_NOISE_SD = 0.005


LINE_FAULTS = ("clog", "leak")
MAX_LINE_FAULT = 0.9  # a larger fraction is a burst or a closed line: the supervisor's case


def line_flow_factor(kind: str, fraction: float) -> float:
    """What a zone's line fault does to its flow: ``clog`` loses ``fraction`` of it (emitters
    blocked), ``leak`` adds ``fraction`` (a cut dripper line); 0 is a sound line."""
    if kind not in LINE_FAULTS:
        raise ValueError(f"kind: a line fault is one of {', '.join(LINE_FAULTS)}, not {kind!r}")
    if not (isinstance(fraction, int | float) and 0 <= fraction <= MAX_LINE_FAULT):
        raise ValueError(
            f"fraction: expected a number from 0 to {MAX_LINE_FAULT}, got {fraction!r}"
        )
    return 1 - fraction if kind == "clog" else 1 + fraction


@dataclass(frozen=True, slots=True)
class Output:
    """One switched output: a point (a relay coil) of a device."""

    device: str
    point: str


@dataclass(frozen=True, slots=True)
class ZoneWiring:
    """A zone: its valve output, its probes (device names) and its nominal flow."""

    name: str
    valve: Output
    nominal_flow_m3h: float
    probes: tuple[str, ...] = ()
    flow_meter: str | None = None
    initial_moisture_pct: float = 22.0
    area_m2: float | None = None  # needed with a SeasonTruth: applied m³ → mm
    probe_depths_m: tuple[float, ...] = ()  # one per probe; default 0.2 m


@dataclass(frozen=True, slots=True)
class TankWiring:
    """A tank level device; ``supplies`` says what draws from it."""

    device: str
    area_m2: float = 1.0
    initial_level_m: float = 1.5
    supplies: Literal["injector", "irrigation"] = "injector"


@dataclass(frozen=True, slots=True)
class FieldWiring:
    """How the simulated field is wired; every name is a :class:`VirtualDevice` name.

    ``pump`` / ``master_valve`` of ``None`` mean there is none (always on).
    ``start_hour`` is the local solar time at step 0.
    """

    zones: tuple[ZoneWiring, ...]
    pump: Output | None = None
    master_valve: Output | None = None
    flow_meter: str | None = None
    ec_meter: str | None = None
    ph_meter: str | None = None
    injector: str | None = None
    weather_station: str | None = None
    pressure: str | None = None
    pressure_before_filter: str | None = None
    backflush_valve: Output | None = None
    tanks: tuple[TankWiring, ...] = ()
    start_hour: float = 6.0
    water_ec_ms_cm: float = 0.6
    # meters with a pulse output on a counter module (drivers.sim.pulses); a zone's or the
    # head's flow_meter may name one
    pulse_meters: tuple[PulseWiring, ...] = ()


PROBE_NOISE_PCT = 0.4  # reading noise, volumetric %, 1 sigma
PROBE_OFFSET_PCT = 1.0  # calibration offset per probe, drawn once, ±1 sigma
WEATHER_NOISE = {"air_temperature": 0.2, "humidity": 2.0, "wind_speed": 0.2}
# With a season truth, probes, weather and tanks (slow quantities) are published at most once
# per this many seconds of field time; flow, pressure, EC and pH at every step. A season's
# 1-second control ticks then do not pay for rewriting registers nobody can see change.
SLOW_PUBLISH_S = 30.0


@dataclass
class SeasonTruth:
    """The season simulation's truth behind the field (see the module docstring).

    ``start`` is the local date and time at step 0; ``et0_mm`` the true daily reference ET by
    local date; ``soils`` and ``crops`` per zone name. :attr:`daily` fills as the field steps.
    """

    start: dt.datetime
    weather: WeatherSeries
    et0_mm: Mapping[dt.date, float]
    soils: Mapping[str, SoilColumn]
    crops: Mapping[str, CropTruth]
    daily: dict[str, list[DayTotals]] = field(default_factory=dict)
    rain_total_mm: float = 0.0

    def totals(self, zone: str, date: dt.date) -> DayTotals:
        days = self.daily.setdefault(zone, [])
        if not days or days[-1].date != date:
            days.append(DayTotals(date))
        return days[-1]


class SimField:
    """The field state behind the simulated devices; advance it with :meth:`step`."""

    def __init__(
        self,
        wiring: FieldWiring,
        devices: Mapping[str, VirtualDevice] | Iterable[VirtualDevice],
        *,
        seed: int = 0,
        physics: SeasonTruth | None = None,
    ) -> None:
        self.wiring = wiring
        self.physics = physics
        self.devices = (
            dict(devices) if isinstance(devices, Mapping) else {d.name: d for d in devices}
        )
        _validate(wiring, self.devices)
        if physics is not None:
            _validate_physics(wiring, physics)
        self._rng = random.Random(seed)
        self._probe_offset = probe_offsets(wiring, self._rng)
        self.elapsed_s = 0.0
        self.flow_m3h = 0.0
        self.total_m3 = 0.0
        self.ec_ms_cm = wiring.water_ec_ms_cm
        self.ph = WATER_PH
        self.line_pressure_kpa = 0.0
        self.filter_dp_kpa = 0.0
        # Pipe and mixing faults a test sets: flow × pipe_flow_factor (2: a burst lateral,
        # 0: no water with the pump on), EC + ec_offset_ms_cm (a spike from a bad stock).
        self.pipe_flow_factor = 1.0
        self.ec_offset_ms_cm = 0.0
        self._line_fault: dict[str, tuple[str, float]] = {}  # zone -> (kind, fraction)
        self._filter_clog_kpa = 0.0
        self._moisture = {z.name: z.initial_moisture_pct for z in wiring.zones}
        self._zone_flow_m3h = {z.name: 0.0 for z in wiring.zones}
        self._tank_m = {t.device: t.initial_level_m for t in wiring.tanks}
        self._wind_dir_deg = self._rng.uniform(0, 360)
        # The meters' error has a stream of its own: the field's draws (the water that
        # flows) stay what they were, and no draw is shared by the water and its reading.
        self._meter_rng = random.Random(f"{seed}:flow meters")
        pulse_names = {p.meter for p in wiring.pulse_meters}
        meters = sorted(m for m in self._true_meter_flows() if m not in pulse_names)
        # pulse meters: their own stream again, so adding one changes no other draw
        pulse_rng = random.Random(f"{seed}:pulse meters")
        self.pulse_meters = {
            p.meter: SimPulseMeter(p, self.devices[p.device], pulse_rng)
            for p in wiring.pulse_meters
        }
        self._meter_gain = {m: 1 + self._meter_rng.gauss(0, METER_GAIN_SD) for m in meters}
        self._meter_flow_m3h = dict.fromkeys(meters, 0.0)
        self._meter_total_m3 = dict.fromkeys(meters, 0.0)
        self._slow_published_s = -math.inf
        self._publish()

    # ------------------------------------------------------------ read access

    @property
    def time_of_day_h(self) -> float:
        return (self.wiring.start_hour + self.elapsed_s / 3600) % 24

    def moisture_pct(self, zone: str) -> float:
        return self._moisture[zone]

    def zone_flow_m3h(self, zone: str) -> float:
        return self._zone_flow_m3h[zone]

    def tank_level_m(self, device: str) -> float:
        return self._tank_m[device]

    def set_line_fault(self, zone: str, kind: str, fraction: float) -> None:
        """A line fault of ``zone`` from the next step on (:func:`line_flow_factor`); a
        ``fraction`` of 0 clears it."""
        if zone not in self._moisture:
            known = ", ".join(z.name for z in self.wiring.zones)
            raise ValueError(f"zone: unknown zone {zone!r} (one of {known})")
        line_flow_factor(kind, fraction)  # checks both
        if fraction == 0:
            self._line_fault.pop(zone, None)
        else:
            self._line_fault[zone] = (kind, float(fraction))

    def line_faults(self) -> dict[str, tuple[str, float]]:
        """The zones' line faults now: zone -> (kind, fraction)."""
        return dict(self._line_fault)

    def _line_factor(self, zone: str) -> float:
        fault = self._line_fault.get(zone)
        return 1.0 if fault is None else line_flow_factor(*fault)

    def tank_start_m(self, device: str) -> float:
        """The level a tank started at (and is refilled to), m."""
        return next(t for t in self.wiring.tanks if t.device == device).initial_level_m

    def refill_tank(self, device: str) -> float:
        """Fill a tank back to its initial level (a technician's refill); the level before, m."""
        before = self._tank_m[device]
        self._tank_m[device] = max(before, self.tank_start_m(device))
        self._slow_published_s = -math.inf  # the level device shows it at the next step
        return before

    # ------------------------------------------------------------ stepping

    def step(self, dt_s: float) -> None:
        """Advance the field by ``dt_s`` seconds and publish the new device values."""
        if not dt_s > 0:
            raise ValueError(f"dt_s must be positive, got {dt_s}")
        self.elapsed_s += dt_s
        pumping = self._on(self.wiring.pump) and self._on(self.wiring.master_valve)
        watered = [z for z in self.wiring.zones if pumping and self._on(z.valve)]
        flow = sum(z.nominal_flow_m3h * self._line_factor(z.name) for z in watered)
        noise = (1 + self._rng.gauss(0, 0.01)) * self.pipe_flow_factor
        self.flow_m3h = max(0.0, flow * noise) if flow else 0.0
        self.total_m3 += self.flow_m3h * dt_s / 3600
        for zone in self.wiring.zones:
            line = self._line_factor(zone.name)
            share = zone.nominal_flow_m3h * line * noise if zone in watered else 0.0
            self._zone_flow_m3h[zone.name] = max(0.0, share)
        self._step_meters(dt_s)
        if self.physics is not None:
            self._step_truth(dt_s)
        else:
            self._step_moisture(dt_s, {z.name for z in watered} if self.flow_m3h > 0 else set())
        injecting_l_h = self._injection_l_h()
        self._step_fertigation(dt_s, injecting_l_h)
        self._step_tanks(dt_s, injecting_l_h)
        self.line_pressure_kpa = self._pressure(pumping)
        self._step_filter(dt_s)
        self._publish()

    def _true_meter_flows(self) -> dict[str, float]:
        """The flow through each meter now, m³/h.

        A meter shared by several zones (or the head meter named by the zones too) reads the
        sum of what flows through it, never one zone's share.
        """
        w = self.wiring
        flows: dict[str, float] = {}
        if w.flow_meter is not None:
            flows[w.flow_meter] = self.flow_m3h
        for zone in w.zones:
            if zone.flow_meter is not None and zone.flow_meter != w.flow_meter:
                flows[zone.flow_meter] = (
                    flows.get(zone.flow_meter, 0.0) + self._zone_flow_m3h[zone.name]
                )
        return flows

    def _step_meters(self, dt_s: float) -> None:
        for meter, true_m3h in self._true_meter_flows().items():
            if meter in self.pulse_meters:
                self.pulse_meters[meter].step(true_m3h, dt_s)
                continue
            noise = 1 + self._meter_rng.gauss(0, METER_NOISE_SD)
            read = max(0.0, true_m3h * self._meter_gain[meter] * noise) if true_m3h else 0.0
            self._meter_flow_m3h[meter] = read
            self._meter_total_m3[meter] += read * dt_s / 3600

    def _step_moisture(self, dt_s: float, watered: set[str]) -> None:
        day = self._solar_fraction()
        for zone in self.wiring.zones:
            theta = self._moisture[zone.name]
            if zone.name in watered:
                theta += (THETA_SAT_PCT - theta) * (1 - math.exp(-WETTING_RATE_PER_S * dt_s))
            else:
                rate = DRYING_RATE_PER_S * (0.3 + 1.7 * day)  # evaporation mostly by day
                theta -= (theta - THETA_WP_PCT) * (1 - math.exp(-rate * dt_s))
            self._moisture[zone.name] = theta

    @property
    def local_time(self) -> dt.datetime:
        """Local (naive) date and time now; only with a :class:`SeasonTruth`."""
        if self.physics is None:
            raise ValueError("local_time needs a SeasonTruth (physics=)")
        return self.physics.start + dt.timedelta(seconds=self.elapsed_s)

    def apply_surface_water(self, zone: str, depth_mm: float) -> None:
        """Water that reaches a zone's soil outside the drip system (a border flood), mm."""
        truth = self.physics
        if truth is None:
            raise ValueError("apply_surface_water needs a SeasonTruth (physics=)")
        totals = truth.totals(zone, self.local_time.date())
        totals.runoff_mm += truth.soils[zone].add_water(depth_mm)
        totals.irrigation_mm += depth_mm

    def _step_truth(self, dt_s: float) -> None:
        """Soil water of every zone over the step just taken, split at local midnight."""
        truth = self.physics
        assert truth is not None
        end = self.local_time
        t = end - dt.timedelta(seconds=dt_s)
        while t < end:
            midnight = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time())
            t1 = min(end, midnight)
            h0 = t.hour + t.minute / 60 + (t.second + t.microsecond / 1e6) / 3600
            h1 = h0 + (t1 - t).total_seconds() / 3600
            frac = (t1 - t).total_seconds() / dt_s
            rain = truth.weather.rain_between(t.date(), h0, h1)
            truth.rain_total_mm += rain
            for zone in self.wiring.zones:
                # Water of the step's flow (m³/h over its seconds), spread over the zone.
                m3 = self._zone_flow_m3h[zone.name] * dt_s / 3600 * frac
                step_zone(
                    truth.soils[zone.name],
                    truth.crops[zone.name],
                    truth.totals(zone.name, t.date()),
                    et0_day_mm=truth.et0_mm.get(t.date(), 0.0),
                    h0=h0,
                    h1=h1,
                    water_mm=m3 / (zone.area_m2 or 1.0) * 1000.0,
                    rain_mm=rain,
                )
            t = t1

    def _injection_l_h(self) -> float:
        """Stock solution injected now (L/h): the injector runs and water flows."""
        name = self.wiring.injector
        if name is None or self.flow_m3h <= 0:
            return 0.0
        dev = self.devices[name]
        if not dev.get("run"):
            return 0.0
        return max(0.0, dev.get("rate_setpoint"))

    def _step_fertigation(self, dt_s: float, injecting_l_h: float) -> None:
        water = self.wiring.water_ec_ms_cm
        if injecting_l_h > 0:
            dose = min(10.0, DOSE_EC_PER_L_PER_M3 * injecting_l_h / self.flow_m3h)
            target, tau = water + dose, EC_RISE_TAU_S
        else:
            target, tau = water, EC_DECAY_TAU_S
        self.ec_ms_cm += (target - self.ec_ms_cm) * (1 - math.exp(-dt_s / tau))
        self.ph = max(4.0, WATER_PH - PH_PER_EC * (self.ec_ms_cm - water))

    def _step_tanks(self, dt_s: float, injecting_l_h: float) -> None:
        draws = {"injector": injecting_l_h / 1000, "irrigation": self.flow_m3h}  # m3/h
        for kind, draw_m3h in draws.items():
            tanks = [t for t in self.wiring.tanks if t.supplies == kind]
            for tank in tanks:
                drop_m = draw_m3h / len(tanks) * dt_s / 3600 / tank.area_m2
                self._tank_m[tank.device] = max(0.0, self._tank_m[tank.device] - drop_m)

    def _step_filter(self, dt_s: float) -> None:
        """Filter dp ∝ (flow / design)², plus clogging that grows with the water filtered."""
        w = self.wiring
        if w.backflush_valve is not None and self._on(w.backflush_valve) and self.flow_m3h > 0:
            self._filter_clog_kpa *= math.exp(-dt_s / 10)  # flushed clean within a minute
        else:
            self._filter_clog_kpa += FILTER_CLOG_KPA_PER_M3 * self.flow_m3h * dt_s / 3600
        design_m3h = max((z.nominal_flow_m3h for z in w.zones), default=1.0)
        load = (self.flow_m3h / max(design_m3h, 1.0)) ** 2
        self.filter_dp_kpa = (FILTER_CLEAN_DP_KPA + self._filter_clog_kpa) * load

    def _pressure(self, pumping: bool) -> float:
        if not pumping:
            return 0.0
        design_m3h = max((z.nominal_flow_m3h for z in self.wiring.zones), default=1.0)
        kpa = PUMP_SHUTOFF_KPA - PUMP_DROP_AT_DESIGN_KPA * self.flow_m3h / max(design_m3h, 1.0)
        return max(0.0, kpa + self._rng.gauss(0, 1.0))

    def _solar_fraction(self) -> float:
        """0 at night, 1 at solar noon."""
        return max(0.0, math.sin(math.pi * (self.time_of_day_h - 6) / 12))

    # ------------------------------------------------------------ publishing

    def _publish(self) -> None:
        w = self.wiring
        for meter, flow_m3h in self._meter_flow_m3h.items():
            self._put_meter(meter, flow_m3h, self._meter_total_m3[meter])
        for pulse_meter in self.pulse_meters.values():
            pulse_meter.publish()
        if w.ec_meter is not None:
            self._put(w.ec_meter, "ec", self.ec_ms_cm + self.ec_offset_ms_cm)
        if w.ph_meter is not None:
            self._put(w.ph_meter, "ph", self.ph)
        if w.pressure is not None:
            self._put(w.pressure, "line_pressure", self.line_pressure_kpa)
        if w.pressure_before_filter is not None:
            before_kpa = self.line_pressure_kpa + self.filter_dp_kpa if self.flow_m3h else 0.0
            self._put(w.pressure_before_filter, "line_pressure", before_kpa)
        if self.physics is not None:
            if self.elapsed_s - self._slow_published_s < SLOW_PUBLISH_S:
                return
            self._slow_published_s = self.elapsed_s
        for tank in w.tanks:
            self._put(tank.device, "level", self._tank_m[tank.device])
        soil_temp_c = soil_temperature_c(self.time_of_day_h)
        for zone in w.zones:
            for i, probe in enumerate(zone.probes):
                self._put(probe, "moisture", self._probe_pct(zone, i))
                self._put(probe, "temperature", soil_temp_c, optional=True)
        if w.weather_station is not None:
            if self.physics is not None:
                self._publish_series_weather(w.weather_station, self.physics)
            else:
                self._publish_weather(w.weather_station)

    def _probe_pct(self, zone: ZoneWiring, i: int) -> float:
        if self.physics is None:
            return self._moisture[zone.name]
        depth = zone.probe_depths_m[i] if i < len(zone.probe_depths_m) else 0.2
        theta = self.physics.soils[zone.name].theta_at(depth)
        return probe_pct(theta, self._probe_offset[zone.probes[i]], self._rng)

    def _publish_series_weather(self, name: str, truth: SeasonTruth) -> None:
        publish_station(
            self.devices[name], truth.weather, self.local_time, truth.rain_total_mm, self._rng
        )

    def _put_meter(self, meter: str, flow_m3h: float, total_m3: float) -> None:
        """Flow and totalizer; a meter with ``total_fraction`` keeps whole m³ in ``total``."""
        self._put(meter, "flow_rate", flow_m3h)
        if self.devices[meter].profile.has_point("total_fraction"):
            whole = math.floor(total_m3)
            self._put(meter, "total", whole)
            self._put(meter, "total_fraction", total_m3 - whole)
        else:
            self._put(meter, "total", total_m3)

    def _publish_weather(self, name: str) -> None:
        phase = math.sin(2 * math.pi * (self.time_of_day_h - 9) / 24)  # peak at 15:00
        self._wind_dir_deg = (self._wind_dir_deg + self._rng.gauss(0, 3)) % 360
        self._put(name, "air_temperature", 18 + 9 * phase)
        self._put(name, "humidity", 45 - 25 * phase + self._rng.gauss(0, 1))
        wind = 2.5 + 1.5 * math.sin(2 * math.pi * (self.time_of_day_h - 10) / 24)
        self._put(name, "wind_speed", max(0.0, wind + self._rng.gauss(0, 0.3)))
        solar_w_m2 = 850 * self._solar_fraction()
        self._put(name, "solar_radiation", solar_w_m2, optional=True)
        self._put(name, "illuminance", LUX_PER_W_M2 * solar_w_m2, optional=True)
        self._put(name, "pressure", 850 + 2 * phase, optional=True)  # ~1500 m a.s.l.
        self._put(name, "wind_direction", self._wind_dir_deg, optional=True)

    def _put(self, device: str, point: str, value: float, *, optional: bool = False) -> None:
        put(self.devices[device], point, value, optional=optional)

    def _on(self, output: Output | None) -> bool:
        return output is None or bool(self.devices[output.device].get(output.point))


def put(dev: VirtualDevice, point: str, value: float, *, optional: bool = False) -> None:
    """Set ``point`` of ``dev`` to ``value`` pinned into the point's range; an ``optional``
    point the device's profile does not have is skipped."""
    if optional and not dev.profile.has_point(point):
        return
    pt = dev.profile.point(point)
    if pt.min is not None:
        value = max(value, pt.min)
    if pt.max is not None:
        value = min(value, pt.max)
    dev.set(point, value)


def probe_pct(theta: float, offset_pct: float, rng: random.Random, gain: float = 1.0) -> float:
    """What a probe reads (volumetric %) of true θ (fraction) at its depth: its response
    ``gain`` (1: none, the default; a cheap capacitive probe in a soil it was not made for
    reads 0.7–1.4 times θ), its calibration offset (%) and one draw of reading noise
    (:data:`PROBE_NOISE_PCT`). The noise is drawn the same way whatever the gain, so a
    season's draws do not change when a gain is set."""
    return theta * 100.0 * gain + offset_pct + rng.gauss(0, PROBE_NOISE_PCT)


def probe_offsets(wiring: FieldWiring, rng: random.Random) -> dict[str, float]:
    """Each probe's calibration offset (%), drawn once in wiring order (the field's first draws)."""
    return {p: rng.gauss(0, PROBE_OFFSET_PCT) for z in wiring.zones for p in z.probes}


def soil_temperature_c(hour: float) -> float:
    """The probes' soil temperature (°C) at local solar ``hour``: 16 ± 4 peaking at 17:00."""
    return 16 + 4 * math.sin(2 * math.pi * (hour - 11) / 24)


def publish_station(
    dev: VirtualDevice,
    weather: WeatherSeries,
    local: dt.datetime,
    rain_total_mm: float,
    rng: random.Random,
) -> None:
    """The weather station's points at local time ``local`` from the weather series, with
    sensor noise (:data:`WEATHER_NOISE`); ``rain`` is the cumulative counter (mm)."""
    hour = local.hour + local.minute / 60 + local.second / 3600
    wx = weather.hour(local.date(), hour)
    noise = {k: rng.gauss(0, sd) for k, sd in WEATHER_NOISE.items()}
    put(dev, "air_temperature", wx.t_c + noise["air_temperature"])
    put(dev, "humidity", min(100.0, wx.rh_pct + noise["humidity"]))
    put(dev, "wind_speed", max(0.0, wx.wind_m_s + noise["wind_speed"]))
    put(dev, "solar_radiation", wx.solar_w_m2, optional=True)
    put(dev, "illuminance", LUX_PER_W_M2 * wx.solar_w_m2, optional=True)
    put(dev, "pressure", 850.0, optional=True)  # ~1500 m a.s.l.
    put(dev, "rain", rain_total_mm, optional=True)
    put(dev, "rain_intensity", wx.rain_mm_h, optional=True)


def _validate_physics(wiring: FieldWiring, truth: SeasonTruth) -> None:
    """Refuse a truth that misses a zone's soil, crop or area."""
    problems = []
    for i, zone in enumerate(wiring.zones):
        if zone.name not in truth.soils:
            problems.append(f"zones[{i}]: no soil for zone {zone.name!r} in the season truth")
        if zone.name not in truth.crops:
            problems.append(f"zones[{i}]: no crop for zone {zone.name!r} in the season truth")
        if not (zone.area_m2 or 0) > 0:
            problems.append(f"zones[{i}].area_m2: needed (positive) with a season truth")
    if problems:
        raise ValueError("\n".join(problems))


def _validate(wiring: FieldWiring, devices: Mapping[str, VirtualDevice]) -> None:
    """Refuse wiring that names unknown devices or points, naming the key path."""
    problems: list[str] = []

    def need(path: str, name: str | None, points: Iterable[str]) -> None:
        if name is None:
            return
        dev = devices.get(name)
        if dev is None:
            problems.append(f"{path}: unknown device {name!r}")
            return
        for point in points:
            if not dev.profile.has_point(point):
                problems.append(
                    f"{path}: device {name!r} ({dev.profile.name}) has no point {point!r}"
                )

    if len({z.name for z in wiring.zones}) != len(wiring.zones):
        problems.append("zones: duplicate zone names")
    for i, zone in enumerate(wiring.zones):
        need(f"zones[{i}].valve", zone.valve.device, [zone.valve.point])
        if not zone.nominal_flow_m3h >= 0:
            problems.append(f"zones[{i}].nominal_flow_m3h: must be >= 0")
        if zone.flow_meter not in {p.meter for p in wiring.pulse_meters}:
            need(f"zones[{i}].flow_meter", zone.flow_meter, ["flow_rate", "total"])
        for j, probe in enumerate(zone.probes):
            need(f"zones[{i}].probes[{j}]", probe, ["moisture"])
    for key in ("pump", "master_valve", "backflush_valve"):
        out = getattr(wiring, key)
        if out is not None:
            need(key, out.device, [out.point])
    pulse_names = {p.meter for p in wiring.pulse_meters}
    for i, p in enumerate(wiring.pulse_meters):
        need(f"pulse_meters[{i}].device", p.device, [p.point])
    if wiring.flow_meter not in pulse_names:
        need("flow_meter", wiring.flow_meter, ["flow_rate", "total"])
    need("ec_meter", wiring.ec_meter, ["ec"])
    need("ph_meter", wiring.ph_meter, ["ph"])
    need("injector", wiring.injector, ["run", "rate_setpoint"])
    need("weather_station", wiring.weather_station, ["air_temperature", "humidity", "wind_speed"])
    need("pressure", wiring.pressure, ["line_pressure"])
    need("pressure_before_filter", wiring.pressure_before_filter, ["line_pressure"])
    for i, tank in enumerate(wiring.tanks):
        need(f"tanks[{i}]", tank.device, ["level"])
        if not tank.area_m2 > 0:
            problems.append(f"tanks[{i}].area_m2: must be positive")
    if problems:
        raise ValueError("\n".join(problems))
