"""Where a full-stack season's time goes: CPU and Modbus transactions per busy second.

Run by hand: ``python -m benchmarks.fullstack [--start 2026-07-01] [--days 3] [--seed 1]
[--strategy et]``. Runs a window of :class:`~controller.simulation.season.Season` (the whole
daemon, one control tick a virtual second while water runs, real pymodbus servers on loopback)
and counts, per *busy second* (a 1-s step with an output on or a run active; the idle steps'
few polls and jobs are in the totals, so the figures are slightly high):

- the process's CPU time (user + system, s; client, simulated devices and store together —
  the 2-core machine is shared, so CPU time, not wall time, is what the window costs);
- the Modbus transactions by kind: reads (polls and the control tick's coil read-back), lease
  writes, and the reads that verify a write (:meth:`drivers.bus.Bus._verify`).

A whole season (mid-April to 20 September, two zones, seed 1) has about 125 pump hours, so
``projected_season_s`` = CPU per busy second × 450,000 s plus the idle steps' share, which is
small; the goal of a season 5× faster than 14 minutes needs ≤ 0.37 ms per busy second.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

SCENARIO = "zhangye-seed-corn"
SEASON_BUSY_S = 125 * 3600.0  # pump hours of the whole et season, seed 1 (docs/simulation.md)
GOAL_SEASON_S = 14 * 60.0 / 5.0  # 5× faster than the 14-minute season


def measure(start: dt.date, days: int, seed: int, strategy: str) -> dict[str, Any]:
    """One window of the full-stack season; the figures of the module docstring."""
    from controller.simulation.season import Season, load_scenario, quiet_logs
    from drivers.bus import Bus

    counts: Counter[str] = Counter()
    originals: dict[str, Callable[..., Any]] = {}

    def counting(name: str, kind: str) -> None:
        original = getattr(Bus, name)
        originals[name] = original

        def wrapper(self: Bus, *args: Any, **kwargs: Any) -> Any:
            counts[kind] += 1
            return original(self, *args, **kwargs)

        setattr(Bus, name, wrapper)

    counting("_transact", "transactions")
    counting("_verify", "verify_reads")
    counting("lease_output", "lease_writes")
    busy = 0
    try:
        with (
            quiet_logs(),
            Season(load_scenario(SCENARIO), strategy, seed=seed, start=start, days=days) as season,
        ):
            plain_busy = season.busy

            def counted_busy() -> bool:
                nonlocal busy
                b = plain_busy()
                busy += b
                return b

            season.busy = counted_busy  # type: ignore[method-assign]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            season.run()
            cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        for name, original in originals.items():
            setattr(Bus, name, original)
    if busy == 0:
        raise SystemExit(f"no water ran in {days} days from {start}: choose a later window")
    # _verify's read goes through _transact too; a lease write is one transaction.
    reads = counts["transactions"] - counts["lease_writes"] - counts["verify_reads"]
    cpu_ms = 1000.0 * cpu_s / busy
    return {
        "benchmark": "fullstack",
        "start": start.isoformat(),
        "days": days,
        "seed": seed,
        "strategy": strategy,
        "busy_s": busy,
        "cpu_s": round(cpu_s, 1),
        "wall_s": round(wall_s, 1),
        "cpu_ms_per_busy_s": round(cpu_ms, 2),
        "modbus_per_busy_s": round(counts["transactions"] / busy, 2),
        "reads_per_busy_s": round(reads / busy, 2),
        "lease_writes_per_busy_s": round(counts["lease_writes"] / busy, 2),
        "verify_reads_per_busy_s": round(counts["verify_reads"] / busy, 2),
        "projected_season_s": round(cpu_ms * SEASON_BUSY_S / 1000.0),
        "goal_season_s": round(GOAL_SEASON_S),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 7, 1))
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--strategy", default="et")
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.start, args.days, args.seed, args.strategy)))


if __name__ == "__main__":
    main()
