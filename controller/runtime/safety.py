"""The safety supervisor: watches readings and outputs every second and can close everything.

It is separate from the planner and from the sequencer (DESIGN principle 2):
it reads :class:`controller.runtime.live.LiveState` and the state of
:class:`controller.runtime.outputs.Outputs`, never the sequencer's plans, and acts on
the outputs directly. The daemon calls :meth:`Supervisor.check` once a second
(after :meth:`controller.runtime.sequencer.Sequencer.tick`).

Rules (limits from ``site.safety``); each is a small method returning a
:class:`Trip` or ``None``:

===================  ============================================================  ==========
code                 condition                                                      action
===================  ============================================================  ==========
max_run              a zone valve on longer than min(zone, safety) max_run_min     all off
pump_no_valve        pump on with no zone valve on for > PUMP_NO_VALVE_GRACE_S     all off
dry_run              pump on and flow < no_flow_m3_h for > dry_run_delay_s         all off
burst                flow > Σ nominal of open zones × burst_factor > burst_delay_s  all off
flow_meter_stale     water running, no good flow reading within stale_after_s      all off
flow_meter_frozen    a meter's totalizer still while its rate says water passed     all off
flow_meter_disagrees a meter's rate integrated unlike its totalizer's rise          all off
pulse_missing        pumping past a pulse meter's no_pulse_s with no pulse in it    all off
output_fault         an output failed to switch or read back (VerifyMismatch, bus)  all off
lease_renewal        a lease could not be renewed (reported by the sequencer)       all off
output_mismatch      a coil read back unlike its command (``runtime.readback``)     all off
pressure_high        line pressure > line_pressure_max_kpa after settling           all off
pressure_low         line pressure < line_pressure_min_kpa after settling           alarm
unscheduled_flow     pump and master off, flow > no_flow_m3_h for > delay           alarm
inject_no_flow       injector powered without pump or flow for > grace              injection
ec_high              EC > ec_max_ms_cm while injecting                              injection
ph_out_of_band       pH outside [ph_min, ph_max] while injecting                    injection
ec_meter_stale       EC (or pH) meter without a good reading while injecting       injection
tank_low             a fertilizer tank below its low_level_m while injecting       injection
===================  ============================================================  ==========

"all off" aborts every active run (through the attached :class:`RunControl`)
and switches every output off, pump first, and raises its alarm, then raises what aborting
the runs raised (a run's end the store refused: every run is ended all the same, and the
alarm's message adds what the refusal's notes say: the run history is incomplete, and of
which runs and zones, :func:`controller.runtime.sequencer.ends_not_recorded`); an
output its module still reads on is switched off again at every check until it reads off
(:meth:`Outputs.retry_off`), so a relay stuck at the trip that comes free
stops within a second; "injection" cuts the dosing pump's
power lease and writes its ``run`` register 0. A relay that read back on when
switched off (welded) is on in the field: the rules go on seeing it, and a
condition its trip could not end keeps its start, so a relay freed and switched on
again before the retry wrote it off is stopped at the first check, with no fresh
grace. While nothing is commanded on that such a trip would stop, its rule is not
acted on (nor raised) again: one alarm per rule for the episode. Trips that stop water or
injection are *latched* events: they stay open until acknowledged, and while
one is open :meth:`Supervisor.may_start` refuses new runs (water-stopping
trips) or new fertigation (injection trips). ``output_mismatch`` is always critical: the box
no longer knows what a relay does. The gate holds from the moment a trip starts acting, not
from its event's commit: a start racing the trip (between the switch-off and a slow commit)
is refused, and so is one while the event waits in memory because the store cannot write
(until the store has written what it kept; :mod:`controller.store.pending`). A condition
found outside the supervisor that is none of its alarms holds the starts by a code of its own
(:meth:`Supervisor.hold_starts`: the daemon's control loop while its ticks fail).

Burst uses a *learned* nominal flow per zone when there is one: an
exponential average (``LEARN_ALPHA`` per second) of the flow measured while
exactly that zone runs normally (pump on longer than ``SETTLE_S``, no rule
pending). It is clamped to [0.5, 1.25] × the configured nominal, so a slowly
growing leak cannot teach the supervisor to accept a burst, and used once
``LEARN_MIN_SAMPLES`` samples were taken. At start it is seeded from the store:
the mean flow (metered m³ over running hours) of the zone's last
``SEED_RUNS`` completed runs of at least ``SEED_MIN_RUN_MIN`` that ran alone,
clamped the same way; with none, the configured nominal applies until it is
learned again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from controller.clock import Clock
from controller.config.site import SiteConfig, ZoneConfig
from controller.runtime.dosers import UNCONFIRMED, dosing_pumps, stop_pump
from controller.runtime.fieldio import FieldIO
from controller.runtime.frozenmeter import FrozenMeters
from controller.runtime.live import LiveState, NoFreshValue, control_max_age_s
from controller.runtime.outputs import Outputs
from controller.runtime.ratecheck import RateChecks
from controller.store import Severity, Store

__all__ = [
    "INJECTION_STOP_CODES",
    "WATER_STOP_CODES",
    "RunControl",
    "Supervisor",
    "Trip",
    "stop_injector",
]

log = logging.getLogger(__name__)

SOURCE = "safety"
PUMP_NO_VALVE_GRACE_S = 5.0
INJECT_NO_FLOW_GRACE_S = 3.0
SETTLE_S = 15.0  # pressure and flow settle after the pump starts
SEED_RUNS = 5  # completed runs a restart learns each zone's flow from
SEED_MIN_RUN_MIN = 20.0  # shorter runs are mostly the pipe filling
SEED_LOOKBACK_DAYS = 60
UNSCHEDULED_FLOW_DELAY_S = 30.0
LEARN_ALPHA = 0.02
LEARN_MIN_SAMPLES = 60
LEARN_CLAMP = (0.5, 1.25)

WATER_STOP_CODES = frozenset(
    {
        "max_run",
        "pump_no_valve",
        "dry_run",
        "burst",
        "flow_meter_stale",
        "flow_meter_frozen",
        "flow_meter_disagrees",
        "pulse_missing",
        "output_fault",
        "lease_renewal",
        "pressure_high",
        "output_mismatch",
    }
)
# Trips raised as critical even when everything went off: the relay itself is in doubt.
CRITICAL_CODES = frozenset({"output_mismatch"})
INJECTION_STOP_CODES = frozenset(
    {"inject_no_flow", "ec_high", "ph_out_of_band", "ec_meter_stale", "tank_low"}
    # multi-channel dosing's own stops (controller.runtime.channels.ALARMS)
    | {
        "dosing_max_time",
        "ec_off_setpoint",
        "ph_off_setpoint",
        "ph_probe_stuck",
        "injector_delivery_low",
    }
    # a dosing pump whose run 0 the daemon's start could not confirm (controller.runtime.dosers)
    | {UNCONFIRMED}
)

# Alarm-only rules whose event stays open until acknowledged (they do not block runs).
LATCHED_ALARMS = frozenset({"unscheduled_flow"})

Action = Literal["all_off", "injection", "alarm"]


@dataclass(frozen=True, slots=True)
class Trip:
    """A rule fired: what to do and a message naming the values."""

    code: str
    action: Action
    message: str


class RunControl(Protocol):
    """What the supervisor needs from the sequencer."""

    def abort_all(self, reason: str) -> None:
        """Finish every active run as aborted with ``reason`` (outputs are the supervisor's).
        A run end the store refused rises after every run is ended; its notes, if any, are
        added to the trip's alarm as they are (the runs whose ends were not recorded)."""
        ...

    def injection_stopped(self, reason: str) -> None:
        """Injection was cut: do not inject again in the active runs."""
        ...


def stop_injector(site: SiteConfig, outputs: Outputs, fieldio: FieldIO) -> list[str]:
    """Cut every dosing pump's power lease (the single injector's and each channel's) and
    write its ``run`` 0, in the order :func:`controller.runtime.dosers.stop_pump` gives (a
    pump fed by its supply is stopped before its power goes); return what failed."""
    return [
        f"{what}: {exc}"
        for role, injector in dosing_pumps(site)
        for what, exc in stop_pump(site, outputs, fieldio, role, injector)
    ]


class Supervisor:
    """Evaluates the safety rules; construct once, :meth:`attach` the sequencer, ``check()``."""

    def __init__(
        self,
        site: SiteConfig,
        outputs: Outputs,
        live: LiveState,
        store: Store,
        fieldio: FieldIO,
        clock: Clock,
    ) -> None:
        self.site = site
        self.limits = site.safety
        self.outputs = outputs
        self.live = live
        self.store = store
        self.fieldio = fieldio
        self.clock = clock
        self._runs: RunControl | None = None
        self._zones = {f"valve:{z.name}": z for z in site.zones}
        self._on_since: dict[str, float] = {}  # role -> monotonic time it went on (field)
        self._commanded: set[str] = set()  # roles commanded on at this check
        # Stopping trips acted on that could not switch everything off, while they hold.
        self._unstopped: set[str] = set()
        self._pending: dict[str, float] = {}  # rule -> monotonic time its condition began
        self._raised: set[str] = set()  # alarm-only rules already reported this episode
        self._seen_errors: dict[str, str] = {}  # role -> output error already tripped on
        self._learned: dict[str, tuple[float, int]] = {}  # zone -> (average m3/h, samples)
        self._frozen = FrozenMeters(site, live)
        self._rates = RateChecks(site, live)
        # Latched stopping trips not yet in the store's open alarms: acting now (event not
        # raised yet), or raised while the store could not write (kept in memory).
        self._latch_lock = threading.Lock()
        self._acting: dict[str, str] = {}  # code -> message
        self._kept: dict[str, str] = {}  # code -> message
        self._holds: dict[str, str] = {}  # code -> message: starts held from elsewhere
        self._now = clock.now()
        self._mono_s = clock.monotonic()
        try:
            self._learned = learned_from_runs(site, store, self._now)
        except Exception:  # a store problem must not stop the supervisor from starting
            log.exception("supervisor: cannot seed the learned flows from stored runs")

    def attach(self, runs: RunControl) -> None:
        """The sequencer whose runs a trip aborts."""
        self._runs = runs

    # ------------------------------------------------------------ the gate

    def may_start(self, zone: str, *, fertigation: bool = False) -> tuple[bool, str]:
        """May a run (a fertigation run if ``fertigation``) start now? ``(False, why)`` if not."""
        with self._latch_lock:
            holds = dict(self._holds)
        if holds:  # the first hold says why
            code, message = next(iter(holds.items()))
            return False, f"{code} (starts held): {message}"
        blocking = WATER_STOP_CODES | (INJECTION_STOP_CODES if fertigation else frozenset())
        for code, message in self._unrecorded().items():
            if code in blocking:
                return False, f"{code} (not yet recorded): {message}"
        for event in self.store.open_alarms():
            if event.source == SOURCE and event.code in blocking:
                return False, f"open alarm #{event.id} {event.code}: {event.message}"
        if zone not in {z.name for z in self.site.zones}:
            return False, f"unknown zone {zone!r}"
        return True, ""

    def hold_starts(self, code: str, message: str) -> None:
        """Refuse every start from now until :meth:`release_starts` ``code``: a condition
        found elsewhere that is no alarm of the supervisor's (a control loop that fails)."""
        with self._latch_lock:
            self._holds[code] = message

    def release_starts(self, code: str) -> None:
        """The hold :meth:`hold_starts` put under ``code`` ends."""
        with self._latch_lock:
            self._holds.pop(code, None)

    def _unrecorded(self) -> dict[str, str]:
        """The stopping trips acted on whose latched event the store does not hold yet."""
        with self._latch_lock:
            if self._kept and self.store.health.pending_records == 0:
                self._kept.clear()  # what the store kept is written: open_alarms has them
            return self._kept | self._acting

    def learned_nominal_m3_h(self, zone: str) -> float | None:
        """The learned nominal flow of ``zone`` (m³/h), once learned; ``None`` before."""
        avg, n = self._learned.get(zone, (0.0, 0))
        return avg if n >= LEARN_MIN_SAMPLES else None

    # ------------------------------------------------------------ the check

    def check(self, now: datetime | None = None) -> list[Trip]:
        """Evaluate every rule once; act on the trips; return them."""
        self._now = now if now is not None else self.clock.now()
        self._mono_s = self.clock.monotonic()
        self.outputs.retry_off()  # a relay that would not go off: again, until it reads off
        self._track_outputs()
        trips = [
            t
            for t in (
                self._output_fault(),
                self._max_run(),
                self._pump_no_valve(),
                self._flow_meter_stale(),
                self._flow_meter_frozen(),
                self._flow_meter_disagrees(),
                self._pulse_missing(),
                self._dry_run(),
                self._burst(),
                self._pressure(),
                self._unscheduled_flow(),
                self._inject_no_flow(),
                self._ec_high(),
                self._ph(),
                self._tank_low(),
            )
            if t is not None
        ]
        if not trips:
            self._learn()
        acted = []
        refused: list[Exception] = []
        for trip in trips:
            if self._nothing_new_to_stop(trip):
                continue
            try:
                self._act(trip)
            except Exception as exc:  # a run end refused: the other trips act all the same
                refused.append(exc)
            acted.append(trip)
        self._unstopped &= {t.code for t in trips}  # a condition that ended ends its episode
        if refused:
            raise refused[0]
        return acted

    def trip(self, code: str, message: str, action: Action = "all_off") -> None:
        """Act on a condition found elsewhere (e.g. a failed lease renewal in the sequencer)."""
        self._act(Trip(code, action, message))

    def raise_latched(self, code: str, message: str) -> None:
        """Raise the latched alarm ``code`` of a stop done elsewhere (a dosing pump whose
        ``run`` 0 the daemon's start could not confirm): held like a trip's, it refuses the
        starts its code blocks from now, also while its event waits in memory because the
        store cannot write, then from the store until acknowledged."""
        log.error("safety alarm %s: %s", code, message)
        self._latched(
            code,
            message,
            lambda: (
                self.store.raise_event(Severity.ALARM, code, SOURCE, message, latched=True).id
                is None
            ),
        )

    # ------------------------------------------------------------ state

    def _nothing_new_to_stop(self, trip: Trip) -> bool:
        """Was ``trip`` already acted on without switching everything off, and is nothing
        commanded on since that it would stop? Then the relays still on are welded (retried
        every check by :meth:`Outputs.retry_off`) and its alarm stands: one per episode."""
        if trip.code not in self._unstopped:
            return False
        on = self.outputs.on_roles()
        if trip.action == "injection":
            on = [r for r in on if r == "injector_power" or r.startswith("dosing:")]
        return not on

    def _track_outputs(self) -> None:
        # The outputs record when each went from off to on; sampling once per check would
        # miss an off-and-on-again between two checks (back-to-back runs of one zone) and
        # count the second run from the start of the first. A relay commanded off that read
        # back on (welded) is on in the field: its conditions go on, with their starts, so
        # once it is free and switched on again its rule acts at the first check.
        self._commanded = set(self.outputs.on_roles())
        on = self._commanded | set(self.outputs.reads_on_roles())
        for role in on:
            self._on_since[role] = self.outputs.status[role].on_since
        for role in list(self._on_since):
            if role not in on:
                del self._on_since[role]

    def _open_zones(self) -> list[ZoneConfig]:
        return [z for role, z in self._zones.items() if role in self._on_since]

    def _on_for_s(self, role: str) -> float | None:
        since = self._on_since.get(role)
        return None if since is None else self._mono_s - since

    def _pumping(self) -> bool:
        return "pump" in self._on_since

    def _injecting(self) -> bool:
        return any(r == "injector_power" or r.startswith("dosing:") for r in self._on_since)

    def _held(self, rule: str, condition: bool) -> float | None:
        """Seconds ``condition`` has held for ``rule`` (``None`` when it does not hold)."""
        if not condition:
            self._pending.pop(rule, None)
            return None
        since = self._pending.setdefault(rule, self._mono_s)
        return self._mono_s - since

    def _value(self, device: str, point: str) -> float | None:
        """The point's current value for safety (:func:`control_max_age_s`); ``None`` if none."""
        return self.live.value(device, point, self._now, control_max_age_s(self.site))

    def _flow(self) -> float | None:
        return self._value(self.site.head.flow_meter, "flow_rate")

    def _nominal(self, zone: ZoneConfig) -> float:
        return self.learned_nominal_m3_h(zone.name) or zone.nominal_flow_m3_h

    # ------------------------------------------------------------ water rules

    def _output_fault(self) -> Trip | None:
        for role, st in self.outputs.status.items():
            if not st.last_error:
                self._seen_errors.pop(role, None)
            elif self._seen_errors.get(role) != st.last_error:
                self._seen_errors[role] = st.last_error
                return Trip(
                    "output_fault", "all_off", f"output {role} ({st.ref}) failed: {st.last_error}"
                )
        return None

    def _max_run(self) -> Trip | None:
        for role, zone in self._zones.items():
            on_s = self._on_for_s(role)
            limit_min = min(zone.max_run_min, self.limits.max_run_min)
            if on_s is not None and on_s > limit_min * 60:
                return Trip(
                    "max_run",
                    "all_off",
                    f"max run time: zone {zone.name} valve on {on_s / 60:.1f} min "
                    f"> {limit_min:g} min",
                )
        return None

    def _pump_no_valve(self) -> Trip | None:
        held = self._held("pump_no_valve", self._pumping() and not self._open_zones())
        if held is not None and held > PUMP_NO_VALVE_GRACE_S:
            return Trip(
                "pump_no_valve",
                "all_off",
                f"pump on {held:.0f} s with no zone valve open (grace {PUMP_NO_VALVE_GRACE_S:g} s)",
            )
        return None

    def _flow_meter_stale(self) -> Trip | None:
        meter = self.site.head.flow_meter
        flow = self._flow()
        implausible = flow is not None and flow < -max(self.limits.no_flow_m3_h, 0.1)
        if self._pumping() and (flow is None or implausible):
            why = (
                f"flow {flow:.1f} m3/h is negative"
                if implausible
                else (f"no good reading within {self.limits.stale_after_s:g} s")
            )
            return Trip("flow_meter_stale", "all_off", f"flow meter {meter}: {why} while pumping")
        return None

    def _metered_s(self) -> dict[str, float]:
        """Each meter water should pass now, with the seconds it should have: the head's
        while pumping, a zone's while its valve is also open."""
        pump_s = self._on_for_s("pump")
        if pump_s is None:
            return {}
        expected = {self.site.head.flow_meter: pump_s}
        for z in self._open_zones():
            if z.flow_meter:
                valve_s = self._on_for_s(f"valve:{z.name}") or 0.0
                expected[z.flow_meter] = min(pump_s, valve_s)
        return expected

    def _register_meters_flowing(self) -> list[str]:
        """The register meters water should pass, past the pipe's fill (``SETTLE_S``)."""
        return [
            name
            for name, on_s in self._metered_s().items()
            if on_s >= SETTLE_S and self.site.pulse_meter(name) is None
        ]

    def _flow_meter_frozen(self) -> Trip | None:
        """A register meter water should pass whose totalizer stands still while its own
        rate says water passed (:mod:`controller.runtime.frozenmeter`)."""
        why = self._frozen.check(self._register_meters_flowing(), self._now, self._mono_s)
        return None if why is None else Trip("flow_meter_frozen", "all_off", why)

    def _flow_meter_disagrees(self) -> Trip | None:
        """A register meter water should pass whose rate, integrated over its latest polls,
        is unlike its totalizer's rise (:mod:`controller.runtime.ratecheck`): the rate the
        burst and dry-run rules judge cannot be trusted, so the water stops."""
        why = self._rates.check(self._register_meters_flowing(), self._now, self._mono_s)
        return None if why is None else Trip("flow_meter_disagrees", "all_off", why)

    def _pulse_missing(self) -> Trip | None:
        """A pulse meter through which water should run counted nothing for its
        ``no_pulse_s`` (:meth:`_metered_s`; the ``pulse`` point is published only when a
        pulse came, so its age is the silence)."""
        for name, on_s in self._metered_s().items():
            m = self.site.pulse_meter(name)
            if m is None or on_s <= m.no_pulse_s:
                continue
            try:
                self.live.current(name, "pulse", self._now, m.no_pulse_s)
            except NoFreshValue as exc:
                return Trip(
                    "pulse_missing",
                    "all_off",
                    f"pulse meter {name} ({m.counter}): no pulse for over {m.no_pulse_s:g} s "
                    f"while pumping ({exc.why.value}): water is not let run unmetered",
                )
        return None

    def _dry_run(self) -> Trip | None:
        flow = self._flow()
        dry = self._pumping() and flow is not None and flow < self.limits.no_flow_m3_h
        held = self._held("dry_run", dry)
        if held is not None and held > self.limits.dry_run_delay_s:
            return Trip(
                "dry_run",
                "all_off",
                f"dry run: pump on {held:.0f} s with flow {flow:.1f} m3/h "
                f"< {self.limits.no_flow_m3_h:g}",
            )
        return None

    def _burst_limit(self) -> float:
        return sum(self._nominal(z) for z in self._open_zones()) * self.limits.burst_factor

    def _burst(self) -> Trip | None:
        flow = self._flow()
        zones = self._open_zones()
        limit = self._burst_limit()
        # A filter backflush lets water out through the flush valve for a minute: flow
        # above the zones' nominal is then expected, not a burst.
        backflushing = "backflush_valve" in self._on_since
        high = (
            self._pumping()
            and bool(zones)
            and not backflushing
            and flow is not None
            and flow > limit
        )
        held = self._held("burst", high)
        if held is not None and held > self.limits.burst_delay_s:
            names = ",".join(z.name for z in zones)
            return Trip(
                "burst",
                "all_off",
                f"burst: flow {flow:.1f} m3/h > {limit:.1f} (nominal of {names} × "
                f"{self.limits.burst_factor:g}) for {held:.0f} s",
            )
        return None

    def _pressure(self) -> Trip | None:
        sensor = self.site.head.pressure
        pump_s = self._on_for_s("pump")
        if sensor is None or pump_s is None or pump_s < SETTLE_S:
            self._raised.discard("pressure_low")
            return None
        kpa = self._value(sensor, "line_pressure")
        if kpa is None:
            return None
        lo, hi = self.limits.line_pressure_min_kpa, self.limits.line_pressure_max_kpa
        if kpa > hi:
            return Trip("pressure_high", "all_off", f"line pressure {kpa:.0f} kPa > {hi:g} kPa")
        if kpa < lo and "backflush_valve" not in self._on_since:  # flushing drops pressure
            return self._once(
                "pressure_low", f"line pressure {kpa:.0f} kPa < {lo:g} kPa while pumping"
            )
        self._raised.discard("pressure_low")
        return None

    def _unscheduled_flow(self) -> Trip | None:
        flow = self._flow()
        closed = not {"pump", "master_valve"} & self._commanded  # a welded one is alarmed
        flowing = closed and flow is not None and flow > self.limits.no_flow_m3_h
        held = self._held("unscheduled_flow", flowing)
        if held is None:
            self._raised.discard("unscheduled_flow")
            return None
        if held > UNSCHEDULED_FLOW_DELAY_S:
            return self._once(
                "unscheduled_flow",
                f"unscheduled flow: {flow:.1f} m3/h > {self.limits.no_flow_m3_h:g} for "
                f"{held:.0f} s with pump and master valve off",
            )
        return None

    def _once(self, code: str, message: str) -> Trip | None:
        if code in self._raised:
            return None
        self._raised.add(code)
        return Trip(code, "alarm", message)

    # ------------------------------------------------------------ injection rules

    def _inject_no_flow(self) -> Trip | None:
        flow = self._flow()
        no_flow = self._injecting() and (
            not self._pumping() or flow is None or flow < self.limits.no_flow_m3_h
        )
        held = self._held("inject_no_flow", no_flow)
        if held is not None and held > INJECT_NO_FLOW_GRACE_S:
            shown = "unknown" if flow is None else f"{flow:.1f} m3/h"
            pump = "on" if self._pumping() else "off"
            return Trip(
                "inject_no_flow",
                "injection",
                f"injection without water flow: injector powered {held:.0f} s, pump {pump}, "
                f"flow {shown} < {self.limits.no_flow_m3_h:g}",
            )
        return None

    def _ec_high(self) -> Trip | None:
        f = self.site.fertigation
        if f is None or not self._injecting():
            return None
        ec = self._value(f.ec_meter, "ec")
        if ec is None:
            return Trip(
                "ec_meter_stale",
                "injection",
                f"EC meter {f.ec_meter}: no good reading within "
                f"{self.limits.stale_after_s:g} s while injecting",
            )
        if ec > self.limits.ec_max_ms_cm:
            return Trip(
                "ec_high",
                "injection",
                f"EC {ec:.2f} mS/cm > {self.limits.ec_max_ms_cm:g} while injecting",
            )
        return None

    def _ph(self) -> Trip | None:
        f = self.site.fertigation
        if f is None or f.ph_meter is None or not self._injecting():
            return None
        ph = self._value(f.ph_meter, "ph")
        if ph is None:
            return Trip(
                "ec_meter_stale",
                "injection",
                f"pH meter {f.ph_meter}: no good reading within "
                f"{self.limits.stale_after_s:g} s while injecting",
            )
        lo, hi = self.limits.ph_min, self.limits.ph_max
        if not lo <= ph <= hi:
            return Trip(
                "ph_out_of_band",
                "injection",
                f"pH {ph:.2f} outside [{lo:g}, {hi:g}] while injecting",
            )
        return None

    def _tank_low(self) -> Trip | None:
        f = self.site.fertigation
        if f is None or not self._injecting():
            return None
        for tank in f.tanks:
            level = self._value(tank.level, "level")
            if level is not None and level < tank.low_level_m:
                return Trip(
                    "tank_low",
                    "injection",
                    f"tank {tank.name} level {level:.2f} m < {tank.low_level_m:g} m "
                    "while injecting",
                )
        return None

    # ------------------------------------------------------------ learning

    def _learn(self) -> None:
        zones = self._open_zones()
        pump_s = self._on_for_s("pump")
        flow = self._flow()
        if len(zones) != 1 or pump_s is None or pump_s < SETTLE_S or flow is None:
            return
        if self._pending or flow < self.limits.no_flow_m3_h:
            return
        if "backflush_valve" in self._on_since:
            return  # flush water passes the meter: learning it would mask a burst later
        zone = zones[0]
        lo, hi = (k * zone.nominal_flow_m3_h for k in LEARN_CLAMP)
        avg, n = self._learned.get(zone.name, (zone.nominal_flow_m3_h, 0))
        avg += LEARN_ALPHA * (flow - avg)
        self._learned[zone.name] = (min(hi, max(lo, avg)), n + 1)

    # ------------------------------------------------------------ acting

    def _act(self, trip: Trip) -> None:
        """Act on ``trip`` and raise its event; then raise what the runs' abort raised (a run
        end the store refused): everything is off and the alarm raised before."""
        log.error("safety trip %s: %s", trip.code, trip.message)
        refused: list[Exception] = []
        if trip.action == "alarm":
            self._switch_and_record(trip, refused)
        else:
            self._latched(trip.code, trip.message, lambda: self._switch_and_record(trip, refused))
        if refused:
            raise refused[0]

    def _latched(self, code: str, message: str, record: Callable[[], bool]) -> None:
        """``record`` the latched event ``code`` (it says whether the event waits in memory),
        gating :meth:`may_start` from now: a start racing it (after the switch-off, before a
        slow commit) is refused, and so is one while its event waits in memory."""
        with self._latch_lock:
            self._acting[code] = message
        kept = False
        try:
            kept = record()
        finally:
            with self._latch_lock:
                self._acting.pop(code, None)
                if kept:
                    self._kept[code] = message

    def _switch_and_record(self, trip: Trip, refused: list[Exception]) -> bool:
        """Act on ``trip`` and raise its event; whether the event waits in memory (the store
        could not write). What aborting the runs raised goes in ``refused``: the outputs go
        off and the event is raised whatever it was, its message naming the runs whose ends
        were not recorded (the refusal's notes)."""
        failures: list[str] = []
        unrecorded: list[str] = []  # what the runs' abort says of the ends it could not record
        if trip.action == "all_off":
            if self._runs is not None:
                try:
                    self._runs.abort_all(f"safety {trip.code}: {trip.message}")
                except Exception as exc:  # the water goes off all the same, then it rises
                    log.error("safety trip %s: runs aborted, not all recorded: %s", trip.code, exc)
                    refused.append(exc)
                    unrecorded = list(getattr(exc, "__notes__", None) or [])
                    unrecorded = unrecorded or [f"runs aborted, not all recorded: {exc}"]
            failures += stop_injector(self.site, self.outputs, self.fieldio)
            failures += [f"{role}: {exc}" for role, exc in self.outputs.all_off().items()]
            if not failures:  # what could not go off goes on in the field: so do its rules
                self._pending.clear()
        elif trip.action == "injection":
            if self._runs is not None:
                self._runs.injection_stopped(f"safety {trip.code}: {trip.message}")
            failures += stop_injector(self.site, self.outputs, self.fieldio)
            if not failures:
                self._pending.pop("inject_no_flow", None)
        if trip.action != "alarm":
            if failures:
                self._unstopped.add(trip.code)
            else:
                self._unstopped.discard(trip.code)
        message = trip.message
        if failures:
            message += "; could not switch off: " + "; ".join(failures)
        # last: an SMS too long for its parts is cut in its middle, the end kept whole
        message = "; ".join([message, *unrecorded])
        latched = trip.action != "alarm" or trip.code in LATCHED_ALARMS
        severity = Severity.ALARM if latched else Severity.WARNING
        if failures or trip.code in CRITICAL_CODES:
            severity = Severity.CRITICAL
        event = self.store.raise_event(severity, trip.code, SOURCE, message, latched=latched)
        self._track_outputs()
        return event.id is None


def learned_from_runs(
    site: SiteConfig, store: Store, now: datetime
) -> dict[str, tuple[float, int]]:
    """Each zone's flow (m³/h) from its last completed runs that ran alone (module docstring),
    as ``(average, LEARN_MIN_SAMPLES)``; zones without such runs are left out."""
    runs = [
        r
        for r in store.runs(start=now - timedelta(days=SEED_LOOKBACK_DAYS))
        if r.state == "done" and r.started_at is not None and r.ended_at is not None
    ]
    out: dict[str, tuple[float, int]] = {}
    for zone in site.zones:
        flows = []
        for r in reversed([r for r in runs if r.zone == zone.name]):
            assert r.started_at is not None and r.ended_at is not None
            hours = (r.ended_at - r.started_at).total_seconds() / 3600
            alone = not any(
                o.zone != r.zone and o.started_at < r.ended_at and r.started_at < o.ended_at  # type: ignore[operator]
                for o in runs
            )
            if hours * 60 >= SEED_MIN_RUN_MIN and alone and r.applied_m3 > 0:
                flows.append(r.applied_m3 / hours)
            if len(flows) == SEED_RUNS:
                break
        if flows:
            lo, hi = (k * zone.nominal_flow_m3_h for k in LEARN_CLAMP)
            avg = sum(flows) / len(flows)
            out[zone.name] = (min(hi, max(lo, avg)), LEARN_MIN_SAMPLES)
    return out
