"""Runs: water one zone, or fertigate it (prewet → inject → flush), advanced by ``tick()``.

The sequencer is a state machine, not a thread: the daemon calls
:meth:`Sequencer.tick` once a second (then :meth:`controller.runtime.safety.Supervisor.check`),
so the same code runs under a :class:`controller.clock.VirtualClock`.

Switching order: a run opens its zone valve, then the master valve, then the
pump; the last run to end stops the dosing pump, then the pump, the master
valve and the zone valve. Zones run together only while the sum of their
nominal flows fits ``head.pump_capacity_m3_h``; a fertigation run runs alone
(the injected solution reaches every open zone).

Water applied (m³) is measured at the zone's flow meter (the head meter if
the zone has none): the positive totalizer (``total`` + ``total_fraction``)
while it reads fresh, otherwise ``flow_rate`` integrated over time. A meter
shared by concurrent runs is split by nominal flow. The run's ``end_reason``
says which measurement was used, e.g. ``"...; water by flow1 totalizer"``.

Fertigation (a :class:`Recipe`): prewet ``fertigation.prewet_min`` (and until
the line flows), inject, flush at least ``fertigation.flush_min`` and until EC
is within ``FLUSH_EC_BAND_MS_CM`` of ``fertigation.source_ec_ms_cm`` (or the
zone's run-time limit is near). A kg recipe doses its nutrients one after the
other, each from the tank holding it, for an equal share of the inject time,
at ``L/h = kg / concentration_kg_m3 × 1000 / share_h``, scaled by measured /
nominal flow so the solution's concentration stays right. Injected kg come
from the dosing pump's ``dosed_volume`` counter when it is read fresh and
moved, else from setpoint × time; ``end_reason`` says which. Injection never
starts or continues without water flow, and the backflush valve is kept off
while injecting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from controller.clock import Clock
from controller.config.site import FertigationConfig, SiteConfig, TankConfig, ZoneConfig
from controller.errors import ControllerError
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.safety import Supervisor, stop_injector
from controller.store import RunPhase, RunSource, RunState, Severity, Store
from drivers.bus import Bus
from drivers.errors import FieldIOError

__all__ = [
    "ActiveRun",
    "CapacityExceeded",
    "DurationError",
    "OutputFailed",
    "Recipe",
    "RecipeError",
    "RunRefused",
    "Sequencer",
    "SequencerError",
]

log = logging.getLogger(__name__)

SOURCE = "sequencer"
# A run's water is committed this often, so a crash loses at most this much accounting;
# one small row update per run every 10 s is negligible SD-card wear.
PROGRESS_EVERY_S = 10.0
# The injector's rate is written when it moves by more than this share (or 0.1 L/h; flow
# meter noise alone moves a flow-paced rate by a few %), and
# re-asserted this often: a verified write every tick would take most of a 9600-baud bus.
SETPOINT_DEADBAND = 0.05
SETPOINT_DEADBAND_L_H = 0.1
SETPOINT_REFRESH_S = 30.0
FLUSH_EC_BAND_MS_CM = 0.2
LIMIT_MARGIN_S = 60.0  # a flush ends this long before the zone's run-time limit
EC_GAIN_L_H_PER_M3_H_MS_CM_S = 0.05  # integral gain of target-EC dosing
NUTRIENTS = ("N", "P2O5", "K2O")


class SequencerError(ControllerError):
    """Root of the sequencer's refusals::

    SequencerError
    ├── RunRefused          the supervisor, a pause or a busy injector says no
    │   └── CapacityExceeded  the zones together would exceed the pump capacity
    ├── DurationError       minutes outside (0, zone max_run_min]
    ├── RecipeError         the recipe cannot be dosed on this site
    └── OutputFailed        an output did not switch; everything was switched off
    """


class RunRefused(SequencerError):
    """The run may not start now."""


class CapacityExceeded(RunRefused):
    """Σ nominal flow of the running zones and this one exceeds the pump capacity."""


class DurationError(SequencerError, ValueError):
    """The run length is not within the zone's limits."""


class RecipeError(SequencerError, ValueError):
    """The recipe does not fit the site (no fertigation, no tank for a nutrient, no time)."""


class OutputFailed(SequencerError):
    """Switching an output failed; the supervisor switched everything off."""


@dataclass(frozen=True, slots=True)
class Recipe:
    """What one fertigation event injects: kg per nutrient, or a target EC from one tank."""

    kg: Mapping[str, float] = field(default_factory=dict)
    target_ec_ms_cm: float | None = None
    tank: str | None = None  # the tank dosed to reach target_ec_ms_cm


@dataclass(frozen=True, slots=True)
class ActiveRun:
    zone: str
    run_id: int
    phase: RunPhase
    started: datetime
    remaining_s: float
    applied_m3: float


@dataclass(slots=True)
class _Dose:
    """One nutrient (or the EC target) from one tank."""

    key: str  # nutrient, or "ec" for a target-EC dose
    tank: TankConfig
    kg_target: float | None
    base_rate_l_h: float
    rate_l_h: float = 0.0  # wanted
    written_l_h: float = 0.0  # last rate written to the injector (what it doses)
    written_at: float = 0.0  # monotonic s of that write
    setpoint_l: float = 0.0  # ∫ written rate dt (L)
    counter_start_l: float | None = None
    counter_end_l: float | None = None

    @property
    def target_l(self) -> float | None:
        if self.kg_target is None:
            return None
        return self.kg_target / self.tank.concentration_kg_m3 * 1000


@dataclass(slots=True)
class _Meter:
    """Water-measuring state of one flow meter."""

    device: str
    anchor_m3: float | None = None
    anchor_time: datetime | None = None


@dataclass(slots=True)
class _Run:
    zone: ZoneConfig
    run_id: int
    started_mono: float
    started_at: datetime
    planned_s: float
    limit_s: float
    recipe: Recipe | None
    phase: RunPhase
    phase_since: float
    applied_m3: float = 0.0
    totalizer_s: float = 0.0
    integrated_s: float = 0.0
    last_progress: float = 0.0
    doses: list[_Dose] = field(default_factory=list)
    dose_index: int = 0
    dose_since: float = 0.0
    inject_s: float = 0.0
    injecting: bool = False
    injection_blocked: str = ""
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class Sequencer:
    """Starts, advances and ends runs; thread-safe (the API may start and stop runs)."""

    def __init__(
        self,
        site: SiteConfig,
        outputs: Outputs,
        live: LiveState,
        store: Store,
        fieldio: FieldIO,
        clock: Clock,
        supervisor: Supervisor,
    ) -> None:
        self.site = site
        self.outputs = outputs
        self.live = live
        self.store = store
        self.fieldio = fieldio
        self.clock = clock
        self.supervisor = supervisor
        self._lock = threading.RLock()
        self._runs: dict[str, _Run] = {}
        self._meters: dict[str, _Meter] = {}
        self._last_mono = clock.monotonic()
        self._dt = 0.0  # seconds covered by the last water accounting
        self.paused_until: datetime | None = None

    # ------------------------------------------------------------ daemon start

    def recover(self, reason: str = "daemon restart") -> list[int]:
        """At daemon start: end runs left ``running`` as ``interrupted`` with the water recorded.

        The water applied is the last progress recorded (every ``PROGRESS_EVERY_S``),
        so the planner sees it and a restart never waters twice. Returns the run ids.
        """
        ended = []
        for run in self.store.interrupt_open_runs(reason):
            if run.id is None:
                continue
            ended.append(run.id)
            self.store.raise_event(
                Severity.WARNING,
                "run_interrupted",
                SOURCE,
                f"run {run.id} of zone {run.zone} interrupted ({reason}) after "
                f"{run.applied_m3:.2f} m3 applied",
            )
        return ended

    # ------------------------------------------------------------ commands

    def start(
        self,
        zone: str,
        minutes: float,
        source: RunSource | str,
        decision_id: int | None = None,
        recipe: Recipe | None = None,
        actor: str = "system",
    ) -> int:
        """Open ``zone`` for ``minutes`` (a fertigation run with ``recipe``); return the run id."""
        with self._lock:
            z = self._zone(zone)
            limit_min = min(z.max_run_min, self.site.safety.max_run_min)
            if not 0 < minutes <= limit_min:
                raise DurationError(
                    f"zone {zone}: {minutes:g} min outside (0, {limit_min:g}] (max_run_min)"
                )
            self._check_may_start(z, recipe)
            doses = self._plan_doses(recipe, minutes) if recipe is not None else []
            row = self.store.plan_run(zone, source, minutes, decision_id=decision_id)
            assert row.id is not None
            self.store.record_audit(
                actor,
                "run.start",
                {"zone": zone, "minutes": minutes, "run_id": row.id, "recipe": _recipe_doc(recipe)},
            )
            self._open_water(z, row.id)
            phase = RunPhase.PREWET if recipe is not None else RunPhase.WATER
            self.store.start_run(row.id, phase)
            mono = self.clock.monotonic()
            run = _Run(
                zone=z,
                run_id=row.id,
                started_mono=mono,
                started_at=self.clock.now(),
                planned_s=minutes * 60,
                limit_s=limit_min * 60,
                recipe=recipe,
                phase=phase,
                phase_since=mono,
                last_progress=mono,
                doses=doses,
            )
            if recipe is not None:
                f = self._fertigation()
                run.inject_s = (minutes - f.prewet_min - f.flush_min) * 60
            self._anchor(self._meter_of(z))
            self._runs[zone] = run
            return row.id

    def stop(self, zone: str, reason: str, actor: str = "system") -> None:
        """End ``zone``'s run as ``aborted`` with ``reason`` (e.g. a manual stop)."""
        with self._lock:
            run = self._runs.get(zone)
            if run is None:
                return
            self.store.record_audit(actor, "run.stop", {"zone": zone, "reason": reason})
            self._close(run, RunState.ABORTED, reason)

    def stop_all(self, reason: str, actor: str = "system") -> None:
        with self._lock:
            for zone in list(self._runs):
                self.stop(zone, reason, actor)

    def pause(self, until: datetime, actor: str = "system") -> None:
        """Stop every run and refuse new ones until ``until``."""
        with self._lock:
            self.paused_until = until
            self.stop_all(f"paused until {until.isoformat()}", actor)

    def resume(self) -> None:
        with self._lock:
            self.paused_until = None

    def active(self) -> list[ActiveRun]:
        with self._lock:
            mono = self.clock.monotonic()
            return [
                ActiveRun(
                    zone=r.zone.name,
                    run_id=r.run_id,
                    phase=r.phase,
                    started=r.started_at,
                    remaining_s=max(0.0, r.planned_s - (mono - r.started_mono)),
                    applied_m3=r.applied_m3,
                )
                for r in self._runs.values()
            ]

    # ------------------------------------------------------------ RunControl (supervisor)

    def abort_all(self, reason: str) -> None:
        """Every run ends ``aborted``; the supervisor switches the outputs."""
        with self._lock:
            self._account()
            for run in list(self._runs.values()):
                del self._runs[run.zone.name]
                self._finish(run, RunState.ABORTED, reason)

    def injection_stopped(self, reason: str) -> None:
        with self._lock:
            for run in self._runs.values():
                if run.recipe is not None:
                    run.injection_blocked = reason
                    run.injecting = False

    # ------------------------------------------------------------ tick

    def tick(self, now: datetime | None = None) -> None:
        """Advance every run by the time passed since the last tick; renew the leases."""
        with self._lock:
            if self.paused_until is not None and (now or self.clock.now()) >= self.paused_until:
                self.paused_until = None
            failures = self.outputs.renew_due()
            if failures:
                what = "; ".join(f"{role}: {exc}" for role, exc in failures.items())
                self.supervisor.trip("lease_renewal", f"lease renewal failed: {what}")
                return
            self._account()
            mono = self.clock.monotonic()
            for run in list(self._runs.values()):
                if self._runs.get(run.zone.name) is not run:
                    continue  # ended by a trip earlier in this tick
                try:
                    self._advance(run, mono)
                except FieldIOError as exc:
                    self.supervisor.trip("output_fault", f"zone {run.zone.name}: {exc}")
                    return
                if run.zone.name in self._runs and mono - run.last_progress >= PROGRESS_EVERY_S:
                    run.last_progress = mono
                    self.store.update_run_progress(run.run_id, run.applied_m3, run.phase)

    def _advance(self, run: _Run, mono: float) -> None:
        elapsed = mono - run.started_mono
        if run.recipe is None:
            if elapsed >= run.planned_s:
                self._close(run, RunState.DONE, "planned time reached")
            return
        in_phase = mono - run.phase_since
        f = self._fertigation()
        if run.phase is RunPhase.PREWET:
            if in_phase >= f.prewet_min * 60 and self._flowing():
                self._set_phase(run, RunPhase.INJECT, mono)
                run.dose_since = mono
            elif in_phase >= f.prewet_min * 60:
                run.note("injection held: no water flow after prewet")
        elif run.phase is RunPhase.INJECT:
            self._inject(run, mono)
        elif run.phase is RunPhase.FLUSH:
            if in_phase >= f.flush_min * 60 and self._ec_back(f.source_ec_ms_cm):
                self._close(run, RunState.DONE, "flushed")
            elif elapsed >= run.limit_s - LIMIT_MARGIN_S:
                run.note("flush ended at the run-time limit before EC returned to source")
                self._close(run, RunState.DONE, "flush limit reached")

    # ------------------------------------------------------------ fertigation

    def _inject(self, run: _Run, mono: float) -> None:
        dt = self._dt
        if run.injection_blocked:
            run.note(f"injection stopped: {run.injection_blocked}")
            self._to_flush(run, mono)
            return
        if not self._flowing():
            if run.injecting:
                self._injector_off(run)
            run.note("injection held while there was no water flow")
            return
        dose = run.doses[run.dose_index]
        if run.injecting:
            dose.setpoint_l += dose.written_l_h * dt / 3600
        share_s = run.inject_s / len(run.doses)
        target = dose.target_l
        if (target is not None and dose.setpoint_l >= target) or mono - run.dose_since >= share_s:
            self._next_dose(run, mono)
            return
        dose.rate_l_h = self._rate(run, dose, dt)
        self._injector_on(run, dose, mono)

    def _rate(self, run: _Run, dose: _Dose, dt: float) -> float:
        flow = self._flow() or 0.0
        if dose.kg_target is not None:
            return dose.base_rate_l_h * flow / self._nominal(run.zone)
        recipe = run.recipe
        assert recipe is not None and recipe.target_ec_ms_cm is not None
        ec = self._fresh_value(self._fertigation().ec_meter, "ec")
        if ec is None:
            return dose.rate_l_h
        err = recipe.target_ec_ms_cm - ec
        return max(0.0, dose.rate_l_h + EC_GAIN_L_H_PER_M3_H_MS_CM_S * flow * err * dt)

    def _injector_on(self, run: _Run, dose: _Dose, mono: float) -> None:
        f = self._fertigation()
        if "backflush_valve" in self.outputs.roles() and self.outputs.is_on("backflush_valve"):
            self.outputs.off("backflush_valve")
        bus = self.fieldio.bus_of(f.injector)
        if not run.injecting:
            dose.counter_start_l = self._fresh_value(f.injector, "dosed_volume")
            self.outputs.on("injector_power")
            self._write_rate(bus, f.injector, dose, mono)
            bus.write_point(f.injector, "run", 1)
            run.injecting = True
            return
        moved = abs(dose.rate_l_h - dose.written_l_h)
        if (
            moved > max(SETPOINT_DEADBAND * dose.written_l_h, SETPOINT_DEADBAND_L_H)
            or mono - dose.written_at >= SETPOINT_REFRESH_S
        ):
            self._write_rate(bus, f.injector, dose, mono)

    @staticmethod
    def _write_rate(bus: Bus, injector: str, dose: _Dose, mono: float) -> None:
        bus.write_point(injector, "rate_setpoint", dose.rate_l_h)  # verified by read-back
        dose.written_l_h, dose.written_at = dose.rate_l_h, mono

    def _injector_off(self, run: _Run) -> None:
        run.injecting = False
        failures = stop_injector(self.site, self.outputs, self.fieldio)
        if failures:
            self.supervisor.trip("output_fault", "could not stop injection: " + "; ".join(failures))

    def _next_dose(self, run: _Run, mono: float) -> None:
        dose = run.doses[run.dose_index]
        if run.injecting:
            self._injector_off(run)
        dose.counter_end_l = self._fresh_value(self._fertigation().injector, "dosed_volume")
        run.dose_index += 1
        run.dose_since = mono
        if run.dose_index >= len(run.doses):
            self._to_flush(run, mono)

    def _to_flush(self, run: _Run, mono: float) -> None:
        if run.injecting:
            self._injector_off(run)
        self._set_phase(run, RunPhase.FLUSH, mono)

    def _plan_doses(self, recipe: Recipe, minutes: float) -> list[_Dose]:
        f = self._fertigation()
        inject_min = minutes - f.prewet_min - f.flush_min
        if inject_min <= 0:
            raise RecipeError(
                f"{minutes:g} min leaves no inject time after prewet {f.prewet_min:g} "
                f"+ flush {f.flush_min:g} min"
            )
        tanks = {t.name: t for t in f.tanks}
        if recipe.target_ec_ms_cm is not None:
            if recipe.kg or recipe.tank not in tanks:
                raise RecipeError("a target-EC recipe names one tank and no kg")
            return [_Dose("ec", tanks[recipe.tank], None, 0.0)]
        if not recipe.kg:
            raise RecipeError("a recipe needs kg per nutrient or a target EC")
        doses = []
        share_h = inject_min / 60 / len(recipe.kg)
        for nutrient, kg in recipe.kg.items():
            tank = next((t for t in f.tanks if t.nutrient == nutrient), None)
            if nutrient not in NUTRIENTS or tank is None or not kg > 0:
                raise RecipeError(f"{nutrient}: {kg!r} kg cannot be dosed (no tank holds it)")
            rate_l_h = kg / tank.concentration_kg_m3 * 1000 / share_h
            doses.append(_Dose(nutrient, tank, kg, rate_l_h))
        return doses

    def _fertilizer(self, run: _Run) -> tuple[dict[str, float], str]:
        """kg per nutrient injected, and how it was measured."""
        injector = self._fertigation().injector
        end = self._fresh_value(injector, "dosed_volume")
        for dose in run.doses:
            if dose.counter_start_l is not None and dose.counter_end_l is None:
                dose.counter_end_l = end
        counted = [
            (d.counter_end_l - d.counter_start_l)
            if d.counter_start_l is not None and d.counter_end_l is not None
            else None
            for d in run.doses
        ]
        by_counter = (
            all(c is not None for c in counted)
            and sum(c or 0.0 for c in counted) > 0
            and all((c or 0.0) >= 0 for c in counted)
        )
        kg: dict[str, float] = {}
        for dose, c in zip(run.doses, counted, strict=True):
            litres = c if by_counter and c is not None else dose.setpoint_l
            key = dose.tank.nutrient if dose.key == "ec" else dose.key
            kg[key] = kg.get(key, 0.0) + litres / 1000 * dose.tank.concentration_kg_m3
        how = (
            f"fertilizer by {injector} dosed-volume counter"
            if by_counter
            else f"fertilizer by {injector} setpoint × time"
        )
        return kg, how

    # ------------------------------------------------------------ water

    def _open_water(self, zone: ZoneConfig, run_id: int) -> None:
        roles = [f"valve:{zone.name}"]
        if "master_valve" in self.outputs.roles() and not self.outputs.is_on("master_valve"):
            roles.append("master_valve")
        if not self.outputs.is_on("pump"):
            roles.append("pump")
        for role in roles:
            try:
                self.outputs.on(role)
            except FieldIOError as exc:
                reason = f"could not switch {role} on: {exc}"
                self.store.finish_run(run_id, RunState.ABORTED, reason)
                self.supervisor.trip("output_fault", f"zone {zone.name}: {reason}")
                raise OutputFailed(reason) from exc

    def _close(self, run: _Run, state: RunState, reason: str) -> None:
        """Switch the run's water off (pump first if it is the last) and record its end."""
        self._account()
        del self._runs[run.zone.name]
        try:
            if run.injecting:
                self._injector_off(run)
            if not self._runs:
                for role in ("pump", "master_valve"):
                    if role in self.outputs.roles():
                        self.outputs.off(role)
            self.outputs.off(f"valve:{run.zone.name}")
        except FieldIOError as exc:
            self._finish(run, RunState.ABORTED, f"{reason}; could not switch off: {exc}")
            self.supervisor.trip("output_fault", f"zone {run.zone.name}: {exc}")
            return
        self._finish(run, state, reason)

    def _finish(self, run: _Run, state: RunState, reason: str) -> None:
        parts = [reason, self._water_how(run), *run.notes]
        fertilizer = None
        if run.recipe is not None:
            fertilizer, how = self._fertilizer(run)
            parts.append(how)
        self.store.finish_run(
            run.run_id, state, "; ".join(parts), applied_m3=run.applied_m3, fertilizer=fertilizer
        )

    def _water_how(self, run: _Run) -> str:
        meter = self._meter_of(run.zone)
        if run.integrated_s == 0:
            return f"water by {meter} totalizer"
        if run.totalizer_s == 0:
            return f"water by {meter} flow-rate integration"
        return f"water by {meter} totalizer, flow rate integrated for {run.integrated_s:.0f} s"

    def _account(self) -> None:
        """Add the water since the last call to every run, per meter, split by nominal flow."""
        mono = self.clock.monotonic()
        dt = mono - self._last_mono
        self._last_mono = mono
        self._dt = dt
        by_meter: dict[str, list[_Run]] = {}
        for run in self._runs.values():
            by_meter.setdefault(self._meter_of(run.zone), []).append(run)
        for device, runs in by_meter.items():
            volume_m3, by_total = self._meter_increment(device, dt)
            nominal = sum(r.zone.nominal_flow_m3_h for r in runs)
            for run in runs:
                run.applied_m3 += volume_m3 * run.zone.nominal_flow_m3_h / nominal
                if by_total:
                    run.totalizer_s += dt
                else:
                    run.integrated_s += dt

    def _meter_increment(self, device: str, dt: float) -> tuple[float, bool]:
        meter = self._meters.setdefault(device, _Meter(device))
        total = self._totalizer(device)
        if total is not None and meter.anchor_m3 is not None:
            value, when = total
            increment = max(0.0, value - meter.anchor_m3)
            meter.anchor_m3, meter.anchor_time = value, when
            return increment, True
        if total is not None:
            meter.anchor_m3, meter.anchor_time = total
        else:
            meter.anchor_m3 = meter.anchor_time = None
        flow = self._fresh_value(device, "flow_rate")
        return (max(0.0, flow) * dt / 3600 if flow is not None else 0.0), False

    def _anchor(self, device: str) -> None:
        if any(self._meter_of(r.zone) == device for r in self._runs.values()):
            return  # already measuring for a concurrent run
        meter = self._meters.setdefault(device, _Meter(device))
        total = self._totalizer(device)
        meter.anchor_m3, meter.anchor_time = total if total is not None else (None, None)

    def _totalizer(self, device: str) -> tuple[float, datetime] | None:
        """The positive totalizer (m³) and its reading time, if read fresh."""
        whole = self.live.get(device, "total")
        fraction = self._fresh_value(device, "total_fraction")
        if whole is None or self._fresh_value(device, "total") is None:
            return None
        return whole.latest.require() + (fraction or 0.0), whole.latest.time

    # ------------------------------------------------------------ helpers

    def _check_may_start(self, zone: ZoneConfig, recipe: Recipe | None) -> None:
        if zone.name in self._runs:
            raise RunRefused(f"zone {zone.name} is already running")
        now = self.clock.now()
        if self.paused_until is not None and now < self.paused_until:
            raise RunRefused(f"paused until {self.paused_until.isoformat()}")
        ok, why = self.supervisor.may_start(zone.name, fertigation=recipe is not None)
        if not ok:
            raise RunRefused(f"zone {zone.name}: {why}")
        if recipe is not None and self._runs:
            raise RunRefused("a fertigation run runs alone: other zones are running")
        if any(r.recipe is not None for r in self._runs.values()):
            raise RunRefused("a fertigation run is active: it runs alone")
        total = zone.nominal_flow_m3_h + sum(r.zone.nominal_flow_m3_h for r in self._runs.values())
        capacity = self.site.head.pump_capacity_m3_h
        if total > capacity:
            raise CapacityExceeded(
                f"zone {zone.name}: {total:g} m3/h nominal with the running zones "
                f"> pump capacity {capacity:g} m3/h"
            )
        if recipe is not None:
            self._check_tanks(recipe)

    def _check_tanks(self, recipe: Recipe) -> None:
        for tank in self._fertigation().tanks:
            level = self._fresh_value(tank.level, "level")
            if (
                level is not None
                and level < tank.low_level_m
                and (tank.nutrient in recipe.kg or tank.name == recipe.tank)
            ):
                raise RunRefused(f"tank {tank.name} at {level:.2f} m < {tank.low_level_m:g} m")

    def _set_phase(self, run: _Run, phase: RunPhase, mono: float) -> None:
        run.phase, run.phase_since = phase, mono
        self.store.update_run_progress(run.run_id, run.applied_m3, phase)

    def _zone(self, name: str) -> ZoneConfig:
        for z in self.site.zones:
            if z.name == name:
                return z
        raise RunRefused(f"unknown zone {name!r}")

    def _fertigation(self) -> FertigationConfig:
        f = self.site.fertigation
        if f is None:
            raise RecipeError("the site has no fertigation section")
        return f

    def _meter_of(self, zone: ZoneConfig) -> str:
        return zone.flow_meter or self.site.head.flow_meter

    def _nominal(self, zone: ZoneConfig) -> float:
        return self.supervisor.learned_nominal_m3_h(zone.name) or zone.nominal_flow_m3_h

    def _fresh_value(self, device: str, point: str) -> float | None:
        state = self.live.get(device, point)
        if state is None or not state.latest.ok:
            return None
        age_s = (self.clock.now() - state.latest.time).total_seconds()
        return state.latest.value if age_s <= self.site.safety.stale_after_s else None

    def _flow(self) -> float | None:
        return self._fresh_value(self.site.head.flow_meter, "flow_rate")

    def _flowing(self) -> bool:
        flow = self._flow()
        return (
            self.outputs.is_on("pump")
            and flow is not None
            and (flow >= self.site.safety.no_flow_m3_h)
        )

    def _ec_back(self, source_ec: float) -> bool:
        ec = self._fresh_value(self._fertigation().ec_meter, "ec")
        return ec is not None and abs(ec - source_ec) <= FLUSH_EC_BAND_MS_CM


def _recipe_doc(recipe: Recipe | None) -> dict[str, object] | None:
    if recipe is None:
        return None
    return {"kg": dict(recipe.kg), "target_ec_ms_cm": recipe.target_ec_ms_cm, "tank": recipe.tank}
