"""kill -9 at random points of the box and of the office pull: what survives, exactly.

Each cycle starts ``qanat run`` on the simulated demo site, starts and sometimes stops
zones through the API while ``qanat pull`` copies the box to an office database, and
kills the daemon (and the pull) with SIGKILL at a random moment — mid-run, mid-write,
mid-export, mid-pull. After every kill the relay leases must close the water before
anything restarts. At the end, with the box's store:

* every output is off and no run is left ``running`` (each killed run ``interrupted``);
* each run the API acknowledged is there once, with its one ``run.start`` audit entry,
  and each acknowledged stop has its one ``run.stop`` entry: nothing lost, nothing doubled;
* the water ledger (the runs' ``applied_m3``) matches the flow meter's totalizer run by
  run: a killed run (``interrupted``), credited at the restart the meter's rise since its
  last recorded progress, equals the meter's rise over its cycle within the meter's
  resolution; a stopped run misses at most the flow since the meter's last poll;
* one more pull makes the office database equal, row for row, to the box's export.

Cycles: ``QANAT_CRASH_CYCLES`` (default 3, about 1 min; 30 by hand, docs/testing.md);
the random points come from ``QANAT_CRASH_SEED`` (default: drawn and printed).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import col, select

from controller.config.site import load_site
from controller.office.central import CentralDB
from controller.runtime.sequencer import PROGRESS_EVERY_S
from controller.simulation.harness import Simulation
from controller.store import AuditEntry, Store
from tests.helpers.browser import serving
from tests.helpers.daemonproc import DaemonProcess, wait_for
from tests.helpers.figures import Figures
from tests.helpers.office.boxes import Box, assert_exact, service_for_seeded_zones
from tests.helpers.site import DEMO_SITE, ROOT, on_free_ports
from web.app import create_app

LEASE_S = 3
ZONE_FLOW_M3_H = 100.0  # the demo site's zones (nominal; the meter reads within a few %)
FLOW_POLL_S = 5  # the demo site's flow meter poll interval
METER_RESOLUTION_M3 = 0.002  # the simulated meter's totalizer (float32 fraction), read twice
SITE_ID = "crash-box"


def _cycles() -> int:
    return int(os.environ.get("QANAT_CRASH_CYCLES", "3"))


def _seed() -> int:
    seed = int(os.environ.get("QANAT_CRASH_SEED", str(random.randrange(1_000_000))))
    print(f"QANAT_CRASH_SEED={seed}")
    return seed


def _metered_m3(sim: Simulation) -> float:
    meter = sim.devices["flow1"]
    return float(meter.get("total") or 0.0) + float(meter.get("total_fraction") or 0.0)


def _all_off(sim: Simulation) -> bool:
    relay = sim.devices["relay1"]
    return all(relay.get(f"ch{i}") == 0.0 for i in range(1, 9))


class _Pull:
    """``qanat pull`` of the box into the office database, as a child process."""

    def __init__(self, tmp_path: Path, url: str, token: str) -> None:
        (tmp_path / "box.token").write_text(token + "\n", encoding="utf-8")
        sites = tmp_path / "sites.toml"
        sites.write_text(
            f'[[sites]]\nid = "{SITE_ID}"\nurl = "{url}"\ntoken_file = "box.token"\n'
            "timeout_s = 5\n",
            encoding="utf-8",
        )
        self.db = tmp_path / "office.db"
        command = [sys.executable, "-m", "controller.cli", "pull", "--sites", str(sites)]
        command += ["--db", str(self.db), "--page-rows", "50", "--no-progress"]
        self.command = command
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def test_kill_9_at_random_points_loses_and_doubles_nothing(
    tmp_path: Path, figures: Figures
) -> None:
    rng = random.Random(_seed())
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    assert "lease_s = 15 " in text
    (tmp_path / "site.toml").write_text(
        text.replace("lease_s = 15 ", f"lease_s = {LEASE_S} "), encoding="utf-8"
    )
    site = load_site(tmp_path / "site.toml")
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        tech = store.create_token("tech", "technician")[1]
        office = store.create_token("office", "viewer")[1]
    started: list[int] = []
    stopped: list[int] = []
    cycle_m3: dict[int, float] = {}  # the meter's rise over the cycle of each run
    with Simulation(site, control_port=0, step_s=0.5, any_port=True) as sim:
        metered_before = _metered_m3(sim)
        for _ in range(_cycles()):
            cycle_start_m3 = _metered_m3(sim)
            box = DaemonProcess(site, data, tech, sim=sim)
            pull: _Pull | None = None
            try:
                assert _all_off(sim)  # the restart made everything safe before serving
                zone = rng.choice(["z1", "z2", "z3", "z4"])
                started.append(box.post(f"/zones/{zone}/start", {"minutes": 5})["run_id"])
                time.sleep(rng.uniform(0.0, 4.0))
                pull = _Pull(tmp_path, f"http://127.0.0.1:{box.port}", office)
                if rng.random() < 0.4:
                    box.post(f"/zones/{zone}/stop")
                    stopped.append(started[-1])
                time.sleep(rng.uniform(0.0, 2.0 * PROGRESS_EVERY_S))
            finally:
                os.kill(box.proc.pid, signal.SIGKILL)
                box.proc.wait(10)
                if pull is not None:
                    time.sleep(rng.uniform(0.0, 0.5))
                    pull.kill()
            figures.add("kill_cycles")
            # nothing but the relay's own lease can close the water now
            figures.add("outputs_left_open")  # taken back once the leases closed the water
            wait_for(lambda: _all_off(sim), LEASE_S + 3, "the leases closing the water")
            figures.add("outputs_left_open", -1)
            time.sleep(1.0)  # the field steps once more with everything closed
            cycle_m3[started[-1]] = _metered_m3(sim) - cycle_start_m3
        final = DaemonProcess(site, data, tech, sim=sim)  # recovers the last killed run
        final.proc.send_signal(signal.SIGTERM)
        assert final.proc.wait(30) == 0
        assert _all_off(sim)
        time.sleep(1.0)  # the field steps once more with everything closed
        metered_m3 = _metered_m3(sim) - metered_before

    with Store.open_dir(data) as store:
        runs = {r.id: r for r in store.runs()}
        audit = _all_audit(store)
        starts = Counter(a.detail.get("run_id") for a in audit if a.action == "run.start")
        figures.add("records_lost", len(set(started) - set(runs)) + len(set(started) - set(starts)))
        figures.add("records_doubled", sum(n - 1 for n in starts.values() if n > 1))
        assert sorted(runs) == sorted(started)  # every acknowledged run, once
        assert not store.open_runs()
        assert starts == Counter(started)  # one start entry per run: none lost, none doubled
        stops = [a for a in audit if a.action == "run.stop"]
        assert len(stops) == len(stopped)
        assert len([a for a in audit if a.action == "start"]) == _cycles() + 1

        ledger_m3 = sum(r.applied_m3 for r in runs.values())
        print(f"runs {len(runs)}: ledger {ledger_m3:.3f} m3, metered {metered_m3:.3f} m3")
        assert sum(cycle_m3.values()) == pytest.approx(metered_m3, abs=METER_RESOLUTION_M3)
        assert ledger_m3 <= metered_m3 + METER_RESOLUTION_M3, (ledger_m3, metered_m3)
        # Each cycle ran one run: its water is the meter's rise over the cycle. A killed run
        # is credited at the restart the rise since its last progress (the water until the
        # lease closed the valve): it equals the meter's within its resolution. A stopped
        # run's water is counted up to the meter's last poll before the valve closed.
        killed_gap_m3 = 0.0
        for run_id, rise_m3 in cycle_m3.items():
            run, gap_m3 = runs[run_id], rise_m3 - runs[run_id].applied_m3
            print(f"run {run_id} {run.state}: {run.applied_m3:.4f} m3, meter rose {rise_m3:.4f}")
            if run.state == "interrupted":
                killed_gap_m3 += gap_m3
                assert abs(gap_m3) <= METER_RESOLUTION_M3, (run_id, rise_m3, run.end_reason)
                assert "credited to run" in run.end_reason, run.end_reason
            else:
                stop_slack_m3 = ZONE_FLOW_M3_H * 1.1 * (FLOW_POLL_S + 2) / 3600
                assert -METER_RESOLUTION_M3 <= gap_m3 <= stop_slack_m3, (run_id, rise_m3)
        figures.max("kill_water_unrecorded_m3", killed_gap_m3)

        # one more pull, uninterrupted, against the box's store: the office equals the box
        with serving(create_app(service_for_seeded_zones(), store)) as url:
            last = _Pull(tmp_path, url, office)
            assert last.proc.wait(120) == 0
        with CentralDB(f"sqlite:///{tmp_path / 'office.db'}") as central:
            assert_exact(central, [Box(SITE_ID, url, office, store)])


def _all_audit(store: Store) -> list[AuditEntry]:
    with store.reading() as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
