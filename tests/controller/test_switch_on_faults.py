"""Paths that switch an output on, tried under the faults no other test gives them.

The demo site's devices as pymodbus servers on loopback with faults injected into them, and
the production daemon, sequencer, supervisor and store; fakes only at a seam (a store call
made to fail). Each test reads the relay module's own coils at the end: what is on in the
field, not what the box believes. The inventory of every path and its tests:
docs/reliability.md, "Every path that opens water, under faults".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fertplan import FertRun
from controller.agronomy.types import PlannedRun
from controller.config.site import SiteConfig
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused
from controller.daemon.service import DaemonService
from controller.simulation.harness import Simulation
from controller.store import RunSource, RunState, StoreWriteError
from tests.helpers.daemons import daemon_on


@pytest.fixture
def daemon(site: SiteConfig, sim: Simulation, tmp_path: Path) -> Iterator[Daemon]:
    yield from daemon_on(site, tmp_path)


def relay_on(sim: Simulation) -> list[str]:
    """The coils the simulated relay module holds on (its own state, not the box's)."""
    relay = sim.devices["relay1"]
    return [p.name for p in relay.profile.points if relay.get(p.name)]


def queue_due(daemon: Daemon, zone: str, minutes: float) -> None:
    """One planned run of ``zone`` due now, without the planner."""
    decision = daemon.store.record_decision(
        zone, "et", "irrigate", "test", {}, duration_min=minutes
    )
    assert decision.id is not None
    due = PlannedRun(zone, daemon.clock.now(), minutes, 4.0, decision.id, RunSource.PLAN)
    with daemon._queue_lock:  # the seam: the planner's queue
        daemon._queue = [FertRun(due)]


def refuse_start_record(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store refuses to record a run's start (the seam: ``Store.start_run``), after the
    run's row was planned and its audit written, so after the start switched the water on."""

    def refused(*args: object, **kwargs: object) -> None:
        raise StoreWriteError("write to sqlite failed: disk I/O error")

    monkeypatch.setattr(daemon.store, "start_run", refused)


def test_a_planned_start_the_store_cannot_record_after_the_valves_opened_closes_them(
    daemon: Daemon, sim: Simulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Left alone the leases would be renewed for a run the box no longer holds, until
    max_run stopped them."""
    refuse_start_record(daemon, monkeypatch)
    queue_due(daemon, "z1", 10)
    daemon.control_tick()
    assert relay_on(sim) == []
    assert daemon.outputs.on_roles() == [] and daemon.sequencer.active() == []
    monkeypatch.undo()
    (refusal,) = [e for e in daemon.store.events() if e.code == "planned_run_refused"]
    assert "disk I/O error" in refusal.message
    (run,) = daemon.store.runs("z1")
    assert run.state == RunState.ABORTED and "disk I/O error" in run.end_reason
    for _ in range(3):
        daemon.control_tick()  # nothing renewed or switched on again
    assert relay_on(sim) == []


def test_a_manual_start_the_store_cannot_record_is_refused_with_the_water_closed(
    daemon: Daemon, sim: Simulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages, the API and MQTT start a zone through the service."""
    refuse_start_record(daemon, monkeypatch)
    with pytest.raises(ControlRefused, match="disk I/O error") as refused:
        DaemonService(daemon).start_zone("z2", 10, "tech")
    assert refused.value.code == "store_unwritable"
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    monkeypatch.undo()
    (run,) = daemon.store.runs("z2")
    assert run.state == RunState.ABORTED and "disk I/O error" in run.end_reason
    daemon.control_tick()
    assert relay_on(sim) == [] and daemon.store.open_alarms() == []
