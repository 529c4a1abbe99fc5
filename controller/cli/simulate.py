"""``qanat simulate``: a season of a scenario under a strategy, through the daemon's own jobs.

``qanat simulate --scenario zhangye-seed-corn --strategy et --seed 3`` prints the savings table
(per zone and for the site): water applied (m³, m³/mu), rain, unstressed ETc and actual ET,
drainage, stress days overall and in the critical stages, fertilizer, runs and pump hours by
tariff, against the conventional baseline of the scenario. ``--seeds 1-10`` runs several
weather seeds and adds the spread; ``--json`` prints the reports as JSON instead; ``--plot DIR``
writes PNG charts (depletion with RAW/TAW, irrigation and rain, cumulative water against the
conventional baseline). See :mod:`controller.simulation.season` for the cadence rules.
``--fidelity agronomy`` runs the daemon's agronomy and planning only, each planned run's water
delivered as planned (:mod:`controller.simulation.fidelity`): seconds a season instead of
minutes; its own table or JSON, no charts.

Exit status: 0 after the seasons ran, 2 when the scenario or options are unusable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from controller.cli.exitcodes import OK, UNUSABLE
from controller.counted import counted
from controller.simulation.fidelity import AgronomySeason
from controller.simulation.fidelity_report import format_fidelity
from controller.simulation.referee.years import parse_seeds
from controller.simulation.season import (
    STRATEGIES,
    Scenario,
    ScenarioError,
    Season,
    SeasonReport,
    load_scenario,
    quiet_logs,
)

__all__ = ["add_arguments", "format_table", "plot_season", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        default="zhangye-seed-corn",
        help="a bundled scenario's name or a path to a scenario TOML (default %(default)s)",
    )
    parser.add_argument(
        "--strategy",
        default="et",
        help=f"the daemon's: {', '.join(sorted(STRATEGIES))}; or a practice the referee "
        "judges (--truth aquacrop): border-surveyed, border-upper, drip-practice, oracle "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--truth",
        choices=("bucket", "aquacrop"),
        default="bucket",
        help="the field's truth: the bucket soil behind the simulated devices (the daemon "
        "end to end), or the AquaCrop crop model (the referee; needs the sim extra) "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--compare", action="store_true", help="every practice side by side (--truth aquacrop)"
    )
    parser.add_argument(
        "--initial",
        choices=("spring", "FC"),
        default="spring",
        help="soil water on sowing day for the referee: the scenario's spring state or FC "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="seeds run in parallel (referee; default %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="weather seed, one season (default %(default)s)"
    )
    parser.add_argument(
        "--seeds",
        help="several seeds, e.g. 1-30, 1,4,7 or dry,hot,1-30 (the scenario's 10th-percentile "
        "rain year and its highest-ET0 year; adds the spread)",
    )
    parser.add_argument(
        "--days", type=int, metavar="N", help="only the first N days of the season (default: all)"
    )
    parser.add_argument(
        "--run-tick",
        type=float,
        default=1.0,
        metavar="S",
        help="control tick while water runs, virtual seconds (default %(default)g)",
    )
    parser.add_argument(
        "--fidelity",
        choices=("full", "agronomy"),
        default="full",
        help="full: the whole daemon against the simulated devices (minutes a season); "
        "agronomy: its agronomy and planning, water delivered as planned (seconds) "
        "(default %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="JSON out instead of the table")
    parser.add_argument("--plot", type=Path, metavar="DIR", help="write PNG charts into DIR")


def run(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario)
        seeds = parse_seeds(args.seeds, scenario) if args.seeds else [args.seed]
    except (ScenarioError, ValueError) as exc:
        print(f"qanat simulate: {exc}", file=sys.stderr)
        return UNUSABLE
    if args.truth == "aquacrop" or args.compare:
        from controller.cli.referee import run_referee

        return run_referee(args, seeds)
    if args.strategy not in STRATEGIES:
        print(
            f"qanat simulate: --strategy {args.strategy!r}: the daemon runs "
            f"{', '.join(sorted(STRATEGIES))}; practices need --truth aquacrop",
            file=sys.stderr,
        )
        return UNUSABLE
        return 2
    if args.fidelity == "agronomy":
        return _run_agronomy(args, scenario, seeds)
    reports: list[SeasonReport] = []
    for seed in seeds:
        t0 = time.monotonic()
        with (
            quiet_logs(),
            Season(
                scenario, args.strategy, seed=seed, days=args.days, run_tick_s=args.run_tick
            ) as season,
        ):
            report = season.run(_progress(seed, scenario.start, t0))
            if args.plot is not None:
                for path in plot_season(season, report, args.plot):
                    print(f"wrote {path}", file=sys.stderr)
        reports.append(report)
        print(f"seed {seed}: {time.monotonic() - t0:.0f} s", file=sys.stderr)
    if args.json:
        out = [r.to_dict() for r in reports]
        print(
            json.dumps(
                out[0] if len(out) == 1 else {"seasons": out, "spread": spread(reports)},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for r in reports:
            print(format_table(r))
        if len(reports) > 1:
            print(format_spread(reports))
    return OK


def _run_agronomy(args: argparse.Namespace, scenario: Scenario, seeds: list[int]) -> int:
    """Seasons at agronomy fidelity (:mod:`controller.simulation.fidelity`): table or JSON."""
    if args.plot is not None:
        print("qanat simulate: --plot needs --fidelity full", file=sys.stderr)
        return UNUSABLE
    out = []
    for seed in seeds:
        try:
            with quiet_logs():
                report = AgronomySeason(scenario, args.strategy, seed=seed, days=args.days).run()
        except (ScenarioError, ValueError) as exc:
            print(f"qanat simulate: {exc}", file=sys.stderr)
            return UNUSABLE
        out.append(report.to_dict() if args.json else format_fidelity(report))
    if args.json:
        print(
            json.dumps(out[0] if len(out) == 1 else {"seasons": out}, ensure_ascii=False, indent=2)
        )
    else:
        print("\n\n".join(str(t) for t in out))
    return OK


def format_table(r: SeasonReport) -> str:
    """The savings table of one season (plain text, fixed width)."""
    head = (
        f"{r.scenario}, strategy {r.strategy}, seed {r.seed}, {r.start} to {r.end}\n"
        f"{'zone':<6}{'mode':<10}{'m³':>8}{'m³/mu':>8}{'rain':>7}{'ETc':>7}{'ETa':>7}"
        f"{'ETa/ETc':>8}{'drain':>7}{'stress d':>9}{'critical':>9}{'runs':>6}"
        f"{'pump h peak/off/flat':>22}  fertilizer kg (given/plan)"
    )
    lines = [head]
    for z in r.zones:
        fert = (
            ", ".join(
                f"{k} {z.fertilizer_kg.get(k, 0.0):.0f}/{z.fertilizer_plan_kg[k]:.0f}"
                if k in z.fertilizer_plan_kg
                else f"{k} {z.fertilizer_kg[k]:.0f}"
                for k in sorted(z.fertilizer_kg.keys() | z.fertilizer_plan_kg.keys())
            )
            or "-"
        )
        lines.append(
            f"{z.zone:<6}{z.mode:<10}{z.applied_m3:>8.0f}{z.applied_m3_per_mu:>8.0f}"
            f"{z.rain_mm:>7.0f}{z.etc_mm:>7.0f}{z.eta_mm:>7.0f}{z.eta_ratio:>8.3f}"
            f"{z.drainage_mm:>7.0f}{z.stress_days:>9d}{z.critical_stress_days:>9d}{z.runs:>6d}"
            f"{z.pump_h_peak:>10.1f}/{z.pump_h_offpeak:5.1f}/{z.pump_h_flat:5.1f}  {fert}"
        )
    site = r.to_dict()["site"]
    lines.append(
        f"site: {site['applied_m3_per_mu']:.0f} m³/mu applied vs conventional "
        f"{r.baseline_m3_per_mu:.0f} m³/mu (in-season {r.baseline_in_season_m3_per_mu:.0f} + "
        f"winter): saved {r.saving_m3_per_mu:.0f} m³/mu; ETa/ETc {site['eta_ratio']:.3f}; "
        f"critical-stage stress days {site['critical_stress_days_max']}"
    )
    if r.acknowledged or r.refills:
        lines.append(morning_rounds(len(r.acknowledged), len(r.refills)))
    return "\n".join(lines) + "\n"


def morning_rounds(acknowledged: int, refills: int) -> str:
    """The line of the morning rounds: alarms acknowledged and tank refills, counted."""
    return (
        f"morning rounds: {counted(acknowledged, 'alarm', 'alarms')} acknowledged, "
        f"{counted(refills, 'tank refill', 'tank refills')}"
    )


def spread(reports: list[SeasonReport]) -> dict[str, dict[str, float]]:
    """Min, mean, max (and standard deviation) over seeds of the headline numbers."""
    keys = {
        "applied_m3_per_mu": lambda r: r.applied_m3_per_mu,
        "saving_m3_per_mu": lambda r: r.saving_m3_per_mu,
        "eta_ratio": lambda r: r.to_dict()["site"]["eta_ratio"],
        "critical_stress_days_max": lambda r: r.to_dict()["site"]["critical_stress_days_max"],
        "stress_days_max": lambda r: r.to_dict()["site"]["stress_days_max"],
        "rain_mm": lambda r: r.site_mean_mm("rain_mm"),
    }
    out = {}
    for key, get in keys.items():
        values = [float(get(r)) for r in reports]
        out[key] = {
            "min": min(values),
            "mean": statistics.fmean(values),
            "max": max(values),
            "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
        }
    return out


def format_spread(reports: list[SeasonReport]) -> str:
    lines = [f"spread over {len(reports)} seeds (min / mean / max, sd):"]
    for key, s in spread(reports).items():
        lines.append(
            f"  {key:<26}{s['min']:>9.2f} {s['mean']:>9.2f} {s['max']:>9.2f}  sd {s['sd']:.2f}"
        )
    return "\n".join(lines) + "\n"


def plot_season(season: Season, report: SeasonReport, out_dir: Path) -> list[Path]:
    """PNG charts of a season: per zone, true depletion with RAW and TAW, irrigation and rain
    bars; and the site's cumulative water against the conventional baseline (m³/mu)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a site box or in CI
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    tag = f"{report.scenario}-{report.strategy}-seed{report.seed}"
    n = len(report.zones)
    fig, axes = plt.subplots(n + 1, 1, figsize=(9, 2.6 * (n + 1)), sharex=True)
    for ax, z in zip(axes, report.zones, strict=False):
        dates = [d.date for d in z.days]
        ax.fill_between(
            dates,
            [d.raw_mm for d in z.days],
            [d.taw_mm for d in z.days],
            color="#f4d6cc",
            label="RAW–TAW (stress)",
        )
        ax.plot(dates, [d.dr_end_mm for d in z.days], color="#7a3b1d", label="depletion Dr")
        ax.plot(dates, [d.taw_mm for d in z.days], color="#444", lw=0.8, label="TAW")
        ax.invert_yaxis()
        ax.set_ylabel(f"{z.zone} mm")
        bars = ax.twinx()
        bars.bar(
            dates, [d.irrigation_mm for d in z.days], color="#2b7bba", width=0.9, label="irrigation"
        )
        bars.bar(
            dates,
            [d.rain_mm for d in z.days],
            color="#7fc97f",
            width=0.9,
            label="rain",
            bottom=[d.irrigation_mm for d in z.days],
        )
        bars.set_ylabel("water in, mm")
        ax.set_title(
            f"{z.zone} ({z.mode}): {z.applied_m3_per_mu:.0f} m³/mu, "
            f"ETa/ETc {z.eta_ratio:.3f}, critical stress days {z.critical_stress_days}",
            fontsize=9,
        )
        handles = ax.get_legend_handles_labels()[0] + bars.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize=7, loc="lower left", ncol=5)
    ax = axes[-1]
    first = report.zones[0]
    dates = [d.date for d in first.days]
    cum = 0.0
    site_cum = []
    for i in range(len(dates)):
        cum += (
            sum(z.days[i].irrigation_mm * z.area_mu for z in report.zones if i < len(z.days))
            / report.area_mu
        )
        site_cum.append(cum / 1000 * 666.67)
    ax.plot(dates, site_cum, color="#2b7bba", label=f"{report.strategy} (drip, applied)")
    conv, total = [], 0.0
    sc = season.scenario
    winter = sc.winter_m3_mu
    for d in dates:
        total = winter + sc.flood_m3_mu * sum(1 for f in sc.flood_dates if f <= d)
        conv.append(total)
    ax.plot(dates, conv, color="#c0392b", ls="--", label="conventional border (incl. winter)")
    ax.set_ylabel("m³/mu, cumulative")
    ax.set_title(
        f"site: {report.applied_m3_per_mu:.0f} vs {report.baseline_m3_per_mu:.0f} "
        f"m³/mu, saved {report.saving_m3_per_mu:.0f} m³/mu",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path = out_dir / f"{tag}.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return [path]


PROGRESS_EVERY_DAYS = 10


def _progress(seed: int, start: dt.date, t0: float) -> Callable[[dt.date], None]:
    """Said on stderr every :data:`PROGRESS_EVERY_DAYS` simulated days: the full stack takes
    tens of minutes a season, and a silent terminal reads as a hung one."""

    def say(day: dt.date) -> None:
        days = (day - start).days
        if days > 0 and days % PROGRESS_EVERY_DAYS == 0:
            print(
                f"seed {seed}: {day}, day {days} of the season, {time.monotonic() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    return say
