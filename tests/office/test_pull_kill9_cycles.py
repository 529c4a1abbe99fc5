"""``qanat pull`` killed with -9 again and again while the box keeps writing: exactly once.

Each cycle starts a pull of a seeded box (10,000 readings and the season's records) in a
child process, kills it at a random moment, and adds new rows on the box (readings,
events, audit, a run that ends later). A last pull runs to its end; the office database
must then equal the box's export row for row: no record missing, none twice, the
changed runs as they are now.

Cycles: ``QANAT_CRASH_CYCLES`` (default 3; more by hand, docs/testing.md); the kill
points come from ``QANAT_CRASH_SEED`` (default: drawn and printed).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from controller.cli import main
from controller.office.central import CentralDB
from controller.store import RunState
from drivers.reading import Quality, Reading
from tests.helpers.figures import Figures
from tests.helpers.office.boxes import Box, assert_exact, running_box
from tests.helpers.site import ROOT


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    with running_box(tmp_path / "box", "ganzhou-01", days=40, readings_per_day=250) as b:
        yield b


def _sites(tmp_path: Path, box: Box) -> Path:
    """The box at the default request timeout (30 s): the kills are what is tried here, not
    a slow box (tests/office/test_pull.py tries slow and silent boxes)."""
    (tmp_path / "box.token").write_text(box.token + "\n", encoding="utf-8")
    path = tmp_path / "sites.toml"
    path.write_text(
        f'[[sites]]\nid = "{box.site_id}"\nurl = "{box.url}"\ntoken_file = "box.token"\n',
        encoding="utf-8",
    )
    return path


def _box_keeps_writing(box: Box, cycle: int) -> None:
    store = box.store
    store.clock.advance(600)  # type: ignore[attr-defined]
    now = store.clock.now()
    store.add_readings(
        Reading(
            device="probe1",
            point="vwc_20cm",
            value=20.0 + i,
            unit="%",
            quality=Quality.OK,
            time=now + timedelta(seconds=i),
            decoded=20.0 + i,
        )
        for i in range(30)
    )
    store.flush()
    store.record_audit("tech", "cycle", {"n": cycle})
    store.raise_event("warning", "device_offline", "probe1", f"cycle {cycle}", latched=True)
    run = store.plan_run("z1", "manual", 10)
    assert run.id is not None
    store.start_run(run.id)
    store.update_run_progress(run.id, 0.5 * cycle)
    if cycle % 2:
        store.finish_run(run.id, RunState.DONE, "planned time reached", applied_m3=cycle)


def _wait_for_pages(db: Path, site_id: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            with CentralDB(f"sqlite:///{db}") as office:
                if office.cursors(site_id).get("readings", 0) > 0:
                    return
        time.sleep(0.05)
    raise AssertionError("the pull stored no page")


def test_pull_killed_at_random_points_then_rerun_stores_each_record_once(
    tmp_path: Path, box: Box, figures: Figures
) -> None:
    seed = int(os.environ.get("QANAT_CRASH_SEED", str(random.randrange(1_000_000))))
    print(f"QANAT_CRASH_SEED={seed}")
    rng = random.Random(seed)
    sites, db = _sites(tmp_path, box), tmp_path / "office.db"
    command = [sys.executable, "-m", "controller.cli", "pull", "--sites", str(sites)]
    command += ["--db", str(db), "--page-rows", "100", "--no-progress"]
    for cycle in range(int(os.environ.get("QANAT_CRASH_CYCLES", "3"))):
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        try:
            if cycle == 0:  # at least one kill lands mid-pull, after some pages are stored
                _wait_for_pages(db, box.site_id, proc)
            time.sleep(rng.uniform(0.0, 5.0))  # a full pull takes ~5 s
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        figures.add("kill_cycles")
        _box_keeps_writing(box, cycle)
    with CentralDB(f"sqlite:///{db}") as office:
        assert office.cursors(box.site_id).get("readings", 0) > 0  # the kills left a part
    assert main(["pull", "--sites", str(sites), "--db", str(db), "--no-progress"]) == 0
    with CentralDB(f"sqlite:///{db}") as office:
        assert_exact(office, [box])
