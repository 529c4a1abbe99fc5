"""Print each learning part's figures as JSON lines, then the goals met or not."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from typing import Any

from benchmarks.learning import PARTS, ROW_PARTS, SEEDED_PARTS
from controller.config.site import CALIBRATION_DRY_DOWN_RANGE


def _met(value: Any, rule: tuple[str, float]) -> bool:
    op, bound = rule
    if not isinstance(value, int | float):
        return False
    return value >= bound if op == ">=" else value <= bound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.learning", description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="draws the faults and soils")
    parser.add_argument("--quick", action="store_true", help="fewer seasons, for CI")
    parser.add_argument("--part", action="append", choices=PARTS, help="only these parts")
    parser.add_argument(
        "--seeds", type=int, help="seeds from --seed, for the parts that run several (referee)"
    )
    parser.add_argument(
        "--rows",
        help="comma-separated rows of the parts that have them (referee: e.g. forecast,"
        "after_forecast, default all; forecast: shadow, probe_level, default none)",
    )
    parser.add_argument(
        "--calibration-fraction",
        type=float,
        help="soil: the calibration dry-down's target, a fraction of the configured TAW "
        "(0.6-0.85, the zone's calibration_dry_down; default 0.8)",
    )
    args = parser.parse_args(argv)
    low, high = CALIBRATION_DRY_DOWN_RANGE
    if args.calibration_fraction is not None and not low <= args.calibration_fraction <= high:
        parser.error(f"--calibration-fraction {args.calibration_fraction}: not in {low}-{high}")
    goals: dict[str, bool] = {}
    for name in args.part or PARTS:
        part = importlib.import_module(f"benchmarks.learning.{name}")
        started = time.perf_counter()
        many: dict[str, Any] = {}
        if name in SEEDED_PARTS and args.seeds:
            many["seeds"] = args.seeds
        if name in (*SEEDED_PARTS, *ROW_PARTS) and args.rows:
            many["rows"] = tuple(r.strip() for r in args.rows.split(",") if r.strip())
        if name == "soil" and args.calibration_fraction is not None:
            many["calibration_fraction"] = args.calibration_fraction
        figures = part.run(seed=args.seed, quick=args.quick, **many)
        for row in figures.pop("per_seed", []):  # a part over several seeds: a line each
            print(json.dumps({"part": part.NAME, **row}), flush=True)
        line = {"part": part.NAME, "seed": args.seed, "quick": args.quick, **figures}
        line["wall_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(line), flush=True)
        for key, rule in part.GOALS.items():
            goals[f"{part.NAME}.{key}"] = _met(figures.get(key), rule)
    print(
        # parts without goals (referee: a table, no bound) leave nothing to meet: null
        json.dumps(
            {"part": "goals", "met": all(goals.values()) if goals else None, "goals": goals}
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
