"""Probe calibration: soil samples in, and the one place a probe's raw value becomes θ.

**Samples.** :func:`add_sample` checks and stores a technician's soil sample (reference θ,
% vol, by ``gravimetric`` or ``reference`` method) next to a configured soil probe, with the
probe's raw reading at the sample time: typed in (``raw_source`` ``given``), or read from the
box (:func:`raw_reading_at`): for a sample taken now (within :data:`NOW_WINDOW`), the
probe's live value (``live``), the daemon's one view of current values; else, with every reading
still waiting in the store's memory committed first, the mean of the probe's good stored readings
within :data:`RAW_WINDOW` of it (``store``), else the reading a steady probe holds under the
store's own rule (its last stored reading stands until the next, for at most the kind's
heartbeat: a probe that does not move is stored about once an hour). A probe the controller
doubts now (quarantined by the plausibility rules, or a ``sensor_fault``) gives no value: a
flatlined probe is exactly the steady probe the hold accepts. A refusal gives its time in the
site's local time (:class:`RawLookup`). Each entry is
audited (``probe.sample``, every value in the detail): the audit is exported to the office,
the samples table is not. Bad input is :class:`SampleRefused`, ``field`` naming the culprit.

**Calibration.** :class:`ProbeCalibrations` fits each probe's calibration
(:func:`models.learning.calibration.fit_calibration`) from all its samples and is **the only
place** a soil probe's stored raw value becomes the θ the water balance, the planner, the
plausibility rules and the pages use (:meth:`ProbeCalibrations.good_values`,
:meth:`ProbeCalibrations.theta_pct`). The raw readings stay stored as they were read.

* The current calibration applies to **every** reading read from now on, older ones
  included, not only to readings after the sample time. The probe's response in its soil did
  not change when the sample was taken; calibrating only later readings would put a step into
  the probe's series at that time, which the plausibility rules would take for a jump
  (``probe_rate``), the sensor-mode planner would compare a calibrated value with an
  uncalibrated baseline, and the balance's observed depletion would mix two scales. Balance
  days already closed keep the values they were computed with (stored revisions).
* No sample: the raw value, as before (too little data is the normal start, no alarm).
* A calibration that cannot be fitted (a sample out of range, a gain ≤ 0 or implausible): the
  raw value, and a ``model_unavailable`` warning (source = the probe) naming the probe and the
  sample; raised once per set of samples, not on every read.
* No model file: the samples are in the store and a fit takes milliseconds (plus a
  short-lived child process that fits every probe at once, so scikit-learn never enters the
  daemon's process: :func:`models.learning.child.in_child`; a child that crashes or hangs
  leaves every probe's raw value in charge, with ``model_unavailable``), so the
  calibration is refitted whenever a sample was added: at once when it was entered through
  this process's store (the pages, the API), and within :data:`RECHECK_S` of a read when it
  was entered by ``qanat probe sample add`` in another process (one indexed ``max(id)``; the
  daemon's ``probe_calibration`` job looks too). Reads do not query the store each time: the
  balance and the plausibility rules read θ thousands of times a day, and a query per read
  was a third of a simulated season's time.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from controller.config.site import SiteConfig
from controller.learning.samplerefusal import SampleRefused, refused
from controller.store import ProbeSample, Severity, Store, StoreError
from models.learning.calibration import (
    MAX_RAW_PCT,
    MAX_THETA_PCT,
    METHOD_SD_PCT,
    CalibrationSample,
    ProbeCalibration,
    fit_each,
)
from models.learning.child import Runner, in_child
from models.learning.errors import LearnedModelError, LearningInputError, TooLittleDataError

__all__ = [
    "AUDIT_ACTION",
    "METHODS",
    "MODEL_NAME",
    "NOTE_MAX_CHARS",
    "RAW_WINDOW",
    "CalibrationState",
    "ProbeCalibrations",
    "RawLookup",
    "SampleRefused",
    "add_sample",
    "probe_key",
    "raw_at",
    "raw_lookup",
    "raw_reading_at",
]

log = logging.getLogger(__name__)

MOISTURE_POINT = "moisture"  # every soil probe's θ point (controller.agronomy.types.PROBE_POINT)
METHODS = tuple(METHOD_SD_PCT)
RAW_WINDOW = dt.timedelta(minutes=15)  # a sample's raw value: the probe's readings ± this
HOLD = dt.timedelta(hours=1, minutes=11)  # a stored reading's hold with no site: the soil
# probe's shipped heartbeat (1 h), one default poll (60 s) and the longest idle commit (600 s)
NOW_WINDOW = dt.timedelta(minutes=5)  # a sample this close to now may take the live value
FUTURE_SLACK = dt.timedelta(minutes=5)  # a sample time later than now by more is a typo
AUDIT_ACTION = "probe.sample"
NOTE_MAX_CHARS = 500  # a sample's note; the page's field shows the same limit
MODEL_NAME = "probe calibration"
EVENT_CODE = "model_unavailable"
RECHECK_S = 60.0  # a read looks for a sample from another process at most this often (s)
FIT_TIMEOUT_S = 120.0  # every probe's fit (milliseconds) and its child process's start, at most


def probe_key(device: str, point: str = MOISTURE_POINT) -> str:
    """``device`` for the moisture point, else ``device.point`` (how pages and CLI name it)."""
    return device if point == MOISTURE_POINT else f"{device}.{point}"


@dataclass(frozen=True, slots=True)
class CalibrationState:
    """A probe's calibration as the pages and the CLI show it: the fit, or why there is none."""

    device: str
    point: str
    n_samples: int
    calibration: ProbeCalibration | None
    error: str = ""  # why the samples gave no calibration ("" with none or a fit)

    @property
    def key(self) -> str:
        return probe_key(self.device, self.point)


@dataclass(frozen=True, slots=True)
class RawLookup:
    """How a sample's raw value is read from the box when it is not typed in.

    ``hold``: how long a probe's stored reading stands for its value while the probe holds
    steady (the store keeps a reading only when it moves past the deadband, its quality
    changes or the heartbeat passes, :mod:`controller.runtime.telemetry`). ``live``: the
    probe's good live value now (% vol, ``None`` if it has none), for a sample taken now
    (readings wait in memory until the next commit); ``None`` where there is no live view
    (the CLI's process). ``doubted``: why the controller doubts the probe now (its open
    plausibility alarm's code, or ``sensor_fault``), ``None`` if it does not; a doubted probe
    gives no raw value. ``tz``: the site's zone, in which a refusal says the sample's time."""

    hold: dt.timedelta = HOLD
    tz: dt.tzinfo = dt.UTC
    live: Callable[[str, str], float | None] | None = None
    doubted: Callable[[str, str], str | None] | None = None


def raw_lookup(
    site: SiteConfig,
    live: Callable[[str, str], float | None] | None = None,
    doubted: Callable[[str, str], str | None] | None = None,
) -> RawLookup:
    """The site's :class:`RawLookup`: the hold is the soil-probe kind's heartbeat
    (``[store.telemetry.soil_probe]``) plus the slowest soil probe's poll interval (the
    heartbeat's reading is taken at the first poll after it) plus ``idle_flush_s`` (it waits
    in memory that long before it is committed), in seconds."""
    polls_s = [
        site.device(p.device).poll_interval_s
        for z in site.zones
        for p in z.probes
        if any(d.name == p.device for d in site.devices)
    ]
    hold_s = (
        site.store.keeping("soil_probe").heartbeat_s
        + max(polls_s, default=0.0)
        + max(site.store.flush_s, site.store.idle_flush_s)
    )
    return RawLookup(dt.timedelta(seconds=hold_s), site.site.tz, live, doubted)


def raw_at(
    store: Store, device: str, point: str, at: dt.datetime, lookup: RawLookup | None = None
) -> float | None:
    """The probe's raw reading at ``at`` (% vol, uncalibrated), or ``None``: the value of
    :func:`raw_reading_at`."""
    return raw_reading_at(store, device, point, at, lookup)[0]


def raw_reading_at(
    store: Store, device: str, point: str, at: dt.datetime, lookup: RawLookup | None = None
) -> tuple[float | None, str]:
    """The probe's raw reading at ``at`` (% vol, uncalibrated) and where it came from
    (``live`` or ``store``); the value is ``None`` if it had no good one.

    When ``at`` is within :data:`NOW_WINDOW` of now and ``lookup.live`` is given: the live
    value, and only it (a newer reading, or a failing probe, may still wait in memory; the
    stored one would be stale). Otherwise the store is flushed first (readings wait in its
    memory up to ``idle_flush_s``), then: the mean of the good stored readings within
    :data:`RAW_WINDOW` of ``at``; else the last stored reading before ``at`` if it is good and
    at most ``lookup.hold`` older (a steady probe's value stands until its next stored
    reading). Raises :class:`~controller.store.StoreWriteError` if the flush fails (the
    buffered readings would be missed)."""
    lookup = lookup or RawLookup()
    if lookup.live is not None and abs(store.clock.now() - at) <= NOW_WINDOW:
        return lookup.live(device, point), "live"
    store.flush()  # this process's buffered readings, so the lookup sees every one
    values = [v for _, v in store.good_values(device, point, at - RAW_WINDOW, at + RAW_WINDOW)]
    if values:
        return sum(values) / len(values), "store"
    before = store.readings(device, point, at - lookup.hold, at + dt.timedelta(microseconds=1))
    if before:
        last = before[-1]  # any quality: a probe stored bad since has no value at ``at``
        if last.quality == "ok" and last.value is not None:
            return float(last.value), "store"
    return None, "store"


def add_sample(
    store: Store,
    probes: Iterable[str],
    *,
    device: str,
    theta_pct: float,
    method: str,
    at: dt.datetime | None,
    raw_pct: float | None,
    actor: str,
    note: str = "",
    point: str = MOISTURE_POINT,
    lookup: RawLookup | None = None,
) -> ProbeSample:
    """Check and store one soil sample of a configured probe (``probes``: their device names);
    audited. :class:`SampleRefused` names the field at fault. ``lookup``: how the raw value is
    read when ``raw_pct`` is ``None`` (:func:`raw_at`; default: no site, UTC, no live value)."""
    lookup = lookup or RawLookup()
    known = sorted(set(probes))
    if device not in known:
        listed = ", ".join(known) or "none configured"
        raise refused("probe", "unknown_probe", probe=device, listed=listed)
    if not (math.isfinite(theta_pct) and 0.0 <= theta_pct <= MAX_THETA_PCT):
        theta, max_pct = f"{theta_pct:g}", f"{MAX_THETA_PCT:g}"
        raise refused("theta_pct", "theta_outside", theta=theta, max_pct=max_pct)
    if method not in METHODS:
        raise refused("method", "unknown_method", method=method, methods=", ".join(METHODS))
    if len(note) > NOTE_MAX_CHARS:
        chars, max_chars = str(len(note)), str(NOTE_MAX_CHARS)
        raise refused("note", "note_too_long", chars=chars, max_chars=max_chars)
    now = store.clock.now()
    when = now if at is None else at
    if when.tzinfo is None:
        raise refused("at", "at_without_zone")
    if when > now + FUTURE_SLACK:
        raise refused("at", "at_in_future", at=_local_text(when, lookup.tz))
    if raw_pct is None:
        why = lookup.doubted(device, point) if lookup.doubted is not None else None
        if why is not None:
            raise refused("raw_pct", "probe_doubted", probe=device, alarm=why)
        raw_pct, source = raw_reading_at(store, device, point, when, lookup)
        if raw_pct is None:
            minutes = f"{lookup.hold.total_seconds() / 60:.0f}"
            at_text = _local_text(when, lookup.tz)
            if source == "live":
                raise refused("raw_pct", "no_live_reading", probe=device, at=at_text)
            raise refused("raw_pct", "no_raw_reading", probe=device, minutes=minutes, at=at_text)
    else:
        source = "given"
    if not (math.isfinite(raw_pct) and 0.0 <= raw_pct <= MAX_RAW_PCT):
        raise refused("raw_pct", "raw_outside", raw=f"{raw_pct:g}", max_pct=f"{MAX_RAW_PCT:g}")
    row = store.add_probe_sample(
        ProbeSample(
            device=device,
            point=point,
            sampled_at=when,
            theta_pct=theta_pct,
            method=method,
            raw_pct=raw_pct,
            raw_source=source,
            entered_by=actor,
            note=note,
        )
    )
    store.record_audit(
        actor,
        AUDIT_ACTION,
        {
            "id": row.id,
            "probe": probe_key(device, point),
            "sampled_at": when.isoformat(),
            "theta_pct": theta_pct,
            "method": method,
            "raw_pct": raw_pct,
            "raw_source": source,
            "note": note,
        },
    )
    return row


def _local_text(at: dt.datetime, tz: dt.tzinfo) -> str:
    """``at`` as the site's clock shows it, to the minute (the form's "local time")."""
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M}"


def _label(s: ProbeSample) -> str:
    return f"sample #{s.id} ({s.sampled_at:%Y-%m-%d %H:%M} UTC)"


class ProbeCalibrations:
    """Every probe's calibration, refitted when a sample is added (module docstring).

    Thread-safe: the scheduler's jobs and the API's handlers read it together."""

    def __init__(
        self,
        store: Store,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        runner: Runner = in_child,
    ) -> None:
        """``runner``: where the fits run, a child process (scikit-learn stays out of this
        one)."""
        self.store = store
        self._runner = runner
        self._monotonic = monotonic
        self._checked_at: float | None = None  # monotonic s of the last max(id) query
        self._seen_added = -1  # store.probe_samples_added when last checked
        self._lock = threading.Lock()
        self._seen_id: int | None = None  # the newest sample id fitted from
        self._states: dict[tuple[str, str], CalibrationState] = {}
        self._reported: dict[tuple[str, str], str] = {}  # the failure already raised

    # -- the fits -------------------------------------------------------------------------

    def refresh(self, *, force: bool = True) -> None:
        """Refit if a sample was added since the last fit (one ``max(id)`` query otherwise).

        ``force=False`` (every read) queries only when this process's store added a sample or
        :data:`RECHECK_S` passed since the last query. A store that cannot be read leaves the
        fits as they were (logged)."""
        now, added = self._monotonic(), self.store.probe_samples_added
        if (
            not force
            and added == self._seen_added
            and self._checked_at is not None
            and now - self._checked_at < RECHECK_S
        ):
            return
        self._checked_at, self._seen_added = now, added
        try:
            newest = self.store.last_probe_sample_id()
        except StoreError:
            log.exception("probe calibration: cannot read the samples; fits kept")
            return
        with self._lock:
            if newest == self._seen_id:
                return
            try:
                samples = self.store.probe_samples()
            except StoreError:
                log.exception("probe calibration: cannot read the samples; fits kept")
                return
            by_probe: dict[tuple[str, str], list[ProbeSample]] = {}
            for s in samples:
                by_probe.setdefault((s.device, s.point), []).append(s)
            fits = self._fit_all(list(by_probe.values()))
            self._states = {
                key: self._state_of(key, rows, fit)
                for (key, rows), fit in zip(by_probe.items(), fits, strict=True)
            }
            self._seen_id = newest

    def _fit_all(self, probes: list[list[ProbeSample]]) -> list[ProbeCalibration | Exception]:
        """Every probe's fit (or its error), in one child process; none without samples."""
        if not probes:
            return []
        samples = [
            [
                CalibrationSample(
                    s.raw_pct, s.theta_pct, METHOD_SD_PCT.get(s.method, 1.5), _label(s)
                )
                for s in rows
            ]
            for rows in probes
        ]
        try:
            return self._runner(fit_each, samples, timeout_s=FIT_TIMEOUT_S).value
        except Exception as exc:  # the child crashed or hung: each probe reports it
            return [exc] * len(probes)

    def _state_of(
        self, key: tuple[str, str], rows: list[ProbeSample], fit: ProbeCalibration | Exception
    ) -> CalibrationState:
        device, point = key
        try:
            if isinstance(fit, Exception):
                raise fit
            cal = fit
        except TooLittleDataError:
            return CalibrationState(device, point, len(rows), None)
        except (LearningInputError, LearnedModelError) as exc:
            message = str(exc)
            self._report(key, message)
            return CalibrationState(device, point, len(rows), None, error=message)
        except Exception as exc:  # never into a job or a page: the raw value stays in charge
            log.exception("probe calibration of %s failed", probe_key(device, point))
            message = f"{type(exc).__name__}: {exc}"
            self._report(key, message)
            return CalibrationState(device, point, len(rows), None, error=message)
        self._reported.pop(key, None)
        return CalibrationState(device, point, len(rows), cal)

    def _report(self, key: tuple[str, str], message: str) -> None:
        """Raise ``model_unavailable`` once for this failure of the probe."""
        if self._reported.get(key) == message:
            return
        self._reported[key] = message
        name = probe_key(*key)
        try:
            self.store.raise_event(
                Severity.WARNING,
                EVENT_CODE,
                key[0],
                f"{MODEL_NAME} of probe {name} unavailable: {message}; "
                "its raw reading is used as θ until the samples are corrected",
            )
        except StoreError:
            log.exception("probe calibration: cannot record model_unavailable for %s", name)

    # -- the one view of a probe's θ ------------------------------------------------------

    def state(self, device: str, point: str = MOISTURE_POINT) -> CalibrationState:
        """The probe's calibration now (none: no sample yet)."""
        self.refresh(force=False)
        with self._lock:
            found = self._states.get((device, point))
        return found if found is not None else CalibrationState(device, point, 0, None)

    def states(self) -> list[CalibrationState]:
        """Every probe with samples, by name."""
        self.refresh(force=False)
        with self._lock:
            return [self._states[k] for k in sorted(self._states)]

    def calibration(self, device: str, point: str = MOISTURE_POINT) -> ProbeCalibration | None:
        return self.state(device, point).calibration

    def theta_pct(self, device: str, raw_pct: float, point: str = MOISTURE_POINT) -> float:
        """θ (% vol) of one raw reading of the probe: calibrated if it has a calibration."""
        cal = self.calibration(device, point)
        return raw_pct if cal is None else cal.theta_pct(raw_pct)

    def good_values(
        self, device: str, point: str, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[dt.datetime, float]]:
        """The probe's good readings with ``start <= time < end`` as θ (% vol), in time order
        (:meth:`controller.store.Store.good_values`, calibrated)."""
        values = self.store.good_values(device, point, start, end)
        cal = self.calibration(device, point)
        if cal is None:
            return values
        return [(t, cal.theta_pct(v)) for t, v in values]
