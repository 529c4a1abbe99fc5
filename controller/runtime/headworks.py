"""Head works (首部): filter backflush while pumping, and the pump's run hours.

Backflush. The filter's differential pressure (kPa) is read from
``head.pressure_before_filter`` − ``head.pressure`` (one transmitter on each
side of the filter) or from the ``filter_dp`` point of ``head.filter_dp``.
:meth:`HeadWorks.tick`, called by the daemon's control loop after the
sequencer's tick, opens ``head.backflush_valve`` for ``head.backflush_s`` when

* the pump has run at least ``PUMP_SETTLE_S`` (pressure is meaningful), and
* dp stayed above ``head.backflush_dp_kpa`` for ``DP_HOLD_S``, or the pump
  ran ``head.backflush_interval_h`` since the last backflush, and
* the last backflush started at least ``head.backflush_min_gap_min`` ago.

It never backflushes while a fertigation run prewets or injects (the
dosing pump's solution would go down the drain, and the sequencer closes the
backflush valve when injection starts anyway): a due backflush is deferred
until injection is over. A backflush ends early if the pump stops, injection
starts, or someone else switched the valve off (a safety trip). Every
backflush is an ``info`` event ``backflush`` naming its reason and the dp; a
backflush whose event the store refuses is closed again at once
(:class:`BackflushNotRecorded`, raised to the control loop, whose ``control_error`` alarm
names it); a deferral is one ``backflush_deferred`` event per episode: from the first
due backflush the injection blocks until the backflush runs or the injection no longer blocks
it (by then the backflush runs, or the dp has fallen). A dp hovering about its threshold
during one injection (due, not due, due again) is one episode, not an event each time it
rises past the threshold again. The valve is a
leased output like the others: the sequencer's tick renews its lease, so it
closes by itself if qanat dies.

After a restart the last backflush and the pumping since are taken from the
store (``backflush`` events, runs), not from state of this module.

Pump run hours (:func:`pump_hours`): the union of the stored runs' intervals
``started_at`` → ``ended_at`` (a running run: until now; concurrent runs
share one pump, so overlapping intervals are merged). An ``interrupted`` run
ended when the daemon noticed at its restart; the lease had stopped the
water long before, so it counts at most its planned minutes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from controller.clock import Clock
from controller.config.site import SiteConfig
from controller.errors import ControllerError
from controller.runtime.live import LiveState, control_max_age_s
from controller.runtime.outputs import Outputs
from controller.runtime.sequencer import ActiveRun
from controller.store import Run, RunPhase, RunState, Severity, Store
from drivers.errors import FieldIOError

__all__ = [
    "DP_HOLD_S",
    "PUMP_SETTLE_S",
    "BackflushNotRecorded",
    "HeadStatus",
    "HeadWorks",
    "RunsView",
    "pump_hours",
]

log = logging.getLogger(__name__)

SOURCE = "headworks"
ROLE = "backflush_valve"
PUMP_SETTLE_S = 15.0  # pressures settle after the pump starts
DP_HOLD_S = 10.0  # dp must stay high this long: one noisy pair of readings is not a clog
LOOKBACK = timedelta(days=7)  # how far back a restart looks for the last backflush
# A fertigation run in these phases has, or is about to have, the dosing pump on.
_INJECTION_PHASES = (RunPhase.PREWET, RunPhase.INJECT)


class BackflushNotRecorded(ControllerError, RuntimeError):
    """The store refused the record of a backflush just started; its valve was closed."""


class RunsView(Protocol):
    """What the head works need of the sequencer: the active runs and their phase."""

    def active(self) -> list[ActiveRun]: ...


@dataclass(frozen=True, slots=True)
class HeadStatus:
    """For the API and reports."""

    filter_dp_kpa: float | None
    backflushing: bool
    last_backflush: datetime | None
    pumping_since_backflush_h: float
    pump_hours: float


@dataclass(slots=True)
class _Backflush:
    started_mono_s: float
    reason: str


def pump_hours(
    runs: Iterable[Run],
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> float:
    """Hours the pump ran, from stored runs: the union of their intervals within [since, until].

    ``until`` defaults to ``now``; a running run counts until ``now``.
    """
    until = now if until is None else min(until, now)
    spans: list[tuple[datetime, datetime]] = []
    for run in runs:
        if run.started_at is None:
            continue
        if run.ended_at is None:
            if run.state != RunState.RUNNING.value:
                continue
            end = now
        else:
            end = run.ended_at
        if run.state == RunState.INTERRUPTED.value:
            end = min(end, run.started_at + timedelta(minutes=run.planned_min))
        start = run.started_at if since is None else max(run.started_at, since)
        end = min(end, until)
        if end > start:
            spans.append((start, end))
    total_s = 0.0
    cur_start: datetime | None = None
    cur_end: datetime | None = None
    for start, end in sorted(spans):
        if cur_end is None or cur_start is None or start > cur_end:
            if cur_end is not None and cur_start is not None:
                total_s += (cur_end - cur_start).total_seconds()
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None and cur_start is not None:
        total_s += (cur_end - cur_start).total_seconds()
    return total_s / 3600


class HeadWorks:
    """Filter backflush and pump hours; ``tick(now)`` once a second from the control loop."""

    def __init__(
        self,
        site: SiteConfig,
        outputs: Outputs,
        live: LiveState,
        store: Store,
        clock: Clock,
        runs: RunsView,
    ) -> None:
        self.site = site
        self.head = site.head
        self.outputs = outputs
        self.live = live
        self.store = store
        self.clock = clock
        self.runs = runs
        self._lock = threading.Lock()
        self._enabled = bool(self.head.backflush_valve) and ROLE in outputs.roles()
        self._flush: _Backflush | None = None
        self._deferred = False
        self._dp_high_since: float | None = None
        self._pump_on_since: float | None = None
        self._last_mono_s = clock.monotonic()
        self._last_backflush, self._pumped_s = self._recall(clock.now())

    # ------------------------------------------------------------ reading

    def filter_dp_kpa(self, now: datetime | None = None) -> float | None:
        """The filter's differential pressure (kPa) from fresh readings, ``None`` if unknown."""
        now = self.clock.now() if now is None else now
        max_age = control_max_age_s(self.site)
        if self.head.filter_dp:
            return self.live.value(self.head.filter_dp, "filter_dp", now, max_age)
        if self.head.pressure_before_filter and self.head.pressure:
            before = self.live.value(
                self.head.pressure_before_filter, "line_pressure", now, max_age
            )
            after = self.live.value(self.head.pressure, "line_pressure", now, max_age)
            return None if before is None or after is None else before - after
        return None

    def backflushing(self) -> bool:
        with self._lock:
            return self._flush is not None

    def pump_hours(self, since: datetime | None = None) -> float:
        """Pump run hours from the stored runs since ``since`` (all of them by default)."""
        now = self.clock.now()
        # The store selects runs by creation time; a run is created at most a day before it ends.
        start = None if since is None else since - timedelta(days=1)
        return pump_hours(self.store.runs(start=start), now, since=since)

    def status(self) -> HeadStatus:
        with self._lock:
            last, pumped_s, flushing = self._last_backflush, self._pumped_s, self._flush is not None
        return HeadStatus(
            filter_dp_kpa=self.filter_dp_kpa(),
            backflushing=flushing,
            last_backflush=last,
            pumping_since_backflush_h=pumped_s / 3600,
            pump_hours=self.pump_hours(),
        )

    # ------------------------------------------------------------ the tick

    def tick(self, now: datetime | None = None) -> None:
        """Start, continue or end a backflush; never raises for a field error (it is recorded)."""
        now = self.clock.now() if now is None else now
        with self._lock:
            mono_s = self.clock.monotonic()
            pumping = self.outputs.is_on("pump")
            self._count_pumping(mono_s, pumping)
            if not self._enabled:
                return
            if self._flush is not None:
                self._continue(self._flush, mono_s, pumping)
                return
            dp = self.filter_dp_kpa(now)
            reason = self._due(mono_s, now, pumping, dp)
            blocked = self._injection() if reason or self._deferred else ""
            if not blocked:
                self._deferred = False  # the injection is over: the episode with it
            if not reason:
                return
            if blocked:
                if not self._deferred:
                    self._deferred = True
                    self._event(
                        Severity.INFO, "backflush_deferred", f"{reason}; deferred: {blocked}"
                    )
                return
            self._deferred = False
            self._start(mono_s, now, reason, dp)

    def _count_pumping(self, mono_s: float, pumping: bool) -> None:
        dt = mono_s - self._last_mono_s
        self._last_mono_s = mono_s
        if pumping:
            if self._pump_on_since is None:
                self._pump_on_since = mono_s
            else:
                self._pumped_s += dt
        else:
            self._pump_on_since = None

    def _due(self, mono_s: float, now: datetime, pumping: bool, dp: float | None) -> str:
        """Why a backflush is due now ("" if it is not)."""
        settled = self._pump_on_since is not None and mono_s - self._pump_on_since >= PUMP_SETTLE_S
        high = pumping and settled and dp is not None and dp > self.head.backflush_dp_kpa
        if not high:
            self._dp_high_since = None
        elif self._dp_high_since is None:
            self._dp_high_since = mono_s
        if not (pumping and settled):
            return ""
        if self._last_backflush is not None:
            gap_s = (now - self._last_backflush).total_seconds()
            if gap_s < self.head.backflush_min_gap_min * 60:
                return ""
        if self._dp_high_since is not None and mono_s - self._dp_high_since >= DP_HOLD_S:
            return f"filter dp {dp:.0f} kPa > {self.head.backflush_dp_kpa:g} kPa"
        interval_h = self.head.backflush_interval_h
        if interval_h is not None and self._pumped_s >= interval_h * 3600:
            return f"{self._pumped_s / 3600:.1f} h of pumping since the last backflush"
        return ""

    def _injection(self) -> str:
        """Why the filter may not be backflushed now ("" if it may)."""
        for role in self.outputs.roles():
            if (role == "injector_power" or role.startswith("dosing:")) and self.outputs.is_on(
                role
            ):
                return "the dosing pump is powered" if role == "injector_power" else f"{role} is on"
        for run in self.runs.active():
            if run.phase in _INJECTION_PHASES:
                return f"zone {run.zone} is fertigating ({run.phase.value})"
        return ""

    def _start(self, mono_s: float, now: datetime, reason: str, dp: float | None) -> None:
        # The gap counts from this attempt even if it fails: no retry every second.
        self._last_backflush = now
        self._dp_high_since = None
        shown = "unknown" if dp is None else f"{dp:.1f} kPa"
        try:
            self.outputs.on(ROLE)
        except FieldIOError as exc:
            # The output's error also reaches the supervisor, which switches everything off.
            self._event(Severity.WARNING, "backflush_failed", f"backflush not started: {exc}")
            return
        try:
            self._event(
                Severity.INFO,
                "backflush",
                f"filter backflush for {self.head.backflush_s:g} s: {reason}; dp {shown}",
            )
        except Exception as exc:  # a backflush the box cannot record must not stay open
            raise self._close_unrecorded(exc) from exc
        self._flush = _Backflush(mono_s, reason)
        self._pumped_s = 0.0

    def _close_unrecorded(self, exc: Exception) -> BackflushNotRecorded:
        """The store refused the ``backflush`` event after the valve opened: the valve off
        again (an output that will not go off reaches the supervisor, which switches
        everything off); the error the tick raises, named by the control loop's
        ``control_error`` alarm. The gap counts from this attempt: no retry every second."""
        why = f"backflush not recorded, backflush valve closed again: {exc}"
        log.error("%s", why)
        try:
            self.outputs.off(ROLE)
        except FieldIOError as off_exc:
            log.error("backflush valve not switched off: %s", off_exc)
        return BackflushNotRecorded(why)

    def _continue(self, flush: _Backflush, mono_s: float, pumping: bool) -> None:
        elapsed_s = mono_s - flush.started_mono_s
        if not self.outputs.is_on(ROLE):
            self._flush = None
            self._event(
                Severity.INFO,
                "backflush_ended",
                f"filter backflush ended after {elapsed_s:.0f} s: the valve was switched off "
                "elsewhere",
            )
            return
        why = ""
        if not pumping:
            why = "the pump stopped"
        elif blocked := self._injection():
            why = blocked
        elif elapsed_s < self.head.backflush_s:
            return
        self._finish(elapsed_s, why)

    def _finish(self, elapsed_s: float, why: str) -> None:
        self._flush = None
        try:
            self.outputs.off(ROLE)
        except FieldIOError as exc:
            self._event(
                Severity.WARNING, "backflush_failed", f"backflush valve not switched off: {exc}"
            )
            return
        if why:
            self._event(
                Severity.INFO,
                "backflush_ended",
                f"filter backflush ended after {elapsed_s:.0f} s: {why}",
            )
        else:
            log.info("filter backflush done after %.0f s", elapsed_s)

    def _event(self, severity: Severity, code: str, message: str) -> None:
        log.log(logging.WARNING if severity is Severity.WARNING else logging.INFO, message)
        self.store.raise_event(severity, code, SOURCE, message)

    # ------------------------------------------------------------ restart

    def _recall(self, now: datetime) -> tuple[datetime | None, float]:
        """The last backflush (from the events) and the pumping since (from the runs)."""
        if not self._enabled:
            return None, 0.0
        since = now - LOOKBACK
        last = None
        for event in self.store.events(start=since):
            if event.source == SOURCE and event.code == "backflush":
                last = event.time
        start = last if last is not None else since
        runs = self.store.runs(start=start - timedelta(days=1))
        return last, pump_hours(runs, now, since=start) * 3600
