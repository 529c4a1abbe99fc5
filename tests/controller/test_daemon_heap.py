"""A running daemon's full collections do not walk the heap it started on.

A full collection holds the GIL while it walks every container object of the process, so its
pause (the control tick's too) grows with the heap: a test worker's earlier tests, the
simulator's devices, the daemon's own start-up. The daemon sets that heap aside when its loops
start (:mod:`controller.daemon.heap`) and gives it back when the last one stops."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import SystemClock
from controller.config.site import SiteConfig
from controller.daemon import heap
from controller.daemon.daemon import Daemon
from controller.simulation.harness import Simulation
from controller.store import Store

BALLAST = 300_000  # long-lived containers made before the daemon starts


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "data") as s:
        yield s


def test_the_heap_a_daemon_starts_on_is_not_walked_while_its_loops_run(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    ballast = [[i] for i in range(BALLAST)]
    daemon = Daemon(site, store, SystemClock())
    daemon.start()
    try:
        walked_running = len(gc.get_objects())  # what a full collection walks now
        ballast_walked = any(o is ballast for o in gc.get_objects(generation=2))
    finally:
        daemon.stop()
    walked_after = len(gc.get_objects())
    assert not ballast_walked
    assert walked_running < BALLAST, walked_running
    # stopped: the heap is the collector's again (a worker collects between its tests)
    assert walked_after >= BALLAST
    assert any(o is ballast for o in gc.get_objects(generation=2))


def test_the_heap_is_given_back_when_the_last_daemon_stops() -> None:
    kept = [[i] for i in range(1000)]
    heap.set_aside()
    heap.set_aside()  # a second daemon in the process
    try:
        assert not any(o is kept for o in gc.get_objects())
        heap.give_back()
        assert not any(o is kept for o in gc.get_objects())  # one still runs
    finally:
        heap.give_back()
    assert any(o is kept for o in gc.get_objects())
    assert gc.get_freeze_count() == 0
