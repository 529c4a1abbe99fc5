"""Relay faults during a season, measured from the running daemon (figures and the HIL test).

``measure_output_mismatch(seed)`` runs the production daemon's jobs on a virtual clock against
the simulated Zhangye field (:class:`controller.simulation.season.Season`: real pymodbus servers
on loopback) and throws relay-module faults at it one after the other, each on a fresh run of
zone z1 (valve ch1, master ch7, pump ch8), or while idle:

================  ==========================================================================
fault             what the relay module does
================  ==========================================================================
all_coils_1       every coil reads 1 (firmware fault), the relays themselves obey writes
valve_reads_0     the running zone's valve coil reads 0
pump_reads_0      the pump's coil reads 0
module_silent     the module stops answering (cut line, dead module): the two-poll rule
idle_self_on      nothing runs; zone z2's valve relay (ch2) switches on by itself
================  ==========================================================================

Running faults are injected just after the control tick renewed the leases, so the next
renewal's own verification (every ``lease_s / 3``) cannot catch the fault first and the
figure is the read-back's. Each fault stays in force for ``lease_s`` + 5 s after its alarm;
then the field's true coils are counted (``outputs_left_open``), the fault is cleared and
the alarm acknowledged.

Usage: ``python -m hil_tests.outputs_faults [--seed N]`` prints the dict as JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from controller.simulation.season import Season, load_scenario, quiet_logs
from drivers.sim import Fault, FaultKind, VirtualDevice
from hil_tests.helpers import MID_SEASON

__all__ = ["RUNNING_FAULTS", "measure_output_mismatch"]

CODE = "output_mismatch"
SETTLE_S = 60  # a run's valve, master and pump are on and flowing
GIVE_UP_S = 180  # a fault not alarmed within this is counted as missed

RUNNING_FAULTS: dict[str, Callable[[VirtualDevice], None]] = {
    "all_coils_1": lambda r: r.inject(Fault(FaultKind.GARBAGE, values=(1,))),
    "valve_reads_0": lambda r: r.inject(Fault(FaultKind.GARBAGE, point="ch1", values=(0,))),
    "pump_reads_0": lambda r: r.inject(Fault(FaultKind.GARBAGE, point="ch8", values=(0,))),
    "module_silent": lambda r: r.inject(Fault(FaultKind.NO_ANSWER)),
}


def _coils_on(relay: VirtualDevice) -> int:
    return sum(1 for i in range(1, 9) if relay.get(f"ch{i}"))


def _mismatch_ids(season: Season) -> set[int]:
    assert season.store is not None
    return {e.id for e in season.store.events() if e.code == CODE and e.id is not None}


def _acknowledge(season: Season) -> None:
    assert season.store is not None
    for event in season.store.open_alarms():
        assert event.id is not None
        season.store.ack_event(event.id, "hil")


def _wait_alarm(season: Season, seen: set[int]) -> float | None:
    """Step one second at a time until a new ``output_mismatch``; seconds taken or ``None``."""
    start = season.clock.monotonic()
    while season.clock.monotonic() - start < GIVE_UP_S:
        season.advance(1)
        if _mismatch_ids(season) - seen:
            return season.clock.monotonic() - start
    return None


def _start_run(season: Season) -> None:
    d = season.daemon
    assert d is not None
    d.sequencer.start("z1", 30, "manual", actor="hil")
    season.advance(SETTLE_S)
    st = d.outputs.status["valve:z1"]
    for _ in range(int(season.site.safety.lease_s) + 1):  # just after a lease renewal
        if st.leased_at == season.clock.monotonic():
            return
        season.advance(1)


def _one(season: Season, name: str, inject: Callable[[VirtualDevice], None]) -> dict[str, Any]:
    assert season.sim is not None and season.daemon is not None
    relay = season.sim.devices["relay1"]
    seen = _mismatch_ids(season)
    if name == "idle_self_on":
        season.advance(2)  # idle: the read-back is at its slow cadence
        relay.set("ch2", 1)  # zone z2's valve
    else:
        _start_run(season)
        inject(relay)
    detect_s = _wait_alarm(season, seen)
    season.advance(season.site.safety.lease_s + 5)  # the fault still in force
    left_open = _coils_on(relay)
    commanded_on = len(season.daemon.outputs.on_roles())
    relay.clear()
    season.advance(5)  # the module answers truthfully again: the episode ends
    _acknowledge(season)
    season.advance(2)
    return {
        "fault": name,
        "alarmed": detect_s is not None,
        "detect_s": detect_s,
        "outputs_left_open": left_open,
        "commanded_on_after": commanded_on,
        "runs_active_after": len(season.daemon.sequencer.active()),
    }


def measure_output_mismatch(seed: int, workdir: Path | None = None) -> dict[str, Any]:
    """Every fault of the module docstring on one season; the figures as plain data.

    ``faults_tried`` / ``faults_alarmed`` count faults and those that raised
    ``output_mismatch``; ``output_mismatch_detect_s_max`` is the longest virtual time from a
    running fault to its alarm (s), ``idle_detect_s`` the idle self-switching relay's;
    ``outputs_left_open`` the relays truly on ``lease_s`` + 5 s after the alarms (all faults).
    """
    with (
        tempfile.TemporaryDirectory() as tmp,
        Season(
            load_scenario("zhangye-seed-corn"),
            "conventional",
            seed=seed,
            workdir=workdir or Path(tmp),
            start=MID_SEASON,
        ) as season,
    ):
        season.advance(30)
        faults = [_one(season, name, inject) for name, inject in RUNNING_FAULTS.items()]
        idle = _one(season, "idle_self_on", lambda r: None)
    running = [f["detect_s"] for f in faults if f["detect_s"] is not None]
    every = [*faults, idle]
    return {
        "seed": seed,
        "faults_tried": len(every),
        "faults_alarmed": sum(1 for f in every if f["alarmed"]),
        "output_mismatch_detect_s_max": max(running) if running else None,
        "idle_detect_s": idle["detect_s"],
        "outputs_left_open": sum(f["outputs_left_open"] for f in every),
        "faults": every,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hil_tests.outputs_faults")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with quiet_logs():
        figures = measure_output_mismatch(args.seed)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
