"""Sensor plausibility: doubt a soil probe or the weather station before its value decides water.

DESIGN principle 11 (trust no single input). It lives with the water balance: what it guards
are the balance's and the planner's inputs, and one of its rules compares a probe with the
water the zone received. Thresholds are ``[plausibility]`` in the site file (units in the key
names; docs/operations.md). The daemon calls :meth:`Plausibility.check` every
:data:`CHECK_EVERY_S`: the runs of sensor-mode zones are looked at while they water (and when
a finished run's judgement falls due); the stored readings of probes and station every
:data:`DATA_EVERY_S`, only those stored since the last time (a check costs a few queries, also
in a season simulation).

=====================  ==========================================================  ===========
code                   condition                                                   effect
=====================  ==========================================================  ===========
probe_flatline         a probe's moisture stays within ``flatline_tolerance_pct``  quarantine
                       for ``flatline_window_h`` (at least MIN_FLAT_READINGS)
probe_rate             moisture rises faster than ``max_rise_pct_h`` or falls      quarantine
                       faster than ``max_fall_pct_h`` between two readings (the
                       gap counted as at least RATE_FLOOR_S, so noise is no jump)
probe_no_response      a run of a sensor-mode zone applied ``response_after_mm``   quarantine
                       and a root-zone probe (depth ≤ ``response_max_depth_m``)
                       rose less than ``response_min_rise_pct`` above its value
                       before the run by ``response_lag_min`` after that water
station_frozen         every weather point of the station unchanged (within        ET0
                       FROZEN_TOLERANCE) for ``station_frozen_h``                   estimated
rain_gauge_suspect     the posted forecast gave ≥ ``rain_reported_mm`` over the    alarm
                       last ``rain_check_days`` days, the gauge counted none
=====================  ==========================================================  ===========

Every finding is a latched ALARM event whose source is the device, naming the device, the
point and the reason. A *quarantined* probe is one with such an alarm open: the water balance
and the planner leave it out (:meth:`Plausibility.quarantined`), and a sensor-mode zone with
no probe left is planned by the water balance like an ``et`` zone. Quarantine ends only when
the alarm is acknowledged (pages, ``POST /api/v1/alarms/{id}/ack``): a probe that froze once
and moves again has not shown it reads the soil, and only a person at the field can say so.
Evidence from before the acknowledgement is not held against the probe again.

A frozen station's day gets no measured ET0 (:func:`frozen_spans` over the day, used by
:meth:`controller.agronomy.jobs.Agronomy.measured_et0`): the balance estimates it from the
recent days as for a missing day. The site file names one station, so the rain gauge's
second source is the forecast the office posts (``POST /api/v1/forecast``), remembered per
day in memory (a restart forgets the past days' forecast).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from controller.agronomy.plausibility_notes import PROBE_WHERE, note
from controller.agronomy.types import PROBE_POINT, ForecastDay
from controller.agronomy.weather import (
    AIR_TEMPERATURE,
    HUMIDITY,
    MIN_HOURS,
    SOLAR_RADIATION,
    WIND_SPEED,
    day_bounds,
    rain_between,
)
from controller.clock import Clock
from controller.config.site import ProbeConfig, SiteConfig, ZoneConfig
from controller.learning.calibration import ProbeCalibrations
from controller.store import Event, Run, RunState, Severity, Store

__all__ = [
    "CHECK_EVERY_S",
    "CODES",
    "PROBE_CODES",
    "Finding",
    "Plausibility",
    "Segment",
    "frozen_spans",
    "quarantined_in",
    "rate_violation",
    "response_shortfall",
    "segments",
]

log = logging.getLogger(__name__)

CHECK_EVERY_S = 300.0  # the daemon's cadence: runs of watering sensor-mode zones are looked at
DATA_EVERY_S = 3 * 3600.0  # the probes' and the station's stored readings are read this often
MIN_FLAT_READINGS = 6
RATE_FLOOR_S = 300.0
ACK_LOOKBACK = dt.timedelta(days=30)  # a restart looks this far back for the last acknowledgement
RESTART_MARGIN = dt.timedelta(hours=1)
RESPONSE_BASELINE = dt.timedelta(hours=1)  # the probe's value before a run: its last hour
# A station point is "unchanged" within these (its resolution; a frozen logger repeats the
# same value exactly).
FROZEN_TOLERANCE = {AIR_TEMPERATURE: 0.05, HUMIDITY: 0.05, WIND_SPEED: 0.05, SOLAR_RADIATION: 0.5}
FORECAST_DAYS_KEPT = 64
RAIN_NONE_MM = 0.2  # one tip of a common gauge: less than this is "counted none"

PROBE_FLATLINE = "probe_flatline"
PROBE_RATE = "probe_rate"
PROBE_NO_RESPONSE = "probe_no_response"
STATION_FROZEN = "station_frozen"
RAIN_GAUGE_SUSPECT = "rain_gauge_suspect"
PROBE_CODES = frozenset({PROBE_FLATLINE, PROBE_RATE, PROBE_NO_RESPONSE})
CODES = PROBE_CODES | {STATION_FROZEN, RAIN_GAUGE_SUSPECT}

_FINAL = {RunState.DONE.value, RunState.ABORTED.value, RunState.INTERRUPTED.value}
Values = Sequence[tuple[dt.datetime, float]]


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule fired: its code, the device and point, and a message naming the values."""

    code: str
    device: str
    point: str
    message: str


def _probe_finding(code: str, device: str, **values: object) -> Finding:
    """A probe's finding of ``code``, its message written from the code's template."""
    return Finding(code, device, PROBE_POINT, note(code, **values))


@dataclass(frozen=True, slots=True)
class Segment:
    """Readings from ``start`` to ``end`` all within ``[lo, hi]`` (``n`` of them)."""

    start: dt.datetime
    end: dt.datetime
    lo: float
    hi: float
    n: int

    @property
    def span_s(self) -> float:
        return (self.end - self.start).total_seconds()


def segments(
    values: Iterable[tuple[dt.datetime, float]], tolerance: float, first: Segment | None = None
) -> list[Segment]:
    """Split readings (in time order) into runs whose max − min ≤ ``tolerance``, greedily;
    ``first`` is the run the readings continue (the incremental check's last one)."""
    out: list[Segment] = []
    seg = first
    for t, v in values:
        if seg is not None and max(seg.hi, v) - min(seg.lo, v) <= tolerance:
            seg = Segment(seg.start, t, min(seg.lo, v), max(seg.hi, v), seg.n + 1)
            continue
        if seg is not None:
            out.append(seg)
        seg = Segment(t, t, v, v, 1)
    if seg is not None:
        out.append(seg)
    return out


def rate_violation(
    previous: tuple[dt.datetime, float] | None,
    values: Values,
    max_rise_per_h: float,
    max_fall_per_h: float,
    floor_s: float = RATE_FLOOR_S,
) -> tuple[tuple[dt.datetime, float], tuple[dt.datetime, float], float] | None:
    """The first step between consecutive readings faster than the limits (units per hour,
    the gap counted as at least ``floor_s``): ``(before, after, rate per h)``; else ``None``."""
    last = previous
    for t, v in values:
        if last is not None:
            gap_s = max((t - last[0]).total_seconds(), floor_s)
            rate = (v - last[1]) / gap_s * 3600.0
            if rate > max_rise_per_h or -rate > max_fall_per_h:
                return last, (t, v), rate
        last = (t, v)
    return None


def response_shortfall(baseline: float, after: Sequence[float], min_rise: float) -> float | None:
    """The rise (max of ``after`` − ``baseline``) when it is below ``min_rise``; ``None`` when
    the probe rose enough or there is nothing after."""
    if not after:
        return None
    rise = max(after) - baseline
    return rise if rise < min_rise else None


def frozen_spans(
    series: Mapping[str, Values], window_s: float, tolerance: Mapping[str, float]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Intervals of at least ``window_s`` over which *every* series with readings stayed
    unchanged (within its ``tolerance``); a point with no readings is left out."""
    present = {p: v for p, v in series.items() if v}
    if not present:
        return []
    spans: list[tuple[dt.datetime, dt.datetime]] | None = None
    for point, values in present.items():
        flat = [
            (s.start, s.end)
            for s in segments(values, tolerance.get(point, 0.0))
            if s.span_s >= window_s and s.n >= MIN_FLAT_READINGS
        ]
        spans = flat if spans is None else _intersect(spans, flat)
    return [(a, b) for a, b in spans or [] if (b - a).total_seconds() >= window_s]


def _intersect(
    a: list[tuple[dt.datetime, dt.datetime]], b: list[tuple[dt.datetime, dt.datetime]]
) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(max(s0, s1), min(e0, e1)) for s0, e0 in a for s1, e1 in b if max(s0, s1) < min(e0, e1)]


def _utc(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


class SiteSource(Protocol):
    """Where the site comes from (:class:`controller.agronomy.jobs.Agronomy`: pages may replace
    it while the daemon runs)."""

    @property
    def site(self) -> SiteConfig: ...


@dataclass(slots=True)
class _Track:
    """What the incremental check remembers of one probe."""

    since: dt.datetime  # readings before this are no evidence (start, or acknowledgement)
    read_to: dt.datetime  # readings before this were seen
    segment: Segment | None = None
    last: tuple[dt.datetime, float] | None = None
    calibration: object | None = None  # the probe's calibration ``last``/``segment`` are in


def quarantined_in(store: Store) -> dict[str, Event]:
    """Probes (device names) with an open plausibility alarm in ``store``, and that alarm:
    :meth:`Plausibility.quarantined`, for a process without the agronomy (the CLI)."""
    return {e.source: e for e in store.open_alarms() if e.code in PROBE_CODES}


class Plausibility:
    """The plausibility rules of one site (module docstring); ``check(now)`` raises the alarms."""

    def __init__(
        self,
        source: SiteSource,
        store: Store,
        clock: Clock,
        *,
        probes: ProbeCalibrations | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.clock = clock
        # probes are judged on their θ (calibrated), as the balance uses them
        self.probes = probes if probes is not None else ProbeCalibrations(store)
        self._tracks: dict[str, _Track] = {}
        self._judged: set[tuple[int, str]] = set()  # (run id, probe) whose response was judged
        self._forecast_rain: dict[dt.date, float] = {}
        self._rain_checked: dt.date | None = None
        self._data_at: dt.datetime | None = None  # when the readings were last read
        self._was_watering = False
        self._watering_since: dt.datetime | None = None  # any zone's run, for _settled
        self._next_deadline: dt.datetime | None = None  # a finished run's judgement is due
        self._frozen_from: dt.datetime | None = None  # start of the episode reported
        self._station_read_to: dt.datetime | None = None
        self._station_runs: dict[str, Segment] = {}  # point -> its latest unchanged run

    @property
    def site(self) -> SiteConfig:
        return self.source.site

    # -- quarantine -------------------------------------------------------------------------

    def quarantined(self) -> dict[str, Event]:
        """Probes (device names) with an open plausibility alarm, and that alarm."""
        return quarantined_in(self.store)

    def remember_forecast(self, days: Iterable[ForecastDay]) -> None:
        """Keep each day's forecast rain (mm): once the day is past, it is the rain gauge's
        second source."""
        for day in days:
            self._forecast_rain[day.date] = day.rain_mm
        for old in sorted(self._forecast_rain)[:-FORECAST_DAYS_KEPT]:
            del self._forecast_rain[old]

    # -- the check --------------------------------------------------------------------------

    def check(
        self, now: dt.datetime | None = None, watering: Collection[str] = ()
    ) -> list[Finding]:
        """Evaluate the rules that are due (module docstring); raise an alarm for each finding;
        return them. ``watering``: the zones with a run now (their runs are looked at on
        every call). Never raises for bad data (a store failure propagates)."""
        now = self.clock.now() if now is None else now
        if not watering:
            self._watering_since = None
        elif self._watering_since is None:
            self._watering_since = now
        cfg = self.site.plausibility
        judged = {
            z.name: [p for p in z.probes if p.depth_m <= cfg.response_max_depth_m]
            for z in self.site.zones
            if z.mode == "sensor"
        }
        wet = bool(set(watering) & {z for z, probes in judged.items() if probes})
        data_due = self._data_at is None or (now - self._data_at).total_seconds() >= DATA_EVERY_S
        deadline = self._next_deadline
        runs_due = any(judged.values()) and (
            wet
            or self._was_watering
            or data_due
            or (deadline is not None and self._settled(now) >= deadline)
        )
        self._was_watering = wet
        findings: list[Finding] = []
        if data_due or runs_due:
            quarantined = self.quarantined()
            if data_due:
                findings += self._check_data(now, quarantined)
            if runs_due:
                findings += self._check_runs(now, judged, quarantined)
        found_rain = self._check_rain(now)
        if found_rain is not None:
            self._raise(found_rain)
            findings.append(found_rain)
        return findings

    def _check_data(self, now: dt.datetime, quarantined: dict[str, Event]) -> list[Finding]:
        """The probes' and the station's readings stored since the last time; each finding
        raised (and a probe's entered in ``quarantined``)."""
        self._data_at = now
        findings = []
        for zone in self.site.zones:
            for probe in zone.probes:
                if probe.device in quarantined:
                    self._tracks.pop(probe.device, None)  # acknowledged: start afresh
                    continue
                found = self._check_probe(zone, probe.device, probe.depth_m, now)
                if found is not None:
                    quarantined[probe.device] = self._raise(found)
                    self._tracks.pop(probe.device, None)  # after the acknowledgement: afresh
                    findings.append(found)
        found = self._check_station(now)
        if found is not None:
            self._raise(found)
            findings.append(found)
        return findings

    def _check_runs(
        self,
        now: dt.datetime,
        judged: dict[str, list[ProbeConfig]],
        quarantined: dict[str, Event],
    ) -> list[Finding]:
        """The runs of sensor-mode zones against their root-zone probes; each finding raised."""
        cfg = self.site.plausibility
        lag = dt.timedelta(minutes=cfg.response_lag_min)
        longest = max((z.max_run_min for z in self.site.zones), default=0.0)
        lookback = dt.timedelta(minutes=longest) + lag + dt.timedelta(days=1)
        runs = self.store.runs(start=now - lookback, end=now)
        self._next_deadline = None
        findings = []
        for zone in self.site.zones:
            for probe in judged.get(zone.name, []):
                if probe.device in quarantined:
                    continue
                found = self._check_response(
                    zone,
                    probe.device,
                    probe.depth_m,
                    [r for r in runs if r.zone == zone.name],
                    now,
                )
                if found is not None:
                    quarantined[probe.device] = self._raise(found)
                    self._tracks.pop(probe.device, None)
                    findings.append(found)
        return findings

    def _raise(self, f: Finding) -> Event:
        log.error("plausibility %s %s.%s: %s", f.code, f.device, f.point, f.message)
        return self.store.raise_event(Severity.ALARM, f.code, f.device, f.message, latched=True)

    # -- probes -----------------------------------------------------------------------------

    def _track(self, device: str, now: dt.datetime) -> _Track:
        track = self._tracks.get(device)
        if track is None:
            cfg = self.site.plausibility
            # a restart reads back the window and an hour more: readings of the last hour
            # before now may not be stored yet
            since = now - dt.timedelta(hours=cfg.flatline_window_h) - RESTART_MARGIN
            acked = [
                _utc(e.acked_at)
                for e in self.store.events(now - ACK_LOOKBACK, now)
                if e.code in PROBE_CODES and e.source == device and e.acked_at is not None
            ]
            since = max([since, *acked])
            track = self._tracks[device] = _Track(since=since, read_to=since)
        return track

    def _settled(self, now: dt.datetime) -> dt.datetime:
        """Readings before this are in the store: the poller commits them in batches,
        ``idle_flush_s`` apart while no water runs, every ``flush_s`` while it runs — once
        water has run for ``flush_s``, what came before it is committed too."""
        store = self.site.store
        lag_s = store.idle_flush_s
        since = self._watering_since
        if since is not None and (now - since).total_seconds() >= store.flush_s:
            lag_s = store.flush_s
        return now - dt.timedelta(seconds=lag_s + CHECK_EVERY_S)

    def _check_probe(
        self, zone: ZoneConfig, device: str, depth_m: float, now: dt.datetime
    ) -> Finding | None:
        cfg = self.site.plausibility
        track = self._track(device, now)
        settled = self._settled(now)
        if settled <= track.read_to:
            return None
        values = self.probes.good_values(device, PROBE_POINT, track.read_to, settled)
        calibration = self.probes.calibration(device, PROBE_POINT)
        if calibration is not track.calibration:
            # a new calibration (a sample was entered): what was remembered is on the old
            # scale, and comparing across would look like a jump; start from these readings
            track.last, track.segment, track.calibration = None, None, calibration
        track.read_to = settled
        where = PROBE_WHERE.format(device=device, zone=zone.name, depth_m=f"{depth_m:g}")
        jump = rate_violation(track.last, values, cfg.max_rise_pct_h, cfg.max_fall_pct_h)
        if values:
            track.last = values[-1]
        if jump is not None:
            (t0, v0), (t1, v1), rate = jump
            limit = cfg.max_rise_pct_h if rate > 0 else cfg.max_fall_pct_h
            return _probe_finding(
                PROBE_RATE,
                device,
                where=where,
                before_pct=f"{v0:.1f}",
                after_pct=f"{v1:.1f}",
                t0=f"{t0:%H:%M}",
                t1=f"{t1:%H:%M}",
                rate_pct_h=f"{rate:+.0f}",
                limit_pct_h=f"{limit:g}",
            )
        segs = segments(values, cfg.flatline_tolerance_pct, track.segment)
        if segs:
            track.segment = segs[-1]
        window_s = cfg.flatline_window_h * 3600
        for seg in segs:
            if seg.span_s >= window_s and seg.n >= MIN_FLAT_READINGS:
                return _probe_finding(
                    PROBE_FLATLINE,
                    device,
                    where=where,
                    low_pct=f"{seg.lo:.2f}",
                    high_pct=f"{seg.hi:.2f}",
                    hours=f"{seg.span_s / 3600:.1f}",
                    readings=seg.n,
                    tolerance_pct=f"{cfg.flatline_tolerance_pct:g}",
                )
        return None

    def _check_response(
        self,
        zone: ZoneConfig,
        device: str,
        depth_m: float,
        runs: Sequence[Run],
        now: dt.datetime,
    ) -> Finding | None:
        """Did the probe rise after each of the zone's ``runs`` gave ``response_after_mm``?
        A run whose judgement is still to come sets :attr:`_next_deadline`."""
        cfg = self.site.plausibility
        lag = dt.timedelta(minutes=cfg.response_lag_min)
        settled = self._settled(now)
        track = self._track(device, now)
        where = PROBE_WHERE.format(device=device, zone=zone.name, depth_m=f"{depth_m:g}")
        for run in runs:
            if run.id is None or run.started_at is None or (run.id, device) in self._judged:
                continue
            started = _utc(run.started_at)
            ended = _utc(run.ended_at) if run.ended_at is not None else None
            running = run.state == RunState.RUNNING.value
            applied_mm = run.applied_m3 / zone.area_m2_value * 1000.0
            if applied_mm < cfg.response_after_mm:
                if run.state in _FINAL:
                    self._judged.add((run.id, device))  # too little water to say anything
                continue
            if not running and ended is None:
                continue
            # when the run had given response_after_mm, at its mean metered flow
            until = now if running or ended is None else ended
            reached = started + (until - started) * (cfg.response_after_mm / applied_mm)
            deadline = reached + lag
            if settled < deadline:
                if not running:
                    nxt = self._next_deadline
                    self._next_deadline = deadline if nxt is None else min(nxt, deadline)
                continue
            self._judged.add((run.id, device))
            if started < track.since:
                continue  # before the acknowledgement: judged already
            before = self.probes.good_values(
                device, PROBE_POINT, started - RESPONSE_BASELINE, started
            )
            after = self.probes.good_values(device, PROBE_POINT, started, deadline)
            if not before:
                continue  # no value before the run to compare with
            base = before[-1][1]
            rise = response_shortfall(base, [v for _, v in after], cfg.response_min_rise_pct)
            if rise is not None:
                return _probe_finding(
                    PROBE_NO_RESPONSE,
                    device,
                    where=where,
                    run=run.id,
                    after_mm=f"{cfg.response_after_mm:g}",
                    reached=f"{reached:%H:%M}",
                    applied_mm=f"{applied_mm:.1f}",
                    rise_pct=f"{rise:+.1f}",
                    base_pct=f"{base:.1f}",
                    deadline=f"{deadline:%H:%M}",
                    min_rise_pct=f"{cfg.response_min_rise_pct:g}",
                    lag_min=f"{cfg.response_lag_min:g}",
                )
        return None

    # -- weather ----------------------------------------------------------------------------

    def station_points(self) -> dict[str, float]:
        """The station's weather points checked for freezing, with their tolerance."""
        station = self.site.weather.station if self.site.weather else None
        profile = self.site.profiles.get(station) if station else None
        if profile is None:
            return {}
        return {p: tol for p, tol in FROZEN_TOLERANCE.items() if profile.has_point(p)}

    def frozen_in(
        self, station: str, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """Spans in ``[start, end)`` over which the station was frozen (module docstring)."""
        window_s = self.site.plausibility.station_frozen_h * 3600
        points = self.station_points()
        series = {p: self.store.good_values(station, p, start, end) for p in points}
        return frozen_spans(series, window_s, points)

    def _check_station(self, now: dt.datetime) -> Finding | None:
        """Every point's latest unchanged run, extended by the readings since the last call;
        frozen when they overlap for ``station_frozen_h``. Reported once per episode."""
        station = self.site.weather.station if self.site.weather else None
        if station is None:
            return None
        settled = self._settled(now)
        window = dt.timedelta(hours=self.site.plausibility.station_frozen_h)
        read_from = self._station_read_to or settled - window - RESTART_MARGIN
        if settled <= read_from:
            return None
        self._station_read_to = settled
        points = self.station_points()
        for point, tol in points.items():
            values = self.store.good_values(station, point, read_from, settled)
            segs = segments(values, tol, self._station_runs.get(point))
            if segs:
                self._station_runs[point] = segs[-1]
        runs = [self._station_runs[p] for p in points if p in self._station_runs]
        if not runs:
            return None
        start, end = max(r.start for r in runs), min(r.end for r in runs)
        frozen = end - start >= window and all(r.n >= MIN_FLAT_READINGS for r in runs)
        if not frozen or self._frozen_from == start:
            return None
        self._frozen_from = start
        if any(e.code == STATION_FROZEN and e.source == station for e in self.store.open_alarms()):
            return None  # still open from before a restart
        names = ", ".join(points)
        return Finding(
            STATION_FROZEN,
            station,
            names,
            note(
                STATION_FROZEN,
                station=station,
                points=names,
                start=f"{start:%Y-%m-%d %H:%M}",
                end=f"{end:%H:%M}",
                hours=f"{(end - start).total_seconds() / 3600:.1f}",
            ),
        )

    def _check_rain(self, now: dt.datetime) -> Finding | None:
        """Once a day: the forecast's rain over the last whole days against the gauge."""
        station = self.site.weather.station if self.site.weather else None
        if station is None:
            return None
        tz = self.site.site.tz
        today = now.astimezone(tz).date()
        if self._rain_checked == today:
            return None
        self._rain_checked = today
        cfg = self.site.plausibility
        days = [today - dt.timedelta(days=k) for k in range(cfg.rain_check_days, 0, -1)]
        if not all(d in self._forecast_rain for d in days):
            return None
        reported = sum(self._forecast_rain[d] for d in days)
        if reported < cfg.rain_reported_mm:
            return None
        start, end = day_bounds(days[0], tz)[0], day_bounds(days[-1], tz)[1]
        counted, hours = rain_between(self.store, station, start, end)
        if hours < MIN_HOURS * len(days) or counted >= RAIN_NONE_MM:
            return None
        if any(
            e.code == RAIN_GAUGE_SUSPECT and e.source == station for e in self.store.open_alarms()
        ):
            return None  # still open: one alarm until someone has looked
        return Finding(
            RAIN_GAUGE_SUSPECT,
            station,
            "rain",
            note(
                RAIN_GAUGE_SUSPECT,
                station=station,
                counted_mm=f"{counted:.1f}",
                first=days[0],
                last=days[-1],
                reported_mm=f"{reported:.1f}",
                limit_mm=f"{cfg.rain_reported_mm:g}",
            ),
        )
