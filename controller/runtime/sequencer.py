"""Runs: water one zone, or fertigate it (prewet → inject → flush), advanced by ``tick()``.

The sequencer is a state machine, not a thread: the daemon calls
:meth:`Sequencer.tick` once a second (then :meth:`controller.runtime.safety.Supervisor.check`),
so the same code runs under a :class:`controller.clock.VirtualClock`.

It owns the run lifecycle and composes two parts:

- :class:`controller.runtime.metering.Metering`: the water (m³) each run applied, from its
  zone's flow meter (totalizer, else flow rate integrated); the run's ``end_reason`` says
  which measurement was used, e.g. ``"...; water by flow1 totalizer"``.
- :class:`controller.runtime.dosing.Dosing`: a fertigation run's inject phase (doses,
  injector rate) and the kg it injected.

Switching order: a run opens its zone valve, then the master valve, then the
pump; the last run to end stops the dosing pump, then the pump, the master
valve and the zone valve. Zones run together only while the sum of their
nominal flows fits ``head.pump_capacity_m3_h``; a fertigation run runs alone
(the injected solution reaches every open zone). A run ends ``done`` (planned time
reached, its target volume metered, or flushed), ``aborted`` (stopped, paused, a safety trip,
an output that did not switch, a record of it the store refused) or, found open at daemon
start, ``interrupted``. A run whose record the store refuses (its progress, also the one
recorded when another run on its meter ends, the phase that starts or ends its injection,
its end; a row it will not change, not an outage, which it keeps in memory) has its dosing
and water switched off again before the tick raises :class:`RecordRefused`, as a start it
cannot record is closed again; the run that ended is not touched.

A run by volume (``volume_m3``) ends ``done`` when its metered water reaches the target:
at each tick the water metered so far plus the run's flow over the seconds since its
meter's totalizer was read predicts the volume now, and the run closes at the tick nearest
the target (:func:`volume_due`), not a poll late. Its ``minutes`` are then a time cap: at the
cap it ends ``done`` with ``time cap reached before the target volume`` and a
``volume_cap`` warning. :func:`check_volume` refuses a target that is not positive or that
the zone's nominal flow cannot give within the cap.

Fertigation (a :class:`Recipe`): prewet ``fertigation.prewet_min`` (and until
the line flows), inject (:mod:`controller.runtime.dosing`), flush at least
``fertigation.flush_min`` and until EC is within ``FLUSH_EC_BAND_MS_CM`` of
``fertigation.source_ec_ms_cm`` (or the zone's run-time limit is near).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from controller.clock import Clock
from controller.config.site import SiteConfig, ZoneConfig
from controller.runtime.credit import Credit, meter_credit, most_m3
from controller.runtime.dosing import ChannelRecipe, Dosing, RunDosing, fertigation_of
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState, control_max_age_s
from controller.runtime.metering import Metering, RunWater
from controller.runtime.outputs import Outputs
from controller.runtime.runs import (
    ActiveRun,
    CapacityExceeded,
    DurationError,
    OutputFailed,
    Recipe,
    RecipeError,
    RecordRefused,
    RunRefused,
    SequencerError,
    VolumeError,
)
from controller.runtime.safety import Supervisor
from controller.store import (
    MeterMark,
    RunPhase,
    RunSource,
    RunState,
    Severity,
    Store,
    StoreError,
)
from drivers.errors import FieldIOError

__all__ = [
    "ActiveRun",
    "CapacityExceeded",
    "DurationError",
    "OutputFailed",
    "Recipe",
    "RecipeError",
    "RecordRefused",
    "RunRefused",
    "Sequencer",
    "SequencerError",
    "VolumeError",
    "check_volume",
    "ends_not_recorded",
    "planned_volume",
    "volume_due",
]

log = logging.getLogger(__name__)

SOURCE = "sequencer"
# A run's water is committed this often, so a crash loses at most this much accounting;
# one small row update per run every 10 s is negligible SD-card wear.
PROGRESS_EVERY_S = 10.0
FLUSH_EC_BAND_MS_CM = 0.2
LIMIT_MARGIN_S = 60.0  # a flush ends this long before the zone's run-time limit


@dataclass(slots=True)
class _Run:
    """One active run: its lifecycle, its water and (fertigation) its dosing."""

    zone: ZoneConfig
    run_id: int
    started_mono_s: float
    started_at: datetime
    planned_s: float
    limit_s: float
    phase: RunPhase
    phase_since: float
    water: RunWater
    dosing: RunDosing | None = None
    target_m3: float | None = None  # a run by volume
    last_progress: float = 0.0
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
        self.metering = Metering(site, live, clock)
        self.dosing = Dosing(site, outputs, live, fieldio, clock, supervisor)
        self._lock = threading.RLock()
        self._runs: dict[str, _Run] = {}
        self._last_mono_s = clock.monotonic()
        self._dt = 0.0  # seconds covered by the last water accounting
        # Other runs closed because a run's end found their progress refused (_finish):
        # raised by the next tick's end, whatever ended the run.
        self._refused: list[RecordRefused] = []
        self.paused_until: datetime | None = None

    # ------------------------------------------------------------ daemon start

    def recover(self, reason: str = "daemon restart") -> list[int]:
        """At daemon start: end runs left ``running`` as ``interrupted`` with their water.

        Their water is the last progress recorded (every ``PROGRESS_EVERY_S``) plus the
        rise of the meter's totalizer since, when :func:`controller.runtime.credit.meter_credit`
        allows it (the run alone on its meter, the meter read now, not gone down) — call this
        after the devices were read. The planner sees it and a restart never waters twice.
        Each run's ``run_interrupted`` event and ``end_reason`` say what was credited, from
        which two totalizer values, or why nothing was. Returns the run ids.
        """
        runs = [r for r in self.store.open_runs() if r.id is not None]
        meters = {r.id: self._meter_of_zone(r.zone) for r in runs}
        ended = []
        for run in runs:
            assert run.id is not None
            credit = self._credit(run.id, run.zone, meters)
            applied_m3 = run.applied_m3 + credit.m3
            self.store.finish_run(
                run.id, RunState.INTERRUPTED, f"{reason}; {credit.why}", applied_m3=applied_m3
            )
            ended.append(run.id)
            self.store.raise_event(
                Severity.WARNING,
                "run_interrupted",
                SOURCE,
                f"run {run.id} of zone {run.zone} interrupted ({reason}) after "
                f"{applied_m3:.2f} m3 applied; {credit.why}",
            )
        return ended

    def _meter_of_zone(self, zone: str) -> str | None:
        z = next((z for z in self.site.zones if z.name == zone), None)
        return None if z is None else self.metering.meter_of(z)

    def _credit(self, run_id: int, zone: str, meters: dict[int | None, str | None]) -> Credit:
        """The water to credit interrupted run ``run_id`` (see :mod:`controller.runtime.credit`)."""
        z = next((z for z in self.site.zones if z.name == zone), None)
        device = meters.get(run_id)
        if z is None or device is None:
            return Credit(
                0.0, f"water since the last progress not credited: zone {zone} is not configured"
            )
        mark = self.store.run_meter(run_id)
        others = [i for i, d in meters.items() if i is not None and i != run_id and d == device]
        safety = self.site.safety
        window_s = (
            PROGRESS_EVERY_S
            + control_max_age_s(self.site)
            + max(safety.lease_s, safety.comm_watchdog_s)
            + 1.0  # a control tick
        )
        return meter_credit(
            run_id,
            device,
            None if mark is None else mark.device,
            None if mark is None else mark.total_m3,
            self.metering.totalizer_m3(device),
            others,
            most_m3(z.nominal_flow_m3_h, window_s),
        )

    # ------------------------------------------------------------ commands

    def start(
        self,
        zone: str,
        minutes: float,
        source: RunSource | str,
        decision_id: int | None = None,
        recipe: Recipe | None = None,
        actor: str = "system",
        volume_m3: float | None = None,
    ) -> int:
        """Open ``zone`` for ``minutes`` (a fertigation run with ``recipe``; with
        ``volume_m3``, until that much water was metered, ``minutes`` the time cap); return
        the run id."""
        with self._lock:
            z = self._zone(zone)
            limit_min = min(z.max_run_min, self.site.safety.max_run_min)
            if not 0 < minutes <= limit_min:
                raise DurationError(
                    f"zone {zone}: {minutes:g} min outside (0, {limit_min:g}] (max_run_min)",
                    "duration_out_of_bounds",
                )
            if volume_m3 is not None:
                check_volume(z, volume_m3, minutes, recipe)
            self._check_may_start(z, recipe)
            dosing = self.dosing.plan(z, recipe, minutes) if recipe is not None else None
            row = self.store.plan_run(zone, source, minutes, decision_id=decision_id)
            assert row.id is not None
            doc: dict[str, object] = {
                "zone": zone,
                "minutes": minutes,
                "run_id": row.id,
                "recipe": _recipe_doc(recipe),
            }
            if volume_m3 is not None:
                doc["volume_m3"] = volume_m3  # and minutes are its time cap
            self.store.record_audit(actor, "run.start", doc)
            opened = self._open_water(z, row.id)
            try:
                phase = RunPhase.PREWET if recipe is not None else RunPhase.WATER
                water = self.metering.start(z, [r.zone for r in self._runs.values()])
                self.store.start_run(row.id, phase, meter=self._mark(z))
                mono_s = self.clock.monotonic()
                self._runs[zone] = _Run(
                    zone=z,
                    run_id=row.id,
                    started_mono_s=mono_s,
                    started_at=self.clock.now(),
                    planned_s=minutes * 60,
                    limit_s=limit_min * 60,
                    phase=phase,
                    phase_since=mono_s,
                    water=water,
                    dosing=dosing,
                    target_m3=volume_m3,
                    last_progress=mono_s,
                )
            except Exception as exc:  # a run the box does not hold must not keep water open
                self._close_unrecorded(z, row.id, opened, exc)
                raise
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
        """:meth:`stop` every run. A run whose end the store refuses (its water already off)
        does not keep the others running: each is stopped, then the first refusal raised."""
        with self._lock:
            refused: list[StoreError] = []
            for zone in list(self._runs):
                try:
                    self.stop(zone, reason, actor)
                except StoreError as exc:
                    log.error("zone %s stopped, its end not recorded: %s", zone, exc)
                    refused.append(exc)
            if refused:
                raise refused[0]

    def pause(self, until: datetime, actor: str = "system") -> None:
        """Stop every run and refuse new ones until ``until``."""
        with self._lock:
            self.paused_until = until
            self.stop_all(f"paused until {until.isoformat(timespec='seconds')}", actor)

    def resume(self) -> None:
        with self._lock:
            self.paused_until = None

    def active(self) -> list[ActiveRun]:
        with self._lock:
            mono_s = self.clock.monotonic()
            return [
                ActiveRun(
                    zone=r.zone.name,
                    run_id=r.run_id,
                    phase=r.phase,
                    started=r.started_at,
                    remaining_s=max(0.0, r.planned_s - (mono_s - r.started_mono_s)),
                    applied_m3=r.water.applied_m3,
                    target_m3=r.target_m3,
                )
                for r in self._runs.values()
            ]

    # ------------------------------------------------------------ RunControl (supervisor)

    def abort_all(self, reason: str) -> None:
        """Every run ends ``aborted``; the supervisor switches the outputs. A run whose end
        the store refuses does not keep the others held: each is ended, then the first
        refusal raised (as :meth:`stop_all`), with a note naming every run whose end was
        not recorded (:func:`ends_not_recorded`): the trip's alarm says it."""
        with self._lock:
            self._account()
            refused: list[StoreError] = []
            unrecorded: list[str] = []
            for run in list(self._runs.values()):
                if self._runs.get(run.zone.name) is not run:
                    continue  # closed meanwhile, its progress refused at an end (_finish)
                del self._runs[run.zone.name]
                try:
                    self._finish(run, RunState.ABORTED, reason)
                except StoreError as exc:
                    log.error("zone %s aborted, its end not recorded: %s", run.zone.name, exc)
                    refused.append(exc)
                    unrecorded.append(f"{run.run_id} ({run.zone.name})")
            if refused:
                refused[0].add_note(ends_not_recorded(unrecorded))
                raise refused[0]

    def injection_stopped(self, reason: str) -> None:
        with self._lock:
            for run in self._runs.values():
                if run.dosing is not None:
                    self.dosing.blocked(run.dosing, reason)

    # ------------------------------------------------------------ tick

    def tick(self, now: datetime | None = None) -> None:
        """Advance every run by the time passed since the last tick; renew the leases. Then
        raise the first :class:`RecordRefused` of a run closed since the last tick because
        another run's end found its progress refused (:meth:`_finish`)."""
        with self._lock:
            self._advance_all(now)
            if self._refused:
                first = self._refused[0]
                self._refused.clear()  # each was logged as it was closed
                raise first

    def _advance_all(self, now: datetime | None) -> None:
        with self._lock:
            if self.paused_until is not None and (now or self.clock.now()) >= self.paused_until:
                self.paused_until = None
            failures = self.outputs.renew_due()
            if failures:
                what = "; ".join(f"{role}: {exc}" for role, exc in failures.items())
                self.supervisor.trip("lease_renewal", f"lease renewal failed: {what}")
                return
            self._account()
            mono_s = self.clock.monotonic()
            for run in list(self._runs.values()):
                if self._runs.get(run.zone.name) is not run:
                    continue  # ended by a trip earlier in this tick
                try:
                    self._advance(run, mono_s)
                    if (
                        run.zone.name in self._runs
                        and mono_s - run.last_progress >= PROGRESS_EVERY_S
                    ):
                        self._progress(run)
                except FieldIOError as exc:
                    self.supervisor.trip("output_fault", f"zone {run.zone.name}: {exc}")
                    return
                except StoreError as exc:  # not an outage: the store keeps those in memory
                    raise self._close_refused(run, exc) from exc

    def _advance(self, run: _Run, mono_s: float) -> None:
        elapsed = mono_s - run.started_mono_s
        if run.dosing is None:
            if run.target_m3 is not None:
                self._advance_by_volume(run, run.target_m3, elapsed)
            elif elapsed >= run.planned_s:
                self._close(run, RunState.DONE, "planned time reached")
            return
        in_phase = mono_s - run.phase_since
        f = fertigation_of(self.site)
        if run.phase is RunPhase.PREWET:
            if in_phase >= f.prewet_min * 60 and self.dosing.flowing():
                self._set_phase(run, RunPhase.INJECT, mono_s)
                self.dosing.begin(run.dosing, mono_s)
            elif in_phase >= f.prewet_min * 60:
                run.note("injection held: no water flow after prewet")
        elif run.phase is RunPhase.INJECT:
            if self.dosing.inject(run.dosing, mono_s, self._dt, run.note):
                self._set_phase(run, RunPhase.FLUSH, mono_s)
        elif run.phase is RunPhase.FLUSH:
            if in_phase >= f.flush_min * 60 and self._ec_back(f.source_ec_ms_cm):
                self._close(run, RunState.DONE, "flushed")
            elif elapsed >= run.limit_s - LIMIT_MARGIN_S:
                run.note("flush ended at the run-time limit before EC returned to source")
                self._close(run, RunState.DONE, "flush limit reached")

    def _advance_by_volume(self, run: _Run, target_m3: float, elapsed: float) -> None:
        water = run.water
        rate = self.metering.rate_m3_h(water, [r.water for r in self._runs.values()])
        if volume_due(
            water.applied_m3, target_m3, rate or 0.0, self.metering.unmetered_s(water), self._dt
        ):
            self._close(run, RunState.DONE, f"target volume {target_m3:g} m3 reached")
        elif elapsed >= run.planned_s:
            reason = (
                f"time cap reached before the target volume: {water.applied_m3:.2f} of "
                f"{target_m3:g} m3 metered in {run.planned_s / 60:g} min"
            )
            self.store.raise_event(
                Severity.WARNING,
                "volume_cap",
                SOURCE,
                f"run {run.run_id} of zone {run.zone.name}: {reason}",
            )
            self._close(run, RunState.DONE, reason)

    def _ec_back(self, source_ec: float) -> bool:
        ec = self.dosing.ec()
        return ec is not None and abs(ec - source_ec) <= FLUSH_EC_BAND_MS_CM

    # ------------------------------------------------------------ water on and off

    def _open_water(self, zone: ZoneConfig, run_id: int) -> list[str]:
        """Switch on the zone's valve, then the master valve and the pump if off; return the
        roles switched on. A role that fails aborts the run, trips ``output_fault`` and
        raises :class:`OutputFailed` naming it; another run's end the trip's abort found
        refused (everything off by then) is held and raised by the next tick, as
        :meth:`_close` holds it: the start failed for its output, not for the store."""
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
                try:  # the trip first: what opened goes off whatever the store does next
                    self.supervisor.trip("output_fault", f"zone {zone.name}: {reason}")
                except StoreError as other:  # another run's end, refused after the switch-off
                    self._refused.append(_ended_by_the_trip(other))
                finally:
                    self._abort_row(zone, run_id, reason)
                raise OutputFailed(reason, "output_failed") from exc
        return roles

    def _close_unrecorded(
        self, zone: ZoneConfig, run_id: int, opened: list[str], exc: Exception
    ) -> None:
        """A start that failed after its water opened (the store refused to record it,
        an error in the run's set-up): switch off what it opened, pump first, and end its
        row ``aborted`` with the cause when the store takes it. An output that will not go
        off trips ``output_fault``. The caller re-raises ``exc``."""
        reason = f"start not recorded, water closed again: {exc}"
        log.error("zone %s: %s", zone.name, reason)
        try:
            try:
                for role in reversed(opened):
                    self.outputs.off(role)
            except FieldIOError as off_exc:
                self.supervisor.trip("output_fault", f"zone {zone.name}: {reason}; {off_exc}")
        finally:  # the trip raises a refused end of another run after the switch-off
            self._abort_row(zone, run_id, reason)

    def _close_refused(self, run: _Run, exc: StoreError) -> RecordRefused:
        """The store refused a record of running ``run`` (its progress, the phase that starts
        or ends its injection, its end with the fertilizer dosed): water, and fertilizer,
        the box could not account for. Its dosing pump stops (supply cut, ``run`` 0), its
        water closes (pump first if it is the last run) and its row ends ``aborted`` with
        the cause when the store takes it; an output that will not go off trips
        ``output_fault``. Returns the error the tick raises: the control loop's
        ``control_error`` alarm names it."""
        reason = f"record refused, water closed again: {exc}"
        log.error("zone %s: run %d: %s", run.zone.name, run.run_id, reason)
        self._runs.pop(run.zone.name, None)
        roles = [] if self._runs else ["pump", "master_valve"]
        try:
            if run.dosing is not None:
                self.dosing.stop(run.dosing)
            for role in [*roles, f"valve:{run.zone.name}"]:
                if role in self.outputs.roles():
                    self.outputs.off(role)
        except FieldIOError as off_exc:
            try:
                self.supervisor.trip("output_fault", f"zone {run.zone.name}: {reason}; {off_exc}")
            except StoreError as trip_exc:  # everything is off and the trip alarmed
                log.error("runs aborted by the trip, not all recorded: %s", trip_exc)
        try:
            self._finish(run, RunState.ABORTED, reason)
        except StoreError as end_exc:
            log.error(
                "run %d of zone %s not ended in the store: %s", run.run_id, run.zone.name, end_exc
            )
        return RecordRefused(f"zone {run.zone.name}: run {run.run_id}: {reason}", "record_refused")

    def _abort_row(self, zone: ZoneConfig, run_id: int, reason: str) -> None:
        """End the row of a start that failed ``aborted`` with ``reason``; a store that
        refuses it is logged (the start's own error is what the caller raises)."""
        try:
            self.store.finish_run(run_id, RunState.ABORTED, reason)
        except StoreError as exc:
            log.error("run %d of zone %s not ended in the store: %s", run_id, zone.name, exc)

    def _close(self, run: _Run, state: RunState, reason: str) -> None:
        """Switch the run's water off (pump first if it is the last) and record its end."""
        self._account()
        del self._runs[run.zone.name]
        try:
            if run.dosing is not None:
                self.dosing.stop(run.dosing)
            if not self._runs:
                for role in ("pump", "master_valve"):
                    if role in self.outputs.roles():
                        self.outputs.off(role)
            self.outputs.off(f"valve:{run.zone.name}")
        except FieldIOError as exc:
            try:  # the trip first: everything else goes off whatever the store does next
                self.supervisor.trip("output_fault", f"zone {run.zone.name}: {exc}")
            except StoreError as other:
                # another run's end, refused in the trip's abort_all: that run is closed and
                # logged already; the next tick says so (:meth:`tick`), not blamed on this one
                self._refused.append(_ended_by_the_trip(other))
            finally:
                self._finish(run, RunState.ABORTED, f"{reason}; could not switch off: {exc}")
            return
        self._finish(run, state, reason)

    def _finish(self, run: _Run, state: RunState, reason: str) -> None:
        parts = [reason, self.metering.how(run.water), *run.notes]
        fertilizer = None
        if run.dosing is not None:
            fertilizer, how = self.dosing.fertilizer(run.dosing)
            parts.append(how)
        self.store.finish_run(
            run.run_id,
            state,
            "; ".join(parts),
            applied_m3=run.water.applied_m3,
            fertilizer=fertilizer,
        )
        # The runs left on its meter record their progress now: the meter's rise after this
        # is theirs alone, which is what a restart may credit them (controller.runtime.credit).
        # One the store refuses is closed (:meth:`_close_refused`), not the run that ended,
        # whose end is recorded; the tick raises its RecordRefused.
        meter = self.metering.meter_of(run.zone)
        for other in list(self._runs.values()):
            if self.metering.meter_of(other.zone) != meter:
                continue
            if self._runs.get(other.zone.name) is not other:
                continue  # closed meanwhile, its own progress refused
            try:
                self._progress(other)
            except StoreError as exc:
                self._refused.append(self._close_refused(other, exc))

    def _progress(self, run: _Run) -> None:
        """Record the run's water and phase, with the meter reading its water counts up to."""
        run.last_progress = self.clock.monotonic()
        self.store.update_run_progress(
            run.run_id, run.water.applied_m3, run.phase, meter=self._mark(run.zone)
        )

    def _mark(self, zone: ZoneConfig) -> MeterMark | None:
        counted = self.metering.counted_to(zone)
        return None if counted is None else MeterMark(*counted)

    def _account(self) -> None:
        """Add the water since the last call to every run (:class:`Metering`)."""
        mono_s = self.clock.monotonic()
        self._dt = mono_s - self._last_mono_s
        self._last_mono_s = mono_s
        self.metering.account([r.water for r in self._runs.values()], self._dt)

    # ------------------------------------------------------------ helpers

    def _check_may_start(self, zone: ZoneConfig, recipe: Recipe | None) -> None:
        if zone.name in self._runs:
            raise RunRefused(f"zone {zone.name} is already running", "already_running")
        now = self.clock.now()
        if self.paused_until is not None and now < self.paused_until:
            raise RunRefused(
                f"paused until {self.paused_until.isoformat(timespec='seconds')}", "paused"
            )
        ok, why = self.supervisor.may_start(zone.name, fertigation=recipe is not None)
        if not ok:
            raise RunRefused(f"zone {zone.name}: {why}", "safety_hold")
        if recipe is not None and self._runs:
            raise RunRefused(
                "a fertigation run runs alone: other zones are running", "fertigation_alone"
            )
        if any(r.dosing is not None for r in self._runs.values()):
            raise RunRefused("a fertigation run is active: it runs alone", "fertigation_active")
        total = zone.nominal_flow_m3_h + sum(r.zone.nominal_flow_m3_h for r in self._runs.values())
        capacity = self.site.head.pump_capacity_m3_h
        if total > capacity:
            raise CapacityExceeded(
                f"zone {zone.name}: {total:g} m3/h nominal with the running zones "
                f"> pump capacity {capacity:g} m3/h",
                "capacity_exceeded",
            )
        if recipe is not None:
            self.dosing.check_tanks(recipe)

    def _set_phase(self, run: _Run, phase: RunPhase, mono_s: float) -> None:
        run.phase, run.phase_since = phase, mono_s
        self._progress(run)

    def _zone(self, name: str) -> ZoneConfig:
        for z in self.site.zones:
            if z.name == name:
                return z
        raise RunRefused(f"unknown zone {name!r}", "unknown_zone")


def _ended_by_the_trip(refused: StoreError) -> RecordRefused:
    """What the next tick raises for a run end a trip's :meth:`Sequencer.abort_all` found
    refused: the refusal and its notes (:func:`ends_not_recorded`: which runs' ends were
    not recorded), which ``str()`` of the refusal alone leaves out."""
    said = "; ".join([str(refused), *getattr(refused, "__notes__", [])])
    return RecordRefused(f"a run ended by the trip: {said}", "record_refused")


def ends_not_recorded(runs: list[str]) -> str:
    """What a trip's alarm adds when the store refused the ends of ``runs`` (each
    ``"<run id> (<zone>)"``): the run history of those runs is incomplete
    (:data:`controller.runtime.trip_messages.TRIP_MESSAGES` ``runs_not_recorded``)."""
    return f"run history incomplete, ends not recorded: runs {', '.join(runs)}"


def check_volume(
    zone: ZoneConfig, volume_m3: float, cap_min: float, recipe: Recipe | None = None
) -> None:
    """Refuse a run of ``volume_m3`` capped at ``cap_min`` that cannot end by volume
    (:class:`VolumeError` naming the zone and the figures): not positive, with a recipe
    (a fertigation run ends by its phases), or more than the zone's nominal flow gives in
    the cap (``volume_m3 / nominal_flow_m3_h × 60 > cap_min``)."""
    if not volume_m3 > 0:  # also NaN
        raise VolumeError(
            f"zone {zone.name}: target volume {volume_m3:g} m3 must be positive",
            "volume_not_positive",
        )
    if recipe is not None:
        raise VolumeError(
            f"zone {zone.name}: a fertigation run ends by its phases, not volume",
            "recipe_by_volume",
        )
    need_min = volume_m3 / zone.nominal_flow_m3_h * 60
    if need_min > cap_min:
        raise VolumeError(
            f"zone {zone.name}: {volume_m3:g} m3 at its nominal {zone.nominal_flow_m3_h:g} m3/h "
            f"takes {need_min:.1f} min, more than the time cap of {cap_min:g} min",
            "volume_unreachable",
        )


# A planned run by volume may take this much longer than planned (or than its volume takes at
# the zone's nominal flow) before its cap: room for a weaker pump day, not for a burst pipe.
PLANNED_CAP_FACTOR = 1.25


def planned_volume(
    zone: ZoneConfig, depth_mm: float, duration_min: float, limit_min: float
) -> tuple[float, float]:
    """A planned run of ``depth_mm`` (gross, over the zone's area) as a run by volume:
    ``(volume_m3, cap_min)``, the cap ``PLANNED_CAP_FACTOR`` × the longer of the planned
    ``duration_min`` and the volume's time at nominal flow, at most ``limit_min``
    (:func:`check_volume` then refuses a volume the zone cannot give within it)."""
    volume_m3 = depth_mm / 1000 * zone.area_m2_value  # 1 mm on 1 m² is 1 L
    need_min = volume_m3 / zone.nominal_flow_m3_h * 60
    return volume_m3, min(limit_min, PLANNED_CAP_FACTOR * max(duration_min, need_min))


def volume_due(
    applied_m3: float, target_m3: float, rate_m3_h: float, unmetered_s: float, tick_s: float
) -> bool:
    """Should a run by volume close now? Yes when the water now — ``applied_m3`` metered up
    to a totalizer reading ``unmetered_s`` old, plus ``rate_m3_h`` over those seconds — is
    within half a tick's water (``tick_s``) of ``target_m3``: closing now is then nearer the
    target than closing at the next tick."""
    now_m3 = applied_m3 + rate_m3_h * unmetered_s / 3600
    return now_m3 + rate_m3_h * tick_s / 2 / 3600 >= target_m3


def _recipe_doc(recipe: Recipe | None) -> dict[str, object] | None:
    if recipe is None:
        return None
    doc: dict[str, object] = {
        "kg": dict(recipe.kg),
        "target_ec_ms_cm": recipe.target_ec_ms_cm,
        "tank": recipe.tank,
    }
    if isinstance(recipe, ChannelRecipe):
        doc["name"] = recipe.name  # a [[fertigation.recipes]] entry
    return doc
