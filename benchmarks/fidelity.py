"""Agronomy fidelity speed: one whole two-zone season, against the full-stack season.

Run by hand: ``python -m benchmarks.fidelity [--strategy et] [--seed 1] [--repeats 1]
[--truth bucket|aquacrop]``. Runs :class:`~controller.simulation.fidelity.AgronomySeason` over
the ``zhangye-seed-corn`` scenario (mid-April to 20 September, two zones) on the bucket truth or
the AquaCrop referee's (:func:`controller.simulation.referee.evaluate.daemon_season`, as
``qanat simulate --truth aquacrop`` runs it) and measures the process's CPU time (user +
system, s), not wall time: the 2-core machine is shared, and CPU time is what the season itself
costs. A first season is run untimed (imports, the ET0 kernel loaded from numba's cache). The
process has one numba thread (``--numba-threads``), as ``qanat simulate --truth aquacrop``'s
worker processes have (:mod:`controller.cli.referee`).
Goal: at most 5 s per zone-season (10 s for the season). The full-stack season
(:mod:`controller.simulation.season`, one control tick a second over real Modbus) takes about
14 minutes (``docs/simulation.md``: 12 to 15 min); it is not run here, its published figure is
the reference of the ratio.

Prints one JSON line: the median CPU seconds of ``--repeats`` seasons, per zone-season, the
season's runs (a quick check that it decided what it decides), and the ratio to the full stack.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

SCENARIO = "zhangye-seed-corn"
FULL_STACK_S = 14 * 60.0  # the full-stack season's published time, s
GOAL_PER_ZONE_S = 5.0


def season_cpu_s(strategy: str, seed: int, truth: str = "bucket") -> tuple[float, int, int]:
    """CPU seconds of one whole season, its number of zones and of runs (on the AquaCrop
    truth: of days it was watered, a run over midnight counting twice)."""
    from controller.simulation.fidelity import AgronomySeason  # after NUMBA_NUM_THREADS is set
    from controller.simulation.season import load_scenario

    scenario = load_scenario(SCENARIO)
    if truth == "aquacrop":
        from controller.simulation.referee.evaluate import daemon_season
        from controller.simulation.referee.practices import accounting

        acc = accounting(scenario)
        t0 = time.process_time()
        zones = daemon_season(scenario, acc, strategy, seed, "spring")
        cpu = time.process_time() - t0
        watered = sum(1 for z in zones.values() for d in z.season.days if d.irrigation_mm > 0)
        return cpu, len(zones), watered  # days the truth was watered: runs split at midnight
    t0 = time.process_time()
    report = AgronomySeason(scenario, strategy, seed=seed).run()
    cpu = time.process_time() - t0
    return cpu, len(report.zones), sum(len(z.runs) for z in report.zones)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", default="et")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--truth", choices=("bucket", "aquacrop"), default="bucket")
    parser.add_argument("--numba-threads", type=int, default=1)
    args = parser.parse_args()
    os.environ["NUMBA_NUM_THREADS"] = str(args.numba_threads)  # read when numba is imported
    season_cpu_s(args.strategy, args.seed, args.truth)  # warm: imports, numba cache, pandas
    results = [season_cpu_s(args.strategy, args.seed, args.truth) for _ in range(args.repeats)]
    cpu = statistics.median(r[0] for r in results)
    zones, runs = results[0][1], results[0][2]
    print(
        json.dumps(
            {
                "benchmark": "fidelity-season",
                "scenario": SCENARIO,
                "strategy": args.strategy,
                "truth": args.truth,
                "numba_threads": args.numba_threads,
                "seed": args.seed,
                "zones": zones,
                "runs": runs,
                "cpu_s": round(cpu, 2),
                "cpu_s_per_zone": round(cpu / zones, 2),
                "goal_s_per_zone": GOAL_PER_ZONE_S,
                "full_stack_s": FULL_STACK_S,
                "ratio_to_full_stack": round(cpu / FULL_STACK_S, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
