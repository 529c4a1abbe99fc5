"""The daemon with a store that cannot write: control goes on, water is closed, nothing lost.

The simulated demo site on loopback; the store a real SQLite file made read-only
(``SQLITE_READONLY`` on every write) under the running daemon.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from controller.agronomy.fertplan import FertRun
from controller.agronomy.types import PlannedRun
from controller.clock import SystemClock
from controller.config.site import SiteConfig
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused
from controller.daemon.service import DaemonService
from controller.simulation.harness import Simulation
from controller.store import RunSource, Store
from tests.helpers.storefaults import read_only


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "data") as s:
        yield s


@pytest.fixture
def daemon(site: SiteConfig, sim: Simulation, store: Store) -> Iterator[Daemon]:
    d = Daemon(site, store, SystemClock())
    d.start(schedule=False)
    yield d
    d.stop()


def relay_on(sim: Simulation) -> list[str]:
    relay = sim.devices["relay1"]
    return [p.name for p in relay.profile.points if relay.get(p.name)]


def test_a_trip_closes_the_water_while_the_store_cannot_write_and_all_is_recorded_after(
    site: SiteConfig, sim: Simulation, store: Store, daemon: Daemon
) -> None:
    run_id = daemon.sequencer.start("z1", 10, RunSource.MANUAL, actor="tech")
    daemon.control_tick()
    assert "ch1" in relay_on(sim)
    service = DaemonService(daemon)
    with read_only(store):
        daemon.control_tick()  # progress and leases: no error reaches the loop
        daemon.supervisor.trip("output_fault", "zone z1: relay read back wrong")
        daemon.control_tick()
        assert relay_on(sim) == []  # the supervisor closed everything
        assert daemon.sequencer.active() == []
        # the outage is shown from memory: the status and the open alarms say so
        assert service.status().state == "alarm"
        first = service.alarms(open_only=True)[0]
        assert first.code == "store_unwritable" and "records" in first.message
        h = daemon.store_health()
        assert not h.writable and h.pending_records >= 2  # the run's end, the trip's event
        # the trip's latched alarm waits in memory and refuses a start as a stored one would
        with pytest.raises(ControlRefused, match="output_fault \\(not yet recorded\\)"):
            service.start_zone("z2", 5, actor="tech")
        assert relay_on(sim) == []
        assert daemon.flush_store() == 0  # the flush job: failure kept, never raised
    store.flush()  # as the flush job does once the back-off has run out
    h = daemon.store_health()
    assert h.writable and h.pending_records == 0
    run = store.get_run(run_id)
    assert run.state == "aborted" and "output_fault" in run.end_reason
    codes = [e.code for e in store.events()]
    assert codes[-2:] == ["output_fault", "store_unwritable"]
    open_now = service.alarms(open_only=True)
    assert [a.code for a in open_now if a.id == 0] == []  # the in-memory alarm is gone
    assert "store_unwritable" in [a.code for a in open_now]  # the recorded one, to acknowledge


def test_a_planned_run_is_not_started_while_its_run_cannot_be_recorded(
    site: SiteConfig, sim: Simulation, store: Store, daemon: Daemon
) -> None:
    decision = store.record_decision("z1", "et", "irrigate", "test", {}, duration_min=5)
    assert decision.id is not None
    now = daemon.clock.now()
    planned = PlannedRun("z1", now - timedelta(seconds=1), 5, 4.0, decision.id, RunSource.PLAN)
    with daemon._queue_lock:  # queue one due run without the planner
        daemon._queue = [FertRun(planned)]
    with read_only(store):
        daemon.control_tick()  # the start fails on the store: refused, the loop goes on
        assert relay_on(sim) == [] and daemon.sequencer.active() == []
        daemon.control_tick()
        # a manual start cannot be recorded either: refused before any output switches,
        # with a reason the API gives the technician (409)
        with pytest.raises(ControlRefused, match="cannot be recorded") as refused:
            DaemonService(daemon).start_zone("z2", 5, actor="tech")
        assert refused.value.code == "store_unwritable"
        assert relay_on(sim) == []
    store.flush()
    events = [e for e in store.events() if e.code == "planned_run_refused"]
    assert len(events) == 1 and "readonly" in events[0].message
    assert not [e for e in store.events() if e.code == "control_error"]
    assert store.runs("z1") == []
