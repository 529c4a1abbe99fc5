"""Referee speed: one zone-season stepped day by day, and thirty weather years of practices.

Run by hand: ``python -m benchmarks.referee [--seeds N] [--jobs J]``. Measures, in one run:

* one zone-season (seed maize, 20 Apr – 20 Sep, the scenario's loam, drip practice) stepped
  day by day through :class:`~controller.simulation.referee.aquacrop.AquaCropField` (goal
  ≤ 5 s), against the peer: AquaCrop-OSPy running the same season whole with its own
  fixed-schedule method (``run_schedule``), the floor for any day-by-day driver;
* ``qanat simulate --truth aquacrop --compare`` over ``--seeds`` weather years (default 30)
  with ``--jobs`` processes (default 2): every compared strategy (the daemon's ``et``,
  ``sensor`` and ``calendar`` through the agronomy fidelity, and the practices), wall time
  (goal ≤ 10 min for 30 years), with the machine's load average before and after (the
  machine is shared: a loaded machine stretches the wall time).

Prints one JSON line per measurement. ``--skip-zone-season`` measures only the table;
``--out FILE`` keeps the table's JSON (``qanat simulate ... --json``) instead of discarding it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from controller.cli.referee import COMPARED
from controller.simulation.referee.evaluate import season_weather
from controller.simulation.referee.practices import accounting, practices
from controller.simulation.referee.truth import truth_field
from controller.simulation.season import load_scenario

REPEATS = 5


def _zone_season() -> tuple[float, float]:
    scenario = load_scenario("zhangye-seed-corn")
    acc = accounting(scenario)
    drip = practices(scenario)["drip-practice"]
    weather = season_weather(scenario, 1, acc)
    schedule = drip.schedule_mm()
    stepped, whole = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        field = truth_field(scenario, acc, "z1", weather, True, "spring")
        while not field.finished:
            field.step(schedule.get(field.today, 0.0))
        stepped.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        truth_field(scenario, acc, "z1", weather, True, "spring").run_schedule(schedule)
        whole.append(time.perf_counter() - t0)
    return statistics.median(stepped), statistics.median(whole)


def _compare(seeds: int, jobs: int, out: TextIO | None) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "controller.cli",
            "simulate",
            "--truth",
            "aquacrop",
            "--compare",
            "--seeds",
            f"1-{seeds}",
            "--jobs",
            str(jobs),
            "--json",
        ],
        check=True,
        stdout=subprocess.DEVNULL if out is None else out,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-zone-season", action="store_true")
    parser.add_argument("--out", type=Path, help="write the compared table's JSON here")
    args = parser.parse_args()
    if not args.skip_zone_season:
        stepped_s, whole_s = _zone_season()
        print(
            json.dumps(
                {
                    "benchmark": "referee-zone-season",
                    "stepped_s": round(stepped_s, 3),
                    "aquacrop_own_run_s": round(whole_s, 3),
                    "ratio_to_own_run": round(stepped_s / whole_s, 2),
                    "goal_s": 5.0,
                }
            ),
            flush=True,
        )
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(args.out.open("w", encoding="utf-8")) if args.out else None
        _compare(args.seeds, args.jobs, out)
    wall = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "benchmark": "referee-compare",
                "seeds": args.seeds,
                "jobs": args.jobs,
                "strategies": list(COMPARED),
                "wall_s": round(wall, 1),
                "goal_s": 600.0 * args.seeds / 30,
                "load_before": round(load_before, 1),
                "load_after": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
