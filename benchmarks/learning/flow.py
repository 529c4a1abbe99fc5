"""Flow signatures, evaluated: slow leaks and clogs found in sequences of simulated runs.

Each simulated site is the demo site (four zones of 100 m³/h design flow on the head's meter,
a line pressure transmitter) with its own store (SQLite) and virtual clock. Every day each
zone runs once (15 to 40 min, one after the other, a few days skipped), and its run is written
as the daemon writes it: the run's row planned, started and finished, and the meter's flow
and the line pressure stored every poll (:data:`POLL_S`) while water runs. The water that runs:

* each zone's installed line gives a flow that differs from the design (× 0.85 to 1.10,
  drawn per zone: why a band around the design flow must be wide);
* the supply pressure varies from run to run (sd :data:`SUPPLY_SD_KPA` around 250 kPa) and
  the emitters' flow with its square root (about 1.6 % sd);
* the line fills during the zone's own fill time (30 to 90 s), then flows steadily with the
  field's 1 % step noise; the meter reads it with the simulated field's meter error
  (:data:`drivers.sim.field.METER_GAIN_SD`, :data:`~drivers.sim.field.METER_NOISE_SD`);
* a third of the zones get a clog, a third a leak (:func:`drivers.sim.field.line_flow_factor`,
  10 to 40 %, from a run drawn from the seed on), the rest stay sound.

After each run the product's own job (:class:`controller.learning.flow.FlowLearning`, its
feature extraction from the stored rows, the learned model and the CUSUM) judges it, as the
daemon's scheduled job does within minutes of the run's end. Scored on the alarm events in
the store: an alarm of the fault's kind at or after its onset is a detection; any other is a
false alarm. ``detect_runs`` counts the onset run as 1.

The job's fits run in this process (``runner=in_process``): the same numbers as the daemon's
child process (:mod:`models.learning.child`), without an interpreter's start for each of
the thousands of fits; ``train_s`` is the fits' own CPU time, not the daemon's (which adds
a child's start per zone's training, docs/deploy.md).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.learning.flow import FlowLearning
from controller.store import RunSource, RunState, Store
from drivers.reading import Quality, Reading
from drivers.sim.field import METER_GAIN_SD, METER_NOISE_SD, line_flow_factor
from models.learning.child import in_process

NAME = "flow"
GOALS = {
    "leak_precision": (">=", 0.9),
    "leak_recall": (">=", 0.9),
    "clog_precision": (">=", 0.9),
    "clog_recall": (">=", 0.9),
    "detect_runs_p90": ("<=", 2),
    "train_s": ("<=", 10),
}

ROOT = Path(__file__).resolve().parents[2]
DEMO_SITE = ROOT / "controller" / "config" / "examples" / "demo-site.toml"
POLL_S = 10.0  # the meter's poll interval while water runs (every poll stored)
SUPPLY_KPA = 250.0
SUPPLY_SD_KPA = 8.0
PRESSURE_NOISE_KPA = 1.0
FIELD_NOISE_SD = 0.01  # the simulated field's step noise of the flow
SKIP_DAY = 0.15  # chance a zone does not run on a day


@dataclass(frozen=True)
class Fault:
    kind: str  # "leak", "clog" or "" (sound)
    fraction: float
    onset: int  # run index (0-based) from which the line is faulty


@dataclass
class ZoneTruth:
    zone: str
    line_factor: float  # installed line vs design
    fill_s: float
    gain: float  # the meter's calibration gain seen by this zone
    fault: Fault


def record_run(
    store: Store,
    clock: VirtualClock,
    zone: str,
    minutes: float,
    flow_m3h: float,
    fill_s: float,
    rng: random.Random,
    *,
    meter: str = "flow1",
    pressure: str | None = "press1",
    pressure_kpa: float = SUPPLY_KPA,
    poll_s: float = POLL_S,
) -> int:
    """One run written as the daemon writes it: planned, started, the meter's flow (and the
    line pressure) stored every poll while the water runs, finished ``done``. The flow ramps
    up over ``fill_s`` then holds ``flow_m3h`` with the field's noise. Returns the run id."""
    run = store.plan_run(zone, RunSource.PLAN, minutes)
    assert run.id is not None
    store.start_run(run.id)
    start = clock.now()
    readings: list[Reading] = []
    steps = int(minutes * 60 / poll_s)
    applied = 0.0
    for i in range(1, steps + 1):
        t_s = i * poll_s
        ramp = min(1.0, t_s / fill_s)
        flow = flow_m3h * ramp * (1 + rng.gauss(0, FIELD_NOISE_SD))
        read = max(0.0, flow * (1 + rng.gauss(0, METER_NOISE_SD)))
        applied += read * poll_s / 3600
        when = start + dt.timedelta(seconds=t_s)
        readings.append(Reading(meter, "flow_rate", read, "m3/h", Quality.OK, when))
        if pressure is not None:
            kpa = pressure_kpa + rng.gauss(0, PRESSURE_NOISE_KPA)
            readings.append(Reading(pressure, "line_pressure", kpa, "kPa", Quality.OK, when))
    store.add_readings(readings)
    clock.advance(minutes * 60 + 1)
    store.flush()
    store.finish_run(run.id, RunState.DONE, "benchmark run done", applied_m3=applied)
    return run.id


def _zones(site: SiteConfig, rng: random.Random, n_runs: int, min_runs: int) -> list[ZoneTruth]:
    out = []
    for zone in site.zones:
        kind = rng.choice(("", "leak", "clog"))
        fraction = rng.uniform(0.10, 0.40) if kind else 0.0
        onset = rng.randint(min_runs + 10, n_runs - 6) if kind else n_runs
        out.append(
            ZoneTruth(
                zone.name,
                line_factor=rng.uniform(0.85, 1.10),
                fill_s=rng.uniform(30, 90),
                gain=1 + rng.gauss(0, METER_GAIN_SD),
                fault=Fault(kind, fraction, onset),
            )
        )
    return out


@dataclass
class SiteResult:
    truths: list[ZoneTruth]
    alarms: list[tuple[str, str, int]]  # (zone, kind, run index of the zone)
    check_s: float
    train_s: float
    runs: int


def simulate_site(site: SiteConfig, seed: int, n_runs: int, workdir: Path) -> SiteResult:
    """One site's sequence of runs through the product's flow job; its alarms."""
    rng = random.Random(seed)
    tuning = site.model.learning.flow
    truths = _zones(site, rng, n_runs, tuning.min_runs)
    clock = VirtualClock(dt.datetime(2026, 4, 20, 4, 0, tzinfo=dt.UTC))
    check_s, runs = 0.0, 0
    alarms: list[tuple[str, str, int]] = []
    design = {z.name: z.nominal_flow_m3_h for z in site.zones}
    with Store.open_dir(workdir, clock=clock) as store:
        # the fits in this process: the same numbers as the daemon's child process, without
        # an interpreter's start per fit (thousands here)
        job = FlowLearning(lambda: site, store, workdir / "models", runner=in_process)
        index = dict.fromkeys(design, 0)
        while min(index.values()) < n_runs:
            day = clock.now().replace(hour=4, minute=0)
            for truth in truths:
                i = index[truth.zone]
                if i >= n_runs or rng.random() < SKIP_DAY:
                    continue
                kpa = SUPPLY_KPA + rng.gauss(0, SUPPLY_SD_KPA)
                flow = design[truth.zone] * truth.line_factor * math.sqrt(kpa / SUPPLY_KPA)
                if truth.fault.kind and i >= truth.fault.onset:
                    flow *= line_flow_factor(truth.fault.kind, truth.fault.fraction)
                record_run(
                    store,
                    clock,
                    truth.zone,
                    rng.uniform(15, 40),
                    flow * truth.gain,
                    truth.fill_s,
                    rng,
                    pressure_kpa=kpa,
                )
                started = time.perf_counter()
                decided = job.check()
                check_s += time.perf_counter() - started
                alarms += [(z, d.kind, i) for z, d in decided]
                index[truth.zone] = i + 1
                runs += 1
            clock.set(day + dt.timedelta(days=1))
        raised = {
            (e.source, e.code) for e in store.events() if e.code in ("zone_leak", "zone_clog")
        }
    # the job's decisions and the store's alarms must agree (one alarm while one is open)
    assert {(z, f"zone_{k}") for z, k, _i in alarms} == raised, (alarms, raised)
    return SiteResult(truths, alarms, check_s, job.train_s, runs)


def score(results: list[SiteResult]) -> dict[str, float | int]:
    """Precision and recall per kind, runs to detection, false alarms."""
    hits = {"leak": 0, "clog": 0}
    faults = {"leak": 0, "clog": 0}
    alarms = {"leak": 0, "clog": 0}
    delays: list[int] = []
    sound_runs = false_sound = 0
    for result in results:
        for truth in result.truths:
            f = truth.fault
            mine = [(k, i) for z, k, i in result.alarms if z == truth.zone]
            # one alarm while open: count the first of each kind (a latched warning)
            firsts = {k: min(i for kk, i in mine if kk == k) for k, _ in mine}
            for k in firsts:
                alarms[k] += 1
            if f.kind:
                faults[f.kind] += 1
                at = firsts.get(f.kind)
                if at is not None and at >= f.onset:
                    hits[f.kind] += 1
                    delays.append(at - f.onset + 1)
                sound_runs += f.onset
                false_sound += sum(1 for k, i in firsts.items() if i < f.onset or k != f.kind)
            else:
                sound_runs += result.runs // len(result.truths)
                false_sound += len(firsts)
    out: dict[str, float | int] = {}
    for k in ("leak", "clog"):
        out[f"{k}_faults"] = faults[k]
        out[f"{k}_precision"] = round(hits[k] / alarms[k], 3) if alarms[k] else 0.0
        out[f"{k}_recall"] = round(hits[k] / faults[k], 3) if faults[k] else 0.0
    out["detect_runs_p90"] = (
        float(statistics.quantiles(delays, n=10, method="inclusive")[-1])
        if len(delays) >= 2
        else float(delays[0] if delays else math.inf)
    )
    out["false_alarms_per_1000_runs"] = round(1000 * false_sound / max(1, sound_runs), 2)
    return out


def run(seed: int, quick: bool) -> dict[str, float | int | str]:
    sites, n_runs = (3, 60) if quick else (10, 150)
    site = load_site(DEMO_SITE)
    rng = random.Random(f"flow:{seed}")
    results = []
    with tempfile.TemporaryDirectory(prefix="qanat-flow-") as tmp:
        for s in range(sites):
            results.append(
                simulate_site(site, rng.randrange(2**31), n_runs, Path(tmp) / f"site{s}")
            )
    figures: dict[str, float | int | str] = dict(score(results))
    figures["zones"] = sum(len(r.truths) for r in results)
    runs = sum(r.runs for r in results)
    figures["runs"] = runs
    # per site, every training of the whole sequence of runs (all its zones), in CPU seconds
    # of the thread that trains: the wall time of a shared machine measures its other load
    figures["train_s"] = round(max(r.train_s for r in results), 2)
    # per run: reading its features from the store, judging it, training when due, saving
    figures["check_ms_per_run"] = round(1000 * sum(r.check_s for r in results) / runs, 1)
    return figures
