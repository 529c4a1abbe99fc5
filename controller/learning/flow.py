"""Flow signatures of the zones: features of each finished run from the store, the learned
normal run (:mod:`models.learning.flow`), and the ``zone_leak`` / ``zone_clog`` alarms.

A run's features come from what the daemon stored while it ran: the zone's flow meter's
``flow_rate`` readings (stored every poll while water runs, :mod:`controller.runtime.telemetry`)
between the run's start and end, and the head's line pressure over the same window when the
site has a transmitter. Its fill time is when the flow first reached 90 % of the run's
steady flow; its steady flow is the median of the readings from :data:`SETTLE_S` after the
fill to the end. A run that shared its meter with another zone's run, or that was too short
for a steady window, is not judged (the meter cannot tell the zones apart).

:class:`FlowLearning` is the scheduled job (kind ``task``, every :data:`CHECK_EVERY_S`):
each newly finished run of each zone is judged (the learned CUSUM once the zone has
``min_runs`` normal runs, else the fixed band around the design flow), a decided drift
raises a latched warning (once while one is open), and the signature is retrained on the
newest normal runs every :data:`RETRAIN_EVERY_RUNS`. The Huber fit runs in a short-lived
child process (:func:`models.learning.child.in_child`, at most :data:`FIT_TIMEOUT_S`), so
scikit-learn never enters the daemon's process; the job itself runs in the scheduler's
pool, never on the control loop. Each zone's state (signature as plain numbers, CUSUM,
runs) is persisted under ``<data dir>/models/flow/``; a file that cannot be loaded (one of
an older format included), or a fit that fails (its child crashed or hung past the
timeout included), raises ``model_unavailable`` and the fixed band judges until the next
training. The job never raises into the scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from controller.config.site import SiteConfig, ZoneConfig
from controller.store import Severity, Store, StoreError
from controller.store.tables import Run, RunState
from models.learning import (
    LearnedModelError,
    ModelFileError,
    Persisted,
    TooLittleDataError,
    load_model,
    model_file,
    save_model,
)
from models.learning.child import Runner, in_child
from models.learning.flow import (
    FORMAT_VERSION,
    KIND,
    Drift,
    DriftState,
    FlowRun,
    FlowSignature,
    FlowTuning,
    fit_signature,
    fixed_verdict,
    huber_line,
    step_drift,
)

__all__ = [
    "CHECK_EVERY_S",
    "FlowLearning",
    "FlowStatus",
    "drift_message",
    "run_features",
    "tuning_of",
]

log = logging.getLogger(__name__)

CHECK_EVERY_S = 600.0  # how often finished runs are judged (a run's verdict within 10 min)
# a check with no run ended through the store since the last pass skips the store, except
# this long after it (a run whose end was written late, or by another process, is judged)
FULL_PASS_EVERY = dt.timedelta(hours=6)
RETRAIN_EVERY_RUNS = 10  # normal runs between two trainings of a zone's signature
SETTLE_S = 30.0  # after the fill, before the steady window starts
MIN_STEADY_S = 60.0  # a shorter steady window is not judged
MIN_STEADY_READINGS = 5
FILL_FRACTION = 0.9
FIRST_LOOK_BACK = dt.timedelta(days=120)  # a zone without a state judges its runs since
NORMAL_Z = 3.0  # a run beyond this many scale units is never trained on
FIT_TIMEOUT_S = 120.0  # a zone's fit (forty runs, well under a second) or its child is killed
_FINISHED = {RunState.DONE.value, RunState.ABORTED.value, RunState.INTERRUPTED.value}


def tuning_of(site: SiteConfig) -> FlowTuning:
    """The model's tuning from ``[learning.flow]``."""
    c = site.model.learning.flow
    return FlowTuning(
        min_runs=c.min_runs,
        window_runs=c.window_runs,
        fixed_band_pct=c.fixed_band_pct,
        min_sigma_pct=c.min_sigma_pct,
        min_change_pct=c.min_change_pct,
        cusum_k=c.cusum_k,
        cusum_h=c.cusum_h,
    )


def run_features(site: SiteConfig, store: Store, zone: ZoneConfig, run: Run) -> FlowRun | None:
    """The run's features from the stored readings, or None when it cannot be judged (not
    finished, no steady window, no meter readings)."""
    if run.id is None or run.state not in _FINISHED or run.started_at is None:
        return None
    if run.ended_at is None:
        return None
    meter = zone.flow_meter or site.head.flow_meter
    flows = [(t, v) for t, v in store.good_values(meter, "flow_rate", run.started_at, run.ended_at)]
    if len(flows) < MIN_STEADY_READINGS:
        return None
    tail = [v for _t, v in flows[len(flows) // 2 :]]
    level = statistics.median(tail)
    if level <= 0:
        return None
    full_at = next(t for t, v in flows if v >= FILL_FRACTION * level)
    fill_s = (full_at - run.started_at).total_seconds()
    start = full_at + dt.timedelta(seconds=SETTLE_S)
    steady = [v for t, v in flows if t >= start]
    if len(steady) < MIN_STEADY_READINGS or (run.ended_at - start).total_seconds() < MIN_STEADY_S:
        return None
    pressure = None
    if site.head.pressure is not None:
        kpa = [
            v
            for _t, v in store.good_values(site.head.pressure, "line_pressure", start, run.ended_at)
        ]
        pressure = statistics.median(kpa) if kpa else None
    return FlowRun(run.id, statistics.median(steady), max(0.0, fill_s), pressure)


@dataclass
class _ZoneState:
    """What is persisted per zone (the payload of its model file)."""

    design_m3h: float
    judged_run_id: int = 0
    judged_at: dt.datetime | None = None  # created_at of the newest judged run
    signature: FlowSignature | None = None
    drift: DriftState = field(default_factory=DriftState)
    normal: list[FlowRun] = field(default_factory=list)  # newest window of normal runs
    recent_m3h: list[float] = field(default_factory=list)  # before a signature: the fixed band
    since_training: int = 0


@dataclass(frozen=True, slots=True)
class FlowStatus:
    """What the zone page shows: learning (``have`` of ``need`` runs) or the learned normal."""

    zone: str
    have: int
    need: int
    normal_m3h: float | None = None
    sigma_m3h: float | None = None
    fill_s: float | None = None
    unavailable: str = ""  # why the learned model is not in charge, if it failed

    @property
    def learned(self) -> bool:
        return self.normal_m3h is not None


def drift_message(zone: str, drift: Drift, *, learned: bool, band_pct: float) -> str:
    """The alarm's words: what, where and how sure."""
    side = "above" if drift.kind == "leak" else "below"
    runs = "run" if drift.runs == 1 else f"{drift.runs} runs"
    if learned:
        return (
            f"zone {zone}: flow {drift.change_pct:.0f} % {side} its normal "
            f"{drift.normal_m3h:.1f} m³/h over the last {runs} "
            f"(confidence {drift.confidence:.3f})"
        )
    return (
        f"zone {zone}: flow {drift.change_pct:.0f} % {side} its design flow "
        f"{drift.normal_m3h:.1f} m³/h over the last {runs} (fixed threshold ±{band_pct:g} %, "
        "nothing learned yet)"
    )


class FlowLearning:
    """The flow-signature job of a site (see the module docstring)."""

    def __init__(
        self,
        site: Callable[[], SiteConfig],
        store: Store,
        models_dir: Path | None,
        *,
        runner: Runner = in_child,
    ) -> None:
        """``site``: the site as it is now (settings from the pages replace it: a zone's new
        design flow relearns its signature, ``[learning.flow]`` tunes the next check).
        ``runner``: where the Huber fit runs, a child process (``in_process`` for the
        benchmark, which fits thousands of times)."""
        self._site = site
        self.store = store
        self.models_dir = models_dir
        self._states: dict[str, _ZoneState] = {}
        self._unavailable: dict[str, str] = {}
        self.train_s = 0.0  # CPU seconds spent fitting signatures since start, the fits'
        # child processes included (the benchmark's)
        self._passed: tuple[int, dt.datetime] | None = None  # (store.runs_ended, when) of the
        # last complete pass
        self._lock = threading.Lock()  # one pass at a time (a slow pass and the next tick)
        self.fit_timeout_s = FIT_TIMEOUT_S
        self._runner = runner

    @property
    def site(self) -> SiteConfig:
        return self._site()

    @property
    def tuning(self) -> FlowTuning:
        return tuning_of(self.site)

    # -- the job ------------------------------------------------------------------
    def check(self) -> list[tuple[str, Drift]]:
        """Judge every zone's new runs, raise alarms, retrain; the drifts decided. Never
        raises: a zone whose pass fails is logged and tried again at the next check."""
        if not self.site.model.learning.flow.enabled:
            return []
        decided: list[tuple[str, Drift]] = []
        with self._lock:
            ended, now = self.store.runs_ended, self.store.clock.now()
            if (
                self._passed is not None
                and self._passed[0] == ended
                and now - self._passed[1] < FULL_PASS_EVERY
            ):
                return []  # no run ended since the last pass: nothing new to judge
            failed = False
            try:
                states = {z.name: self._state(z) for z in self.site.zones}
                since = min((s.judged_at or now - FIRST_LOOK_BACK) for s in states.values())
                runs = self.store.runs(start=since)  # one query for every zone
            except Exception:  # the store cannot be read now: tried again at the next check
                log.exception("flow signatures: runs not read")
                return []
            for zone in self.site.zones:
                try:
                    decided += [(zone.name, d) for d in self._check_zone(zone, runs)]
                except Exception:  # the scheduler's pool must never see it
                    log.exception("flow signature of zone %s: check failed", zone.name)
                    failed = True
            self._passed = None if failed else (ended, now)
        return decided

    def status(self, zone: str) -> FlowStatus:
        """The zone's learning state, for its page (from memory or its model file). Never
        waits for a pass: one may be waiting on a fit's child process (seconds, up to
        :data:`FIT_TIMEOUT_S` if it hangs); the page then shows the state as it was."""
        z = next((z for z in self.site.zones if z.name == zone), None)
        if z is None:
            raise KeyError(zone)
        if self._lock.acquire(blocking=False):
            try:
                state = self._states.get(zone)
                if state is None:
                    state = self._load(z, quiet=True)
            finally:
                self._lock.release()
        else:  # a pass runs: every zone's state was read into memory when it started
            state = self._states.get(zone)
        need = self.tuning.min_runs
        sig = state.signature if state is not None else None
        have = len(state.normal) if state is not None else 0
        if sig is None:
            return FlowStatus(
                zone, min(have, need), need, unavailable=self._unavailable.get(zone, "")
            )
        return FlowStatus(zone, sig.n_runs, need, sig.normal_m3h, sig.sigma_m3h, sig.fill_s)

    def _state(self, zone: ZoneConfig) -> _ZoneState:
        state = self._states.get(zone.name)
        if state is None:
            state = self._load(zone) or _ZoneState(zone.nominal_flow_m3_h)
        if state.design_m3h != zone.nominal_flow_m3_h:  # new emitters or a new design: relearn
            state = _ZoneState(zone.nominal_flow_m3_h)
        self._states[zone.name] = state
        return state

    def _check_zone(self, zone: ZoneConfig, runs: list[Run]) -> list[Drift]:
        state = self._states[zone.name]
        changed = False
        drifts: list[Drift] = []
        for run, features in self._new_runs(zone, state, runs):
            changed = True
            state.judged_run_id, state.judged_at = run.id or 0, run.created_at
            if features is None:
                continue
            drift = self._judge(zone, state, features)
            if drift is not None:
                drifts.append(drift)
                self._alarm(zone.name, drift, learned=state.signature is not None)
        if self._train_due(state):
            changed = True
            self._train(zone, state)
        if changed:
            self._save(zone.name, state)
        return drifts

    def _judge(self, zone: ZoneConfig, state: _ZoneState, run: FlowRun) -> Drift | None:
        t = self.tuning
        if state.signature is None:
            state.recent_m3h = [*state.recent_m3h[-4:], run.steady_m3h]
            drift = fixed_verdict(state.recent_m3h, zone.nominal_flow_m3_h, t)
            band = t.fixed_band_pct / 100
            if abs(run.steady_m3h - zone.nominal_flow_m3_h) <= band * zone.nominal_flow_m3_h:
                self._keep_normal(state, run)
            return drift
        z = state.signature.z(run)
        state.drift, drift = step_drift(state.drift, state.signature, run, t)
        quiet = max(state.drift.up, state.drift.down) < t.cusum_h / 2
        if drift is None and quiet and abs(z) < NORMAL_Z:
            self._keep_normal(state, run)
            state.since_training += 1
        return drift

    def _keep_normal(self, state: _ZoneState, run: FlowRun) -> None:
        state.normal = [*state.normal, run][-self.tuning.window_runs :]

    def _train_due(self, state: _ZoneState) -> bool:
        if len(state.normal) < self.tuning.min_runs:
            return False
        return state.signature is None or state.since_training >= RETRAIN_EVERY_RUNS

    def _line(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
        """The Huber line, fitted in a child process (scikit-learn stays out of this one)."""
        fitted = self._runner(huber_line, x, y, timeout_s=self.fit_timeout_s)
        self.train_s += fitted.cpu_s
        return fitted.value

    def _train(self, zone: ZoneConfig, state: _ZoneState) -> None:
        started = time.thread_time()
        try:
            state.signature = fit_signature(state.normal, self.tuning, line=self._line)
        except TooLittleDataError:
            return
        except Exception as exc:  # a fit that fails leaves the fixed band in charge
            self._unavailable_event(zone.name, f"training failed: {exc}")
            state.signature = None
            return
        finally:
            self.train_s += time.thread_time() - started
        state.since_training = 0
        state.recent_m3h = []
        self._unavailable.pop(zone.name, None)

    def _new_runs(
        self, zone: ZoneConfig, state: _ZoneState, runs: list[Run]
    ) -> list[tuple[Run, FlowRun | None]]:
        """The zone's finished runs (of ``runs``) after the last judged one, with their
        features (None: not judged), oldest first."""
        meter = zone.flow_meter or self.site.head.flow_meter
        out: list[tuple[Run, FlowRun | None]] = []
        for run in runs:
            if run.zone != zone.name or run.id is None or run.id <= state.judged_run_id:
                continue
            if run.state == RunState.RUNNING.value:
                break  # judged in order: wait for the open run to finish
            if run.state not in _FINISHED:
                continue  # planned, not started
            shared = any(self._overlaps(run, other, meter) for other in runs if other is not run)
            out.append((run, None if shared else run_features(self.site, self.store, zone, run)))
        return out

    def _overlaps(self, run: Run, other: Run, meter: str) -> bool:
        if other.started_at is None or run.started_at is None or other.zone == run.zone:
            return False
        zone = next((z for z in self.site.zones if z.name == other.zone), None)
        if zone is None or (zone.flow_meter or self.site.head.flow_meter) != meter:
            return False
        end = run.ended_at or self.store.clock.now()
        other_end = other.ended_at or self.store.clock.now()
        return other.started_at < end and run.started_at < other_end

    # -- alarms -----------------------------------------------------------------
    def _alarm(self, zone: str, drift: Drift, *, learned: bool) -> None:
        code = "zone_leak" if drift.kind == "leak" else "zone_clog"
        if any(e.code == code and e.source == zone for e in self.store.open_alarms()):
            return
        message = drift_message(zone, drift, learned=learned, band_pct=self.tuning.fixed_band_pct)
        self.store.raise_event(Severity.WARNING, code, zone, message, latched=True)

    def _unavailable_event(self, zone: str, why: str) -> None:
        path = model_file(self.models_dir, KIND, zone) if self.models_dir is not None else "memory"
        self._unavailable[zone] = why
        message = (
            f"flow signature of zone {zone} ({path}): {why}; the fixed band around the "
            "design flow judges its runs until the next training"
        )
        try:
            self.store.raise_event(Severity.WARNING, "model_unavailable", zone, message)
        except StoreError as exc:
            log.warning("model_unavailable not recorded: %s (%s)", message, exc)

    # -- persistence ------------------------------------------------------------
    def _load(self, zone: ZoneConfig, *, quiet: bool = False) -> _ZoneState | None:
        if self.models_dir is None:
            return None
        path = model_file(self.models_dir, KIND, zone.name)
        if not path.exists():
            return None
        try:
            model = load_model(self.models_dir, KIND, zone.name, FORMAT_VERSION, plain=True)
            state = model.payload
            if not isinstance(state, _ZoneState):
                raise ModelFileError(f"{path}: not a flow state", path=str(path))
        except LearnedModelError as exc:
            if not quiet:
                self._unavailable_event(zone.name, f"cannot load: {exc}; relearning from the runs")
            return None
        return state

    def _save(self, zone: str, state: _ZoneState) -> None:
        if self.models_dir is None:
            return
        sig = state.signature
        model = Persisted(
            kind=KIND,
            key=zone,
            format_version=FORMAT_VERSION,
            trained_at=self.store.clock.now(),
            n_samples=sig.n_runs if sig is not None else len(state.normal),
            payload=state,
            meta={"normal_m3h": sig.normal_m3h if sig is not None else None},
        )
        try:
            save_model(self.models_dir, model)
        except OSError as exc:  # a full card: kept in memory, tried again next check
            log.warning("flow signature of zone %s not saved: %s", zone, exc)
