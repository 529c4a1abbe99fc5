"""The whole-season goals over many weather seeds, run by hand (minutes per seed).

``python -m hil_tests.season_goals --seeds 1-10 [--jobs 2] [--json OUT.json]`` runs the Zhangye
scenario under the ET strategy (and the conventional practice for comparison) for each seed,
prints every season's table and the spread, and exits 1 unless every seed meets the goals:

* ≥ 200 m³/mu saved against the conventional practice of the scenario (550 m³/mu a season);
* zero days of crop water stress in the critical stages (jointing to grain filling);
* actual ET of the season within 5 % of the unstressed ETc (every zone).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from controller.cli.simulate import format_spread, format_table
from controller.counted import counted
from controller.simulation.season import SeasonReport, quiet_logs, run_season

SAVING_M3_MU = 200.0
ETA_TOLERANCE = 0.05


def _season(args: tuple[str, int]) -> SeasonReport:
    strategy, seed = args
    with quiet_logs():
        return run_season("zhangye-seed-corn", strategy, seed)


def failures(report: SeasonReport) -> list[str]:
    """Which goals a season misses (empty: all met)."""
    if not report.zones:
        return ["no zone simulated"]
    out = []
    if report.saving_m3_per_mu < SAVING_M3_MU:
        out.append(f"saved {report.saving_m3_per_mu:.0f} < {SAVING_M3_MU:g} m³/mu")
    for z in report.zones:
        if not z.days:  # no day, no stress and no water: nothing was shown
            out.append(f"{z.zone}: no simulated day")
        if z.critical_stress_days:
            out.append(f"{z.zone}: {z.critical_stress_days} stress days in critical stages")
        if not z.eta_ratio >= 1 - ETA_TOLERANCE:  # NaN (no ETc) misses the goal too
            out.append(f"{z.zone}: ETa/ETc {z.eta_ratio:.3f} < {1 - ETA_TOLERANCE:.2f}")
    return out


def verdict(missed_seeds: int) -> str:
    """The last line: the goals met on every seed, or on how many seeds they were missed."""
    if not missed_seeds:
        return "goals met on every seed"
    return f"goals missed on {counted(missed_seeds, 'seed', 'seeds')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hil_tests.season_goals")
    parser.add_argument("--seeds", default="1-10")
    parser.add_argument("--strategies", default="et,conventional")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    tasks = [(s, seed) for s in args.strategies.split(",") for seed in seeds]
    by_strategy: dict[str, list[SeasonReport]] = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for r in pool.map(_season, tasks):  # in order, each printed as soon as it is there
            by_strategy.setdefault(r.strategy, []).append(r)
            print(format_table(r), flush=True)
    summary: dict[str, Any] = {}
    for strategy, rs in by_strategy.items():
        print(f"{strategy}: " + format_spread(rs))
        summary[strategy] = [r.to_dict() for r in rs]
    missed = {r.seed: failures(r) for r in by_strategy.get("et", []) if failures(r)}
    for seed, why in missed.items():
        print(f"seed {seed}: " + "; ".join(why))
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    print(verdict(len(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
