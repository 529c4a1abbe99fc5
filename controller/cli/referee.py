"""``qanat simulate --truth aquacrop``: strategies judged by the AquaCrop referee over seeds.

Called by :mod:`controller.cli.simulate` for the referee's practices (``border-surveyed``,
``border-upper``, ``drip-practice``, ``oracle``) and ``--compare``. Seeds run in ``--jobs``
processes; every row has the keys of :data:`controller.simulation.referee.evaluate.KEYS`.

Each seed runs in a fresh worker process started with one numba thread
(``NUMBA_NUM_THREADS=1``): the daemon's models compute one station and one day at a time, for
which starting the parallel kernels' threads costs ten times the work, and the ``--jobs``
processes already fill the cores. The results are the same (the kernels are parallel over
stations only).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from controller.cli.exitcodes import OK, UNUSABLE
from controller.simulation.season import ScenarioError, load_scenario

__all__ = ["COMPARED", "format_compare", "plot_water_yield", "run_referee"]

#: What ``--compare`` puts side by side: the daemon's strategies (through the agronomy
#: fidelity, ~15 s a season each) and the practices.
COMPARED = (
    "et",
    "et-fao56",
    "et-quota200",
    "sensor",
    "calendar",
    "oracle",
    "drip-practice",
    "border-surveyed",
    "border-upper",
)

NUMBA_THREADS = "NUMBA_NUM_THREADS"

_SHOWN = (
    ("water_annual_m3_mu", "water a year m³/mu", 0),
    ("water_in_season_m3_mu", "in season m³/mu", 0),
    ("storage_change_mm", "Δ storage mm", 0),
    ("relative_yield", "relative yield", 2),
    ("yield_t_ha", "yield t/ha", 1),
    ("wp_kg_m3", "kg/m³", 2),
    ("drainage_mm", "drainage mm", 0),
    ("critical_stress_days", "critical stress d", 0),
    ("saving_vs_border_surveyed_m3_mu", "saved vs border m³/mu", 0),
)


def _one(task: tuple[str, tuple[str, ...], int, str]) -> dict[str, dict[str, Any]]:
    from controller.simulation.referee.evaluate import evaluate_all

    scenario_name, strategies, seed, initial = task
    return evaluate_all(load_scenario(scenario_name), strategies, seed, initial=initial)


def _run_all(
    scenario: str, strategies: Sequence[str], seeds: Sequence[int], initial: str, jobs: int
) -> dict[str, list[dict[str, Any]]]:
    tasks = [(scenario, tuple(strategies), seed, initial) for seed in seeds]
    workers = max(1, min(jobs, len(tasks)))
    with (
        _one_numba_thread(),
        ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool,
    ):
        per_seed = list(pool.map(_one, tasks))
    return {s: [rows[s] for rows in per_seed] for s in strategies}


@contextmanager
def _one_numba_thread() -> Iterator[None]:
    """``NUMBA_NUM_THREADS=1`` in the environment the workers are spawned with (numba reads
    it once, at import: a spawned worker imports it afresh), this process's own restored."""
    before = os.environ.get(NUMBA_THREADS)
    os.environ[NUMBA_THREADS] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[NUMBA_THREADS]
        else:
            os.environ[NUMBA_THREADS] = before


def format_compare(summaries: dict[str, dict[str, dict[str, float]]], seeds: int) -> str:
    """Strategies side by side: mean [p10–p90] of each shown key."""
    head = ["strategy", *(label for _, label, _ in _SHOWN)]
    lines = ["\t".join(head)]
    for strategy, summary in summaries.items():
        cells = [strategy]
        for key, _, digits in _SHOWN:
            s = summary[key]
            cells.append(f"{s['mean']:.{digits}f} [{s['p10']:.{digits}f}–{s['p90']:.{digits}f}]")
        lines.append("\t".join(cells))
    lines.append(f"mean [p10–p90] over {seeds} weather seeds; AquaCrop truth")
    return "\n".join(lines)


def run_referee(args: argparse.Namespace, seeds: Sequence[int]) -> int:
    """Run the referee for ``args.strategy`` (or every compared practice); print and return."""
    from controller.simulation.referee.evaluate import DAEMON_STRATEGIES, summarize
    from controller.simulation.referee.practices import practices

    try:
        scenario = load_scenario(args.scenario)
        known = practices(scenario)
    except ScenarioError as exc:
        print(f"qanat simulate: {exc}", file=sys.stderr)
        return UNUSABLE
    strategies = list(COMPARED) if args.compare else [args.strategy]
    unknown = [s for s in strategies if s not in known and s not in DAEMON_STRATEGIES]
    if unknown:
        print(
            f"qanat simulate: the referee judges the daemon's {', '.join(DAEMON_STRATEGIES)} "
            f"and the practices {', '.join(sorted(known))}; not {', '.join(unknown)}",
            file=sys.stderr,
        )
        return UNUSABLE
    try:
        rows = _run_all(args.scenario, strategies, seeds, args.initial, max(1, args.jobs))
    except (ScenarioError, ValueError) as exc:
        print(f"qanat simulate: {exc}", file=sys.stderr)
        return UNUSABLE
    summaries = {s: summarize(r) for s, r in rows.items()}
    if args.plot is not None:
        print(f"wrote {plot_water_yield(summaries, len(seeds), args.plot)}", file=sys.stderr)
    if args.json:
        doc = {
            "scenario": args.scenario,
            "truth": "aquacrop",
            "initial": args.initial,
            "seeds": list(seeds),
            "strategies": {s: {"seeds": rows[s], "summary": summaries[s]} for s in strategies},
        }
        print(json.dumps(doc, indent=2))
        return OK
    if not args.compare:
        for row in rows[args.strategy]:
            print(
                f"seed {row['seed']}: water {row['water_annual_m3_mu']:.0f} m³/mu a year "
                f"({row['water_in_season_m3_mu']:.0f} in season), yield {row['yield_t_ha']:.1f} "
                f"t/ha ({row['relative_yield']:.2f} of full), Δ storage "
                f"{row['storage_change_mm']:.0f} mm, critical stress days "
                f"{row['critical_stress_days']:.0f}"
            )
    print(format_compare(summaries, len(seeds)))
    return OK


def plot_water_yield(
    summaries: dict[str, dict[str, dict[str, float]]], seeds: int, out_dir: Path
) -> Path:
    """A PNG of water a year (m³/mu) against relative yield per strategy: the mean, with the
    p10–p90 spread of both as bars (needs the plot extra)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a site box or in CI
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 5))
    for strategy, s in summaries.items():
        w, y = s["water_annual_m3_mu"], s["relative_yield"]
        ax.errorbar(
            w["mean"],
            y["mean"],
            xerr=[[w["mean"] - w["p10"]], [w["p90"] - w["mean"]]],
            yerr=[[y["mean"] - y["p10"]], [y["p90"] - y["mean"]]],
            fmt="o",
            capsize=3,
            label=strategy,
        )
        ax.annotate(strategy, (w["mean"], y["mean"]), textcoords="offset points", xytext=(5, 5))
    ax.set_xlabel("water a year, m³/mu (storage change charged)")
    ax.set_ylabel("relative yield (AquaCrop, fully watered = 1)")
    ax.set_title(f"Water against yield, {seeds} weather years (mean, p10–p90)")
    ax.grid(alpha=0.3)
    path = out_dir / "referee-water-yield.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
