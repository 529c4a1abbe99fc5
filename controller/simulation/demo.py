"""The living demo: a season already under way, then the daemon on an accelerated clock.

``qanat demo`` shows a site in the middle of its season rather than an empty field on today's
date. Two parts, both production code on one :class:`controller.clock.VirtualClock` timeline
and one store (``<data_dir>/qanat.db``):

* **the past**, from the scenario's first day up to noon (:data:`SWITCH_AT`) of "today"
  (default :data:`DEFAULT_DAY`, early July), at agronomy fidelity
  (:class:`controller.simulation.fidelity.AgronomySeason`): the daemon's poller, balance,
  close of day, planning and fertigation recipes at their times, each planned run recorded
  as done — readings, balances, decisions, runs with their fertilizer and water to date are
  in the store, in a quarter to half a minute for four zones. A run watering at noon is let
  finish, and the past goes on hour by hour (at most :data:`WAIT_FOR_PLAN_S`) until the plan
  has queued a run, so that the newcomer sees one: "today" may so become a day or two later;
* **the present**, the full stack (:class:`controller.simulation.season.Season`): the simulated
  devices on loopback Modbus, the daemon with its control loop, sequencer and supervisor, the
  true soil carried over from the past. Its clock runs :attr:`LivingDemo.speed` times faster
  than the wall clock (:meth:`LivingDemo.run_clock`), so a planned run starts and ends while
  someone watches. It starts with the runs the past's planning queued (decided and recorded
  once: the present does not plan the same moment again), and skips ahead (at full speed) to
  :data:`LEAD_S` before the first of them.

A virtual clock is trusted as it is (nothing waits for NTP). The store is the demo's own: the
data directory must be empty or a previous demo's (:data:`MARKER`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import shutil
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from controller.agronomy.fertplan import FertRun
from controller.simulation.fidelity import FAST_TMP, AgronomySeason
from controller.simulation.season import (
    AS_CONFIGURED,
    Scenario,
    ScenarioError,
    Season,
    load_scenario,
)
from controller.simulation.truth import BucketTruth
from drivers.sim.soilphysics import SoilColumn

__all__ = [
    "DEFAULT_DAY",
    "DEFAULT_SCENARIO",
    "DEFAULT_SPEED",
    "DemoError",
    "LivingDemo",
    "demo_day",
    "demo_scenario",
    "prepare_data_dir",
]

log = logging.getLogger(__name__)

DEFAULT_SCENARIO = "zhangye-seed-corn"
DEFAULT_DAY = (7, 5)  # month, day: early July, the crop near its peak water use
DEFAULT_SPEED = 60.0  # one virtual minute per real second
LEAD_S = 600.0  # the accelerated part begins this long (virtual) before the first queued run
SKIP_CAP_S = 20 * 3600.0  # the full stack never skips further ahead than this to a run
# the past goes on after noon of "today" (at most this long) until the plan has queued a run
WAIT_FOR_PLAN_S = 7 * 86400.0
TICK_REAL_S = 0.2  # how often the accelerated clock is moved (real seconds)
MARKER = ".qanat-demo"  # a data directory holding this file is a demo's, cleared at each start
# the past reaches at least this local time of "today", outside the demo site's irrigation
# windows (20:00-08:00)
SWITCH_AT = dt.time(12)  # (a run cut in the middle would show as interrupted by a restart)


class DemoError(ScenarioError):
    """The demo cannot start as asked (a day outside the season, a data directory in use)."""


def demo_scenario(site_path: Path, scenario: Scenario | str = DEFAULT_SCENARIO) -> Scenario:
    """The scenario with ``site_path`` as its site; zones the scenario has no true soil for get
    the scenario's soils in turn (``z3`` the first zone's, ``z4`` the second's, …)."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    data = tomllib.loads(site_path.read_text(encoding="utf-8"))
    names = [str(z["name"]) for z in data.get("zones", [])]
    known = list(sc.soils.values())
    if not known:
        raise DemoError(f"{sc.path}: simulation.soils is empty")
    soils = {n: sc.soils.get(n, known[i % len(known)]) for i, n in enumerate(names)}
    return dataclasses.replace(sc, site_path=site_path, soils=soils)


def demo_day(
    scenario: Scenario, day: dt.date | None = None, day_of_season: int | None = None
) -> dt.date:
    """ "Today" of the demo: ``day``, else the scenario's first day + ``day_of_season``, else
    :data:`DEFAULT_DAY` of the scenario's year; :class:`DemoError` outside the season."""
    if day is None and day_of_season is not None:
        day = scenario.start + dt.timedelta(days=day_of_season)
    if day is None:
        day = dt.date(scenario.start.year, *DEFAULT_DAY)
    if not scenario.start < day < scenario.end:
        raise DemoError(
            f"day {day}: inside the season, after {scenario.start} and before {scenario.end}"
        )
    return day


def prepare_data_dir(data_dir: Path) -> None:
    """Make ``data_dir`` ready for a new demo: created if missing, a previous demo's store
    cleared; any other non-empty directory refused (:class:`DemoError`, nothing touched)."""
    if data_dir.exists():
        if not data_dir.is_dir():
            raise DemoError(f"--data-dir {data_dir}: not a directory")
        entries = list(data_dir.iterdir())
        if entries and not (data_dir / MARKER).is_file():
            raise DemoError(
                f"--data-dir {data_dir}: not empty and not a previous demo's; the demo writes a "
                "season of its own there, give it an empty or new directory"
            )
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("a qanat demo: cleared when the next demo starts\n")


class LivingDemo:
    """The past simulated, then the present on an accelerated clock (module docstring).

    ``with LivingDemo(...) as demo:`` runs the past and starts the present (the daemon is then
    ``demo.season.daemon``); :meth:`run_clock` moves time until its event is set.
    """

    def __init__(
        self,
        scenario: Scenario,
        data_dir: Path,
        day: dt.date,
        *,
        speed: float = DEFAULT_SPEED,
        seed: int = 0,
        control_port: int = 0,
    ) -> None:
        if not speed > 0:
            raise DemoError(f"speed {speed!r}: a positive factor (1 = real time)")
        self.scenario, self.data_dir, self.day = scenario, data_dir, day
        self.speed, self.seed, self.control_port = speed, seed, control_port
        self.season: Season | None = None
        self.history_s = 0.0  # real seconds the past took
        self.lock = threading.Lock()  # held while the clock moves

    def __enter__(self) -> LivingDemo:
        t0 = time.monotonic()
        self.scenario = _on_loopback(self.scenario, self.data_dir)
        past = AgronomySeason(
            self.scenario,
            AS_CONFIGURED,
            seed=self.seed,
            start=self.scenario.start,
        )
        tz = past_tz(self.scenario)
        switch = dt.datetime.combine(self.day, SWITCH_AT, tzinfo=tz)
        # the past is written where commits cost no fsync (tmpfs where there is one), then the
        # closed database is copied into the data directory
        fast = FAST_TMP if FAST_TMP.is_dir() else None
        with tempfile.TemporaryDirectory(dir=fast, prefix="qanat-demo-past-") as tmp:
            truths = past.history(Path(tmp), switch, wait_for_plan_s=WAIT_FOR_PLAN_S)
            # the runs the past planned and recorded but did not start: the present's queue
            queued = past.daemon.pop_due(dt.datetime.max.replace(tzinfo=dt.UTC))
            for db in Path(tmp).glob("qanat.db*"):
                shutil.copy2(db, self.data_dir / db.name)
        columns: dict[str, SoilColumn] = {z: cast(BucketTruth, t).column for z, t in truths.items()}
        self.history_s = time.monotonic() - t0
        switched = past.end.astimezone(tz)  # later than noon if a run was let finish
        season = Season(
            self.scenario,
            AS_CONFIGURED,
            seed=self.seed,
            workdir=self.data_dir,
            start=switched.date(),
            control_port=self.control_port,
            columns=columns,
            rain_total_mm=past.rain_total_mm,
            start_time=switched.time().replace(tzinfo=None),
        )
        self.season = season.__enter__()
        try:
            self._skip_to_first_run(queued)
        except BaseException:
            season.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.season is not None:
            with self.lock:
                self.season.__exit__(None, None, None)

    def _skip_to_first_run(self, queued: list[FertRun]) -> None:
        """Queue the runs the past planned (the daemon has just started: its planning time
        was the past's, whose decisions and notes are recorded once), then skip ahead at full
        speed to :data:`LEAD_S` before the first queued run (at most :data:`SKIP_CAP_S`)."""
        s = self.season
        assert s is not None and s.daemon is not None
        s.daemon.requeue(queued)
        start = s.clock.now()
        cap = start + dt.timedelta(seconds=SKIP_CAP_S)
        while not s.busy():
            now = s.clock.now()
            planned = s.daemon.planned()
            target = planned[0].start - dt.timedelta(seconds=LEAD_S) if planned else cap
            target = min(target, cap)
            if target <= now:
                return
            s.advance((target - now).total_seconds())

    def run_clock(self, stop: threading.Event, on_end: Callable[[], None] | None = None) -> None:
        """Move the virtual clock :attr:`speed` times faster than the wall clock until ``stop``
        is set or the season ends (then ``on_end``). Falls behind rather than skipping: a
        busy second is always a control tick."""
        s = self.season
        assert s is not None
        last = time.monotonic()
        while not stop.wait(TICK_REAL_S):
            now = time.monotonic()
            step_s = (now - last) * self.speed
            last = now
            left_s = (s.end - s.clock.now()).total_seconds()
            if left_s <= 0:
                log.warning("the demo season has ended: the clock stops")
                if on_end is not None:
                    on_end()
                return
            with self.lock:
                s.advance(min(step_s, left_s))

    def now(self) -> dt.datetime:
        assert self.season is not None
        return self.season.clock.now()


def _on_loopback(scenario: Scenario, data_dir: Path) -> Scenario:
    """The scenario with its site copied beside the demo's store, every bus's silence between
    frames (``gap_ms``) set to 0: the simulated devices answer on loopback, and the silence,
    real time between frames, was three quarters of an accelerated second (profiled).
    A site that names ``profile_dirs`` (relative to its file) is left where it is."""
    text = scenario.site_path.read_text(encoding="utf-8")
    if "profile_dirs" in text:
        return scenario
    path = data_dir / "site.loopback.toml"
    path.write_text(re.sub(r"(?m)^gap_ms\s*=\s*\d+", "gap_ms = 0", text), encoding="utf-8")
    return dataclasses.replace(scenario, site_path=path)


def past_tz(scenario: Scenario) -> dt.tzinfo:
    """The site's time zone (from its file, as the season reads it)."""
    data = tomllib.loads(scenario.site_path.read_text(encoding="utf-8"))
    return ZoneInfo(str(data["site"]["timezone"]))
