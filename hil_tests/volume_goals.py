"""Runs by volume on a pulse meter, measured from the running daemon (figures and the HIL test).

``measure_volume_goals(seed)`` runs the production daemon's jobs on a virtual clock against the
simulated Zhangye field (:class:`controller.simulation.season.Season`: real pymodbus servers on
loopback) with the head's flow meter replaced by a pulse meter: a DI counter module
(``dio1``, iSMA SfAR-1M-4DI profile, polled every 5 s) counting a meter of 10 L per pulse
(``pm1``). Zone z1 (nominal 100 m³/h) is run through the service as a technician would:

==============  ============================================================================
case            what happens
==============  ============================================================================
by_volume       a run of ``TARGET_M3`` with a 15 min cap; the metered volume is what the
                simulated meter registered (its own gain included) from start to close
reset           the same, the counter module losing power (count back to 0) after 60 s:
                ``counter_reset`` is raised and the run still ends on its target
by_depth        a run of ``TARGET_MM`` mm over the zone's area (the service converts)
planned         a planned run of ``TARGET_MM`` mm queued as the planner would: z1 has
                ``run_by = "volume"``, so the daemon starts it by volume with a time cap
dead_counter    a run of 20 m³; after 60 s the counter stops counting (a stuck register:
                a broken reed or a cut wire) while the water runs on: ``pulse_missing``
                must stop it within ``no_pulse_s`` and a poll, everything off
==============  ============================================================================

``volume_error_pct`` is the by-volume run's (metered − target) / target in %, the goal being
within ±1 %; ``unmetered_m3`` the water that ran after the counter died.

Usage: ``python -m hil_tests.volume_goals [--seed N]`` prints the dict as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from controller.agronomy.fertplan import FertRun
from controller.agronomy.types import PlannedRun
from controller.daemon.service import DaemonService
from controller.simulation.season import Season, load_scenario, quiet_logs
from controller.store import RunSource
from drivers.sim import Fault, FaultKind
from hil_tests.helpers import MID_SEASON, advance_until, coils, open_codes

__all__ = ["NO_PULSE_S", "TARGET_M3", "measure_volume_goals", "pulse_site_text"]

METER, COUNTER = "pm1", "dio1"
LITRES_PER_PULSE = 10.0
NO_PULSE_S = 30.0
COUNTER_POLL_S = 5.0
TARGET_M3 = 10.0  # 6 min at 100 m³/h
TARGET_MM = 1.0  # over z1's area
CAP_MIN = 15.0
GOAL_PCT = 1.0


def pulse_site_text(text: str) -> str:
    """A site file whose head meter ``flow1`` is replaced by the pulse meter ``pm1``, and
    whose zone z1 has its planned runs end by volume (``run_by = "volume"``)."""
    if 'flow_meter = "flow1"' not in text:
        raise ValueError('the site has no flow_meter = "flow1" to replace')
    if 'name = "z1"\n' not in text:
        raise ValueError('the site has no zone "z1"')
    text = text.replace('name = "z1"\n', 'name = "z1"\nrun_by = "volume"\n', 1)
    return (
        text.replace('flow_meter = "flow1"', f'flow_meter = "{METER}"')
        + f"""

[[devices]]
name = "{COUNTER}"
bus = "head"
unit = 40
profile = "isma-sfar-1m-4di"
poll_interval_s = {COUNTER_POLL_S:g}
description = "DI counter module: the main meter's pulse output on input 1"

[[pulse_meters]]
name = "{METER}"
counter = "{COUNTER}.count1"
litres_per_pulse = {LITRES_PER_PULSE:g}
no_pulse_s = {NO_PULSE_S:g}
max_flow_m3_h = 250
"""
    )


def _metered_m3(season: Season) -> float:
    assert season.sim is not None
    return season.sim.field.pulse_meters[METER].read_m3


def _plan(season: Season, depth_mm: float) -> int:
    """Queue a due run of z1 of ``depth_mm`` as the planner would, then let the control tick
    start it (``run_by = "volume"``: it becomes a run by volume); its run id."""
    d, store = season.daemon, season.store
    assert d is not None and store is not None
    minutes = depth_mm / 1000 * season.site.zones[0].area_m2_value / 100 * 60  # at 100 m3/h
    decision = store.record_decision(
        "z1", "et", "irrigate", "volume goals", {}, duration_min=minutes, depth_mm=depth_mm
    )
    assert decision.id is not None
    now = season.clock.now()
    planned = PlannedRun("z1", now, minutes, depth_mm, decision.id, RunSource.PLAN)
    with d._queue_lock:  # the planner's queue, without waiting for its night window
        d._queue = [FertRun(planned)]
    season.advance(1)
    (active,) = d.sequencer.active()
    return active.run_id


def _run(season: Season, *, fault: str = "", **volume: float) -> dict[str, Any]:
    """One run of z1 by volume; ``fault``: ``reset`` or ``dead`` after 60 s; ``planned_mm``:
    the run the planner queued for that depth."""
    assert season.daemon is not None and season.store is not None and season.sim is not None
    before = _metered_m3(season)
    if "planned_mm" in volume:
        run_id = _plan(season, volume["planned_mm"])
    else:
        run_id = DaemonService(season.daemon).start_zone("z1", CAP_MIN, "hil", **volume)
    start = season.clock.monotonic()
    out: dict[str, Any] = {}
    if fault:
        season.advance(60)
        if fault == "reset":
            season.sim.field.pulse_meters[METER].power_loss()
        else:
            season.sim.devices[COUNTER].inject(Fault(FaultKind.STUCK, point="count1"))
            out["died_at_m3"] = _metered_m3(season) - before
        fault_at = season.clock.monotonic()
    advance_until(season, lambda: not season.busy(), CAP_MIN * 60 + 60, 1.0)
    run = season.store.get_run(run_id)
    out |= {
        "metered_m3": round(_metered_m3(season) - before, 4),
        "recorded_m3": round(run.applied_m3, 4),
        "state": str(run.state),
        "end_reason": run.end_reason,
        "run_s": season.clock.monotonic() - start,
        "outputs_left_open": sum(1 for c in coils(season) if c),
    }
    if fault == "dead":
        out["stop_after_fault_s"] = season.clock.monotonic() - fault_at
        out["unmetered_m3"] = round(out["metered_m3"] - out.pop("died_at_m3"), 4)
    return out


def _error_pct(run: dict[str, Any], target_m3: float) -> float:
    return round((run["metered_m3"] - target_m3) / target_m3 * 100, 3)


def measure_volume_goals(seed: int, workdir: Path | None = None) -> dict[str, Any]:
    """Every case of the module docstring on one season; the figures as plain data."""
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir or Path(tmp)
        scenario = load_scenario("zhangye-seed-corn")
        site_path = work / "pulse-site.toml"
        site_path.write_text(pulse_site_text(scenario.site_path.read_text(encoding="utf-8")))
        scenario = dataclasses.replace(scenario, site_path=site_path)
        with Season(scenario, "conventional", seed=seed, workdir=work, start=MID_SEASON) as season:
            assert season.store is not None
            season.advance(30)
            by_volume = _run(season, volume_m3=TARGET_M3)
            reset = _run(season, fault="reset", volume_m3=TARGET_M3)
            area_m2 = season.site.zones[0].area_m2_value
            by_depth = _run(season, volume_mm=TARGET_MM)
            planned = _run(season, planned_mm=TARGET_MM)
            dead = _run(season, fault="dead", volume_m3=2 * TARGET_M3)
            codes = open_codes(season)
            events = [e.code for e in season.store.events()]
    depth_m3 = TARGET_MM / 1000 * area_m2
    return {
        "seed": seed,
        "target_m3": TARGET_M3,
        "volume_error_pct": _error_pct(by_volume, TARGET_M3),
        "within_goal": abs(_error_pct(by_volume, TARGET_M3)) <= GOAL_PCT,
        "reset_volume_error_pct": _error_pct(reset, TARGET_M3),
        "reset_named": "counter_reset" in events,
        "depth_target_m3": round(depth_m3, 4),
        "depth_volume_error_pct": _error_pct(by_depth, depth_m3),
        "planned_volume_error_pct": _error_pct(planned, depth_m3),
        "dead_counter_stopped": dead["state"] == "aborted" and dead["outputs_left_open"] == 0,
        "alarm": "pulse_missing" if "pulse_missing" in codes else sorted(codes),
        "dead_counter_stop_s": dead["stop_after_fault_s"],
        "unmetered_m3": dead["unmetered_m3"],
        "runs": {
            "by_volume": by_volume,
            "reset": reset,
            "by_depth": by_depth,
            "planned": planned,
            "dead": dead,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hil_tests.volume_goals")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with quiet_logs():
        figures = measure_volume_goals(args.seed)
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
