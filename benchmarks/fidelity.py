"""Agronomy fidelity speed: one whole two-zone season, against the full-stack season.

Run by hand: ``python -m benchmarks.fidelity [--strategy et] [--seed 1] [--repeats 1]``. Runs
:class:`~controller.simulation.fidelity.AgronomySeason` over the ``zhangye-seed-corn`` scenario
(mid-April to 20 September, two zones) and measures the process's CPU time (user + system,
s), not wall time: the 2-core machine is shared, and CPU time is what the season itself costs.
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
import statistics
import time

from controller.simulation.fidelity import AgronomySeason
from controller.simulation.season import load_scenario

SCENARIO = "zhangye-seed-corn"
FULL_STACK_S = 14 * 60.0  # the full-stack season's published time, s
GOAL_PER_ZONE_S = 5.0


def season_cpu_s(strategy: str, seed: int) -> tuple[float, int, int]:
    """CPU seconds of one whole season, its number of zones and of runs."""
    scenario = load_scenario(SCENARIO)
    t0 = time.process_time()
    report = AgronomySeason(scenario, strategy, seed=seed).run()
    cpu = time.process_time() - t0
    return cpu, len(report.zones), sum(len(z.runs) for z in report.zones)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", default="et")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    results = [season_cpu_s(args.strategy, args.seed) for _ in range(args.repeats)]
    cpu = statistics.median(r[0] for r in results)
    zones, runs = results[0][1], results[0][2]
    print(
        json.dumps(
            {
                "benchmark": "fidelity-season",
                "scenario": SCENARIO,
                "strategy": args.strategy,
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
