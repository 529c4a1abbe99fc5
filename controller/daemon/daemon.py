"""The daemon: field I/O, supervisor, sequencer and agronomy, wired together and scheduled.

Start-up is fail-safe (DESIGN principle 1): every output is switched off and
read back before the daemon reports ready, then every dosing pump's ``run`` written 0 and
read back (:mod:`controller.runtime.dosers`: a pump that does not confirm it refuses
fertigation, not the start); a restart marks unfinished runs
interrupted with the water they applied (their last progress, plus the rise of their
meter's totalizer since when the run was alone on it: :mod:`controller.runtime.credit`).
The control loop (sequencer tick, then supervisor check) runs every second on a thread of its own
(:mod:`controller.daemon.ticker`, timed on the monotonic clock), so no poll, store
write or page can make it late; an unexpected error in it raises one critical alarm
per episode and refuses starts until a tick succeeds again, and if it persists
(:data:`controller.daemon.tickfailures.CONTROL_ERROR_SAFE_AFTER_S`) switches everything
off, rather than stopping the loop (:mod:`controller.daemon.tickfailures`). The read-back
job (:mod:`controller.runtime.readback`) reads every output module's coils each second
while anything is on and trips the supervisor on a coil that disagrees.
Stopping (SIGTERM) switches everything off.

A store that cannot write (disk full, card read-only) does not stop control:
the records of running runs, alarms and audit wait in memory
(:mod:`controller.store.pending`) and the supervisor keeps its authority; only
new runs are not started, since their water could not be recorded. The flush
job retries with the store's back-off; the outage shows as the in-memory
``store_unwritable`` alarm (:meth:`Daemon.store_health`).

Nothing is planned or started by the wall clock until it is trusted
(:mod:`controller.runtime.timetrust`: synchronised or confirmed by an admin, not before the
release floor nor the newest stored record); meanwhile the latched ``clock_untrusted`` alarm
says why. A planned run that comes due late, or after the clock stepped back over a run
already given, is judged by :mod:`controller.daemon.slots`.

Every job is a plain method reading time from the clock, so the season
simulation can drive the same code from a :class:`controller.clock.VirtualClock`.
:meth:`Daemon.jobs` is the one list of cadences; each job's ``kind`` says which
thread runs it in production (the control ticker, its bus's loop, or the
scheduler's pool).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from controller.agronomy.drydown import DryDownStates
from controller.agronomy.fert_owed import OwedFertilizer
from controller.agronomy.fertplan import FertRun, attach_recipes
from controller.agronomy.fertruns import fertigation_runs
from controller.agronomy.jobs import Agronomy, ForecastDay, PlannedRun
from controller.agronomy.plan_notes import record_plan_notes
from controller.agronomy.plausibility import CHECK_EVERY_S, PROBE_CODES, Finding
from controller.agronomy.quota import keep_to_quota
from controller.canopy.classifier import CanopyModel
from controller.canopy.records import CoverRecords, canopy_dir_of
from controller.canopy.watch import CHECK_EVERY_S as CANOPY_CHECK_EVERY_S
from controller.canopy.watch import CanopyWatch
from controller.clock import Clock, VirtualClock
from controller.config.site import SiteConfig, ZoneConfig
from controller.counted import counted
from controller.daemon import heap
from controller.daemon.busloop import BusLoop, BusLoopStats, PollTask
from controller.daemon.integrations import Integrations
from controller.daemon.slots import judge
from controller.daemon.ticker import Ticker, TickStats
from controller.daemon.tickfailures import Failed, TickFailures
from controller.errors import ControllerError
from controller.learning.files import models_dir_of
from controller.learning.flow import CHECK_EVERY_S as FLOW_CHECK_EVERY_S
from controller.learning.flow import FlowLearning
from controller.learning.forecast import ForecastLearning
from controller.learning.soil import SoilLearning
from controller.runtime.dosers import (
    UNCONFIRMED,
    dosing_pumps,
    run_off_at_start,
    unconfirmed_message,
)
from controller.runtime.failsafe import FailSafeError, verify_failsafe
from controller.runtime.fieldio import FieldIO
from controller.runtime.headworks import HeadWorks
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs, all_off_verified
from controller.runtime.poller import Poller
from controller.runtime.readback import READBACK_EVERY_S, ReadBack
from controller.runtime.safety import Supervisor, stop_injector
from controller.runtime.sdnotify import WatchdogPinger
from controller.runtime.sequencer import (
    RecipeError,
    RunRefused,
    Sequencer,
    SequencerError,
    planned_volume,
)
from controller.runtime.timetrust import (
    AlwaysTrusted,
    TimeGate,
    TimeTrust,
    TimeVerdict,
    TrustAlarm,
    system_synchronised,
)
from controller.store import Severity, Store, StoreError, StoreHealth, StoreWriteError
from drivers.errors import DriverError

__all__ = ["Daemon", "StartupError"]

log = logging.getLogger(__name__)

CONTROL_PERIOD_S = 1.0
TIME_TRUST_CHECK_S = 10.0  # a confirmation from the CLI, or NTP synchronising, seen this soon
STARTUP_OFF_ATTEMPTS = 5
PROBE_CALIBRATION_EVERY_S = 600.0  # a sample entered by the CLI is fitted this soon
OWED_CHECK_EVERY_S = 30.0  # a stopped fertigation run's owed event is said this soon (a look
# costs nothing while no run ended: Store.runs_ended)
START_PROBES_MAX = 64  # more soil probes than this: read by the bus loops, not before READY
BUS_LOOP_STOP_S = 10.0  # how long stopping waits for a bus loop's poll in progress


class StartupError(ControllerError, RuntimeError):
    """The daemon could not make the site safe (outputs off and verified) and will not run."""


@dataclass(frozen=True, slots=True)
class Job:
    """A scheduled job: the same function the season simulation calls on its virtual clock.

    ``kind`` says which thread runs it in production: ``"control"`` the control loop's own
    ticker (:mod:`controller.daemon.ticker`), ``"poll"`` the loop of its ``bus``, ``"task"``
    the scheduler's pool (interval or cron). A simulation calls them all on its clock alike.
    """

    name: str
    func: Callable[[], object]
    every_s: float | None = None  # interval
    cron: dict[str, Any] | None = None  # apscheduler cron fields, site-local time
    kind: Literal["control", "poll", "task"] = "task"
    bus: str | None = None  # for a poll: the bus whose loop runs it


class Daemon:
    """Owns the site's runtime parts; ``start()`` / ``stop()``, or ``with``."""

    def __init__(
        self,
        site: SiteConfig,
        store: Store,
        clock: Clock,
        *,
        fieldio: FieldIO | None = None,
        time_trust: TimeGate | None = None,
        models_dir: Path | None = None,
    ) -> None:
        """``time_trust``: whether the wall clock may be believed; by default trusted on a
        :class:`VirtualClock`, else :class:`TimeTrust` with the system's NTP state.
        ``models_dir``: where learned models are kept (default: ``models/`` beside the
        store's SQLite file)."""
        self.site = site
        self.store = store
        store.idle_flush_s = site.store.idle_flush_s  # quiet days: fewer, larger commits
        self.clock = clock
        self.fieldio = fieldio if fieldio is not None else FieldIO(site)
        self.live = LiveState(clock)  # reading ages on monotonic time: a clock step is no fault
        self.outputs = Outputs(site, self.fieldio, clock)
        # a dosing pump fed by its supply is not read while that is off (unpowered)
        self.poller = Poller(
            site, self.fieldio, self.live, store, clock, supply_on=self.outputs.is_on
        )
        self.supervisor = Supervisor(site, self.outputs, self.live, store, self.fieldio, clock)
        self.sequencer = Sequencer(
            site, self.outputs, self.live, store, self.fieldio, clock, self.supervisor
        )
        self.supervisor.attach(self.sequencer)
        self.headworks = HeadWorks(site, self.outputs, self.live, store, clock, self.sequencer)
        canopy_dir = canopy_dir_of(store)
        covers = CoverRecords(canopy_dir)
        # the camera zones' cover sets their Kcb while the canopy develops (FAO-56 eq. 97)
        self.agronomy = Agronomy(site, store, clock, cover=covers.cover_between)
        models = models_dir if models_dir is not None else models_dir_of(store)
        # flow signatures: each finished run judged against the zone's learned normal
        self.flow_learning = FlowLearning(lambda: self.agronomy.site, store, models)
        # a fertigation run stopped before its injection was complete: the event it owes
        self.fertilizer_owed = OwedFertilizer(lambda: self.agronomy.site, store)
        # the learned moisture forecast: trained daily, asked by planning when enabled
        self.forecast_learning = ForecastLearning(
            lambda: self.agronomy.site, store, clock.now, models
        )
        self.agronomy.planning.forecaster = self.forecast_learning
        # the zones' calibration dry-downs: their phase survives a restart
        self.agronomy.planning.drydowns = DryDownStates(models)
        # each zone's soil and Kc correction from its dry-downs: a proposal an admin approves
        self.soil_learning = SoilLearning(
            lambda: self.agronomy.site, store, self.agronomy.probes, clock.now, models
        )
        # each camera zone's canopy cover from its snapshots (controller/canopy)
        self.canopy = CanopyWatch(
            lambda: self.agronomy.site,
            covers,
            CanopyModel(models, canopy_dir / "labels" if canopy_dir is not None else None),
            clock.now,
        )
        if time_trust is None:
            time_trust = (
                AlwaysTrusted(clock, "virtual clock")
                if isinstance(clock, VirtualClock)
                else TimeTrust(clock, store, synchronised=system_synchronised)
            )
        self.time_trust = time_trust
        self._trust_alarm = TrustAlarm(store)
        self.forecast: list[ForecastDay] = []
        self._queue: list[FertRun] = []  # planned runs (with any fertilizer) not yet started
        self._queue_lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None  # the "task" jobs
        self._ticker: Ticker | None = None  # the "control" job, on its own thread
        self._bus_loops: list[BusLoop] = []  # the "poll" jobs, one thread per bus
        self._tasks: list[Job] = []  # "task" jobs of parts made after the daemon (add_task)
        # who else runs the jobs (a simulated season on its virtual clock): told of a new task
        self.on_task_added: Callable[[Job], None] | None = None
        self._heap_set_aside = False  # the heap frozen when the loops started (daemon.heap)
        self._control_lock = threading.Lock()
        self.readback = ReadBack(
            site, self.outputs, self.fieldio, self.supervisor, clock, guard=self._control_lock
        )
        self.ready = threading.Event()
        self._tick_failures = TickFailures(CONTROL_PERIOD_S)
        self._watchdog = WatchdogPinger()  # systemd WATCHDOG=1, only from a completed tick
        self.integrations = Integrations(self)  # notifications, MQTT: started with the jobs

    # -- life cycle -------------------------------------------------------------
    def make_safe(self) -> None:
        """All outputs off and verified, retrying, then every dosing pump's ``run`` 0;
        :class:`StartupError` if the outputs cannot be verified off."""

        def failsafe() -> dict[str, Exception]:
            try:
                verify_failsafe(self.site, self.fieldio)  # the relay modules' own leases
            except FailSafeError as exc:
                return {"failsafe": exc}
            return {}

        failures = all_off_verified(
            self.outputs,
            attempts=STARTUP_OFF_ATTEMPTS,
            first_delay_s=1.0,
            max_delay_s=8.0,
            check=failsafe,
        )
        if not failures:
            self._dosing_pumps_stopped()
            return
        detail = "; ".join(f"{role}: {exc}" for role, exc in failures.items())
        self.store.raise_event(
            Severity.CRITICAL,
            "startup_unsafe",
            "site",
            f"cannot verify outputs off: {detail}",
            latched=True,
        )
        raise StartupError(f"cannot verify every output off: {detail}")

    def _dosing_pumps_stopped(self) -> None:
        """Every dosing pump's ``run`` written 0 and read back, its supply already verified
        off (:mod:`controller.runtime.dosers`): a pump left running by a crash doses nothing
        when powered again. One that does not confirm it is a latched alarm of the
        supervisor's that refuses fertigation until acknowledged; the start goes on."""
        roles = {device: role for role, device in dosing_pumps(self.site)}
        for device, exc in run_off_at_start(self.site, self.fieldio).items():
            message = unconfirmed_message(device, roles[device], exc)
            self.supervisor.raise_latched(UNCONFIRMED, message)  # held while unwritten

    def start(self, *, schedule: bool = True) -> None:
        """Make the site safe, read the devices, recover from a previous run, start the jobs.

        Every device is read before READY (:meth:`read_at_start` says which wait on a large
        site); with ``schedule`` the control ticker, the bus loops and the scheduler start.
        """
        if schedule:
            self.integrations.start_notifier()  # first: a site that cannot start says so
        try:
            self.make_safe()
        except StartupError:
            self.integrations.stop_notifier()  # its final pass sends startup_unsafe
            raise
        self.check_time()
        self.poller.poll_all(self.read_at_start() if schedule else None)
        self.recover()  # after the reads: an interrupted run is credited its meter's rise
        self.store.flush()
        self.store.record_audit("daemon", "start", {"site": self.site.site.id})
        if schedule:
            self._start_threads()
            self.integrations.start_bridge()
        self.ready.set()

    def read_at_start(self) -> list[str]:
        """The devices read before READY: all, but on a large site not the soil probes.

        Reading a field bus of a hundred probes one after the other takes seconds, and no
        safety rule or control step needs a probe: above :data:`START_PROBES_MAX` probes
        they are left to their bus loops, which read each within its first poll interval.
        """
        probes = {
            d.name for d in self.site.devices if self.site.profiles[d.name].kind == "soil_probe"
        }
        if len(probes) <= START_PROBES_MAX:
            return [d.name for d in self.site.devices]
        return [d.name for d in self.site.devices if d.name not in probes]

    def recover(self) -> None:
        """Mark runs left open by a crash as interrupted, with the water they applied: the
        last progress recorded plus, where it can be told apart, the meter's rise since
        (:mod:`controller.runtime.credit`); the outputs are off and the meters read."""
        self.sequencer.recover("daemon restarted during the run")

    def stop(self) -> dict[str, DriverError]:
        """Stop the jobs, switch everything off (pump first), flush the store; the outputs
        that did not read back off, by role (empty: every output verified off)."""
        self.ready.clear()
        self.integrations.stop_bridge()  # no command may start water from here on
        self._stop_threads()
        with self._control_lock:
            try:
                self.sequencer.stop_all("daemon stopping", actor="daemon")
            except Exception:  # a run's end the store refused: the outputs go off regardless
                log.exception("on stop, the runs could not all be ended in the store")
        failures = self.outputs.all_off()
        if failures:
            log.critical("on stop, outputs not verified off: %s", failures)
        self.store.record_audit("daemon", "stop", {"outputs_not_off": sorted(failures)})
        try:
            self.store.flush()
        except StoreWriteError as exc:  # outputs are off; what is lost is in the journal
            h = self.store.health
            log.critical(
                "stopping with %d records and %d readings not stored: %s",
                h.pending_records,
                h.pending_readings,
                exc,
            )
        self.integrations.stop_notifier()  # last: the outputs are off, tell what happened
        return failures

    def __enter__(self) -> Daemon:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- jobs -------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        """Every periodic job with its cadence (production and simulation share this list)."""
        jobs = [
            Job(
                f"poll:{d.name}",
                lambda n=d.name: self.poller.poll_device(n),  # type: ignore[misc]
                d.poll_interval_s,
                kind="poll",
                bus=d.bus,
            )
            for d in self.site.devices
        ]
        jobs.append(Job("control", self.control_tick, CONTROL_PERIOD_S, kind="control"))
        jobs.append(Job("readback", self.readback.poll, READBACK_EVERY_S))
        jobs.append(Job("flush", self.flush_store, self.site.store.flush_s))
        jobs.append(Job("time_trust", self.check_time, TIME_TRUST_CHECK_S))
        jobs.append(Job("plausibility", self.check_plausibility, CHECK_EVERY_S))
        jobs.append(
            Job("probe_calibration", self.refit_probe_calibrations, PROBE_CALIBRATION_EVERY_S)
        )
        jobs.append(Job("balance_today", self.update_balance, cron={"minute": 5}))
        jobs.append(Job("close_day", self.close_day, cron={"hour": 0, "minute": 10}))
        jobs.append(Job("retention", self.retention, cron={"hour": 3, "minute": 30}))
        jobs.append(Job("flow_signatures", self.flow_learning.check, FLOW_CHECK_EVERY_S))
        jobs.append(Job("fertilizer_owed", self.fertilizer_owed.check, OWED_CHECK_EVERY_S))
        for i, hhmm in enumerate(self.site.policy.planning_times):
            hour, minute = (int(v) for v in hhmm.split(":"))
            jobs.append(Job(f"plan:{i}", self.plan, cron={"hour": hour, "minute": minute}))
        learn = self.site.learning.forecast
        if learn.enabled:  # off: the job list (and every season run) is as before
            hour, minute = (int(v) for v in learn.train_time.split(":"))
            jobs.append(
                Job(
                    "learn:forecast",
                    self.forecast_learning.train_all,
                    cron={"hour": hour, "minute": minute},
                )
            )
        if self.canopy.zones():  # no camera: the job list (and every season run) is as before
            jobs.append(Job("canopy", self.canopy.check, CANOPY_CHECK_EVERY_S))
        soil = self.site.learning.soil
        if soil.enabled:
            hour, minute = (int(v) for v in soil.fit_time.split(":"))
            jobs.append(
                Job(
                    "learn:soil",
                    self.soil_learning.propose_all,
                    cron={"hour": hour, "minute": minute},
                )
            )
        return jobs + self._tasks

    def add_task(self, job: Job) -> None:
        """A periodic ``task`` job of a part made after the daemon (the service's check of
        the settings file): scheduled now if the jobs run, else with them at start. A job
        of the same name (a second service over this daemon) is replaced; whoever runs the
        jobs instead (:attr:`on_task_added`, a simulated season) is told."""
        self._tasks = [j for j in self._tasks if j.name != job.name] + [job]
        if self._scheduler is not None:
            self._schedule(self._scheduler, job)
        if self.on_task_added is not None:
            self.on_task_added(job)

    def control_tick(self) -> None:
        """Advance runs (renewing leases), start due planned runs, let safety act.

        Never lets an error leave water running: an unexpected error raises one latched
        critical alarm per episode of failing ticks and holds every start until a tick
        succeeds; past :data:`controller.daemon.tickfailures.CONTROL_ERROR_SAFE_AFTER_S` of
        them every run is aborted and everything switched off. Only a tick that succeeded
        feeds the systemd watchdog.
        """
        with self._control_lock:
            try:
                now = self.clock.now()
                try:
                    self.sequencer.tick(now)
                except Exception:  # a refused record, a bug: the other runs may water on,
                    self.supervisor.check(now)  # so safety acts in this tick too, then it is said
                    raise
                self._start_due_runs(now)
                self.headworks.tick(now)  # after starts: a fertigation run just started defers it
                self.supervisor.check(now)
                # while water runs, what water moves is stored poll by poll (telemetry) and
                # committed every flush_s, not idle_flush_s
                watering = bool(self.outputs.on_roles())
                self.poller.telemetry.watering = watering
                self.store.set_watering(watering)
            except Exception as exc:  # the control loop must survive anything, water off
                self._tick_failed(exc)
                return
            self._tick_succeeded()
            self._watchdog.tick()

    def flush_store(self) -> int:
        """Write what the store holds in memory, unless a failed write's back-off runs or
        no water ran and ``[store] idle_flush_s`` has not passed since the last write.

        A failure is logged by the store (once per outage) and shown by :meth:`store_health`;
        it never reaches the scheduler."""
        try:
            return self.store.flush_when_due()
        except StoreWriteError:
            return 0

    def store_health(self) -> StoreHealth:
        """The store's write health (in memory: shown even when nothing can be written)."""
        return self.store.health

    def check_time(self) -> TimeVerdict:
        """Whether the wall clock is trusted now; raise or clear the ``clock_untrusted`` alarm;
        a step of the wall clock since the last check is a ``clock_step`` event."""
        verdict = self.time_trust.refresh()
        step_s = self.time_trust.take_step()
        try:
            if step_s is not None:
                self.store.raise_event(
                    Severity.WARNING,
                    "clock_step",
                    "site",
                    f"wall clock stepped {step_s:+.0f} s (now {verdict.now:%Y-%m-%d %H:%M:%S} "
                    "UTC); runs keep their monotonic length, planned runs are judged by slot",
                )
            self._trust_alarm.update(verdict)
        except StoreError as exc:  # the verdict still gates water; the alarm waits for the store
            log.warning("clock_untrusted alarm not updated: %s", exc)
        return verdict

    # -- agronomy ---------------------------------------------------------------
    def update_balance(self) -> None:
        self.agronomy.update_today()

    def close_day(self) -> None:
        self.agronomy.close_day()

    def refit_probe_calibrations(self) -> None:
        """Refit the probes' calibrations if a soil sample was added (the pages and the API
        refit at once; a sample from ``qanat probe sample add`` is fitted here, or at a read
        of the probe within a minute), so samples the fit refuses raise ``model_unavailable``
        within minutes. Never raises: the probes' raw values stay in charge."""
        try:
            self.agronomy.probes.refresh(force=False)  # a query at most every RECHECK_S
        except Exception:
            log.exception("probe calibration: refit failed; the raw values stay in charge")

    def check_plausibility(self) -> list[Finding]:
        """Doubt implausible probes and the station (:mod:`controller.agronomy.plausibility`).

        A sensor-mode zone whose probe is found implausible stops its run and loses its queued
        runs: their length came from that probe. The next planning plans it without the probe.
        """
        self.agronomy.plausibility.remember_forecast(self.forecast)
        watering = {a.zone for a in self.sequencer.active()}
        findings = self.agronomy.plausibility.check(watering=watering)
        doubted = {f.device: f for f in findings if f.code in PROBE_CODES}
        for zone in self.site.zones:
            hit = [doubted[p.device] for p in zone.probes if p.device in doubted]
            if zone.mode != "sensor" or not hit:
                continue
            reason = f"probe {hit[0].device} quarantined ({hit[0].code})"
            with self._queue_lock:
                self._queue = [fr for fr in self._queue if fr.run.zone != zone.name]
            with self._control_lock:
                if zone.name in {a.zone for a in self.sequencer.active()}:
                    self.sequencer.stop(zone.name, reason, actor="plausibility")
        return findings

    def retention(self) -> None:
        """Fold old raw readings into hourly rows; only rows the office has pulled.

        Until a reader acknowledges an export (``POST /api/v1/export/readings/ack``) nothing
        counts as pulled, so nothing is purged; then only rows up to the lowest acknowledgement.
        """
        report = self.store.apply_retention(
            self.clock.now(), self.site.store.raw_keep_days, self.store.export_acked()
        )
        log.info("retention: %s", report)

    def plan(self) -> list[PlannedRun]:
        """Decide every zone now; queue the runs that start within a day, with any fertilizer.

        Plans nothing (and empties the queue) while the wall clock is not trusted."""
        verdict = self.time_trust.verdict()
        if not verdict.trusted:
            log.warning("not planning: wall clock not trusted: %s", verdict.reason)
            with self._queue_lock:
                self._queue = []
            return []
        runs = self.agronomy.plan_all(forecast=self.forecast or None)
        now = self.clock.now()
        f = self.site.fertigation
        history = (
            self.store.runs(start=now - timedelta(days=f.event_window_days + 2))
            if f and f.events
            else []
        )
        today = now.astimezone(self.site.site.tz).date()
        carried = attach_recipes(runs, self.site, today, history=history)
        extra = fertigation_runs(self.site, self.store, carried, now, history=history)
        if extra:  # events no irrigation carries get runs of their own
            runs = sorted(runs + extra, key=lambda r: (r.start, r.zone))
            carried = attach_recipes(runs, self.site, today, history=history)
        kept, cuts = keep_to_quota(self.site, self.store, runs, today)
        if cuts:  # a fertigation run of its own, or any run, past what is left of a quota
            runs = kept
            carried = attach_recipes(runs, self.site, today, history=history)
            for zone, note in cuts:
                self.store.raise_event(Severity.INFO, "quota_cut", zone, note)
        midnight = datetime.combine(today, time(), tzinfo=self.site.site.tz)
        record_plan_notes(self.store, carried, midnight)  # a plan said again raises nothing
        with self._queue_lock:
            self._queue = sorted(carried, key=lambda fr: fr.run.start)
        return runs

    def apply_site(self, site: SiteConfig) -> None:
        """Use ``site`` for agronomy and planning from now on (settings changed on the pages).

        Only zone agronomy (crop, planting date, mode, label, trigger), planning thresholds
        and the fertigation events may differ (:data:`controller.config.site.EDITABLE`): the
        outputs, sequencer and supervisor keep the wiring, tanks and safety limits they
        started with. Queued runs are dropped and
        re-planned under the new settings.
        """
        with self._control_lock:
            self.site = site
            self.agronomy.site = site
            with self._queue_lock:
                self._queue = []
        self.plan()

    def planned(self) -> list[PlannedRun]:
        with self._queue_lock:
            return [fr.run for fr in self._queue]

    def requeue(self, runs: list[FertRun]) -> None:
        """Queue ``runs`` a planning already decided and recorded (the living demo's past,
        :mod:`controller.simulation.demo`), in place of the queue: nothing is decided again."""
        with self._queue_lock:
            self._queue = sorted(runs, key=lambda fr: fr.run.start)

    def pop_due(self, now: datetime) -> list[FertRun]:
        """Take the queued runs (with any recipe) whose start is ``now`` or earlier, in order.

        The control tick starts what this returns; the agronomy fidelity simulation
        (:mod:`controller.simulation.fidelity`) delivers their water instead."""
        with self._queue_lock:
            due = [fr for fr in self._queue if fr.run.start <= now]
            self._queue = [fr for fr in self._queue if fr.run.start > now]
        return due

    def _start_due_runs(self, now: datetime) -> None:
        if not self.time_trust.verdict().trusted:
            return  # the queue waits; once trusted, each run is judged by its slot
        if self._tick_failures.episode is not None:
            return  # the queue waits for the tick after the first good one (starts held)
        due = self.pop_due(now)
        active = {a.zone for a in self.sequencer.active()}
        for fr in due:
            skip = judge(fr.run, now, self.store)
            if skip is not None:
                self.store.raise_event(
                    Severity.WARNING, "planned_run_skipped", fr.run.zone, skip.reason
                )
                continue
            if fr.run.zone in active:  # already watering (started by hand, or a step)
                self.store.raise_event(
                    Severity.INFO,
                    "planned_run_skipped",
                    fr.run.zone,
                    f"planned run of {fr.run.zone} at {fr.run.start:%H:%M} UTC not started: "
                    "the zone is already watering",
                )
                continue
            self._start_planned(fr)
            active.add(fr.run.zone)  # a second due run of it (a step) is skipped, not refused

    def _start_planned(self, fr: FertRun) -> None:
        run = fr.run
        zone = next((z for z in self.site.zones if z.name == run.zone), None)
        if fr.recipe is None and zone is not None and zone.run_by == "volume":
            self._start_planned_by_volume(run, zone)
            return
        try:
            try:
                self.sequencer.start(
                    run.zone,
                    run.duration_min,
                    run.source,
                    decision_id=run.decision_id,
                    recipe=fr.recipe,
                    actor="planner",
                )
            except (RunRefused, RecipeError) as exc:
                if fr.recipe is None:
                    raise
                # The water is still due even if the fertilizer cannot go in with it.
                self.store.raise_event(
                    Severity.WARNING,
                    "fertigation_deferred",
                    run.zone,
                    f"fertilizer not given with this run: {exc}; watering only",
                )
                self.sequencer.start(
                    run.zone,
                    run.duration_min,
                    run.source,
                    decision_id=run.decision_id,
                    actor="planner",
                )
        except (SequencerError, StoreError) as exc:  # StoreError: the run cannot be recorded
            self.store.raise_event(
                Severity.WARNING,
                "planned_run_refused",
                run.zone,
                f"planned run of {run.zone} ({run.duration_min:.0f} min) not started: {exc}",
            )

    def _start_planned_by_volume(self, run: PlannedRun, zone: ZoneConfig) -> None:
        """The planned depth as a run by volume (``run_by = "volume"``), capped in time."""
        limit_min = min(zone.max_run_min, self.site.safety.max_run_min)
        volume_m3, cap_min = planned_volume(zone, run.depth_mm, run.duration_min, limit_min)
        try:
            self.sequencer.start(
                run.zone,
                cap_min,
                run.source,
                decision_id=run.decision_id,
                actor="planner",
                volume_m3=volume_m3,
            )
        except (SequencerError, StoreError) as exc:
            self.store.raise_event(
                Severity.WARNING,
                "planned_run_refused",
                run.zone,
                f"planned run of {run.zone} ({volume_m3:.2f} m3, cap {cap_min:.0f} min) "
                f"not started: {exc}",
            )

    def _tick_failed(self, exc: Exception) -> None:
        """One failing control tick (:mod:`controller.daemon.tickfailures`): the episode's
        alarm at its first, everything off once it has lasted the bound."""
        error = f"control loop error: {exc!r}"
        step = self._tick_failures.failed(error, self.clock.monotonic())
        ep = step.episode
        if step.first:
            log.exception("control loop error; starts refused until a tick succeeds")
            self.supervisor.hold_starts("control_error", error)
        else:
            log.debug("control loop error again (%d ticks in a row): %r", ep.ticks, exc)
        if step.go_safe and (not ep.safe or self.outputs.on_roles()):
            self._take_safe_state(step, error)  # before any store write, which may fail too
        if step.first:
            self.store.raise_event(
                Severity.CRITICAL,
                "control_error",
                "site",
                f"{error}; starts refused until a control tick succeeds; everything off if "
                f"it persists {self._tick_failures.safe_after_s:g} s",
                latched=True,
            )

    def _take_safe_state(self, step: Failed, error: str) -> None:
        """Abort every run, stop the dosing pumps (power cut, ``run`` 0, as a safety trip
        does) and switch everything off (pump first), after a failing tick."""
        ep = step.episode
        try:
            self.sequencer.abort_all(error)
        except Exception:  # the bug may be the sequencer's: the outputs go off regardless
            log.exception("control loop failing: the runs could not be aborted")
        try:
            not_off = stop_injector(self.site, self.outputs, self.fieldio)
        except Exception as exc:  # nor may a bug here keep the outputs on
            log.exception("control loop failing: the dosing pumps could not be stopped")
            not_off = [f"dosing pumps: {exc!r}"]
        off_failures = sorted(self.outputs.all_off().items())
        not_off = [f"{role}: {exc}" for role, exc in off_failures] + not_off
        first_time, ep.safe = not ep.safe, True
        log.error(
            "control loop failing for %d ticks (%.0f s): every run aborted, outputs off%s",
            ep.ticks,
            ep.lasted_s(),
            f", not verified off: {not_off}" if not_off else "",
        )
        if not_off and first_time:  # the alarm said "everything off": it is not
            self.store.raise_event(
                Severity.CRITICAL,
                "control_error",
                "site",
                f"{error}; failing {ep.ticks} ticks: not verified off: {', '.join(not_off)}",
                latched=True,
            )

    def _tick_succeeded(self) -> None:
        """A control tick succeeded: an episode of failing ticks under way ends, and is
        recorded with its count."""
        ep = self._tick_failures.succeeded()
        if ep is None:
            return
        self.supervisor.release_starts("control_error")
        what = "runs aborted and everything switched off" if ep.safe else "nothing switched off"
        message = (
            f"control loop recovered after {counted(ep.ticks, 'failing tick', 'failing ticks')} "
            f"over {ep.lasted_s():.0f} s "
            f"(first: {ep.first_error}; last: {ep.last_error}); {what}; starts allowed again"
        )
        log.info("%s", message)
        self.store.raise_event(Severity.INFO, "control_error", "site", message)

    def control_stats(self) -> TickStats | None:
        """How the control loop kept time since start (None before ``start()``)."""
        return self._ticker.stats() if self._ticker is not None else None

    def bus_loop_stats(self) -> dict[str, BusLoopStats]:
        """Each bus loop's counters since start (empty before ``start()``)."""
        return {loop.bus: loop.stats() for loop in self._bus_loops}

    def _start_threads(self) -> None:
        """The control loop on its own ticker, polls on one loop per bus, the rest scheduled."""
        jobs = self.jobs()
        (control,) = [j for j in jobs if j.kind == "control"]
        self._ticker = Ticker(control.name, control.func, control.every_s or CONTROL_PERIOD_S)
        per_bus: dict[str, list[PollTask]] = {}
        for j in jobs:
            if j.kind == "poll" and j.bus is not None and j.every_s is not None:
                per_bus.setdefault(j.bus, []).append(PollTask(j.name, j.func, j.every_s))
        rate = {b.name: b.max_polls_per_s for b in self.site.buses}
        self._bus_loops = [
            BusLoop(bus, tasks, max_polls_per_s=rate[bus]) for bus, tasks in per_bus.items()
        ]
        self._scheduler = self._build_scheduler([j for j in jobs if j.kind == "task"])
        # what is alive now lives as long as the loops: a full collection, which holds the GIL
        # (and so the control tick) while it walks the heap, need not walk it again
        heap.set_aside()
        self._heap_set_aside = True
        self._ticker.start()
        for loop in self._bus_loops:
            loop.start()
        self._scheduler.start()

    def _stop_threads(self) -> None:
        """Stop the scheduler, the bus loops, then the control loop (each after its call)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        for loop in self._bus_loops:
            loop.signal_stop()  # all at once: each ends after its poll in progress
        for loop in self._bus_loops:  # a hung bus: its loop (a daemon thread) is left behind
            loop.stop(timeout_s=BUS_LOOP_STOP_S)
        if self._ticker is not None:
            self._ticker.stop()
            log.info("control loop: %s", json.dumps(self._ticker.stats().as_dict()))
        if self._heap_set_aside:
            heap.give_back()
            self._heap_set_aside = False

    def _build_scheduler(self, jobs: list[Job]) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(timezone=self.site.site.tz)
        for job in jobs:
            self._schedule(scheduler, job)
        return scheduler

    def _schedule(self, scheduler: BackgroundScheduler, job: Job) -> None:
        if job.every_s is not None:
            scheduler.add_job(
                _guarded(job),
                "interval",
                seconds=job.every_s,
                id=job.name,
                max_instances=1,
                coalesce=True,
                replace_existing=True,
                misfire_grace_time=max(1, int(job.every_s)),
                next_run_time=datetime.now(self.site.site.tz) + timedelta(seconds=0.1),
            )
        elif job.cron is not None:
            scheduler.add_job(
                _guarded(job),
                CronTrigger(timezone=self.site.site.tz, **job.cron),
                id=job.name,
                max_instances=1,
                coalesce=True,
                replace_existing=True,
                misfire_grace_time=600,
            )


def _guarded(job: Job) -> Callable[[], None]:
    """A job that logs its failure instead of killing the scheduler's thread."""

    def run() -> None:
        try:
            job.func()
        except Exception:  # one failing job must not stop the others; it is logged
            log.exception("job %s failed", job.name)

    run.__name__ = job.name
    return run
