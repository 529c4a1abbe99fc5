"""The daemon's fail-safe life cycle against the simulated demo site on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from controller.clock import SystemClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon, StartupError
from controller.simulation.harness import Simulation
from controller.simulation.scaled import scaled_site_text
from controller.store import RunSource, Store
from drivers.sim import Fault
from tests.helpers.site import DEMO_SITE, on_free_ports


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "data") as s:
        yield s


def relay_on(sim: Simulation) -> list[str]:
    relay = sim.devices["relay1"]
    return [p.name for p in relay.profile.points if relay.get(p.name)]


def test_start_switches_every_output_off_and_reads_it_back(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    relay = sim.devices["relay1"]
    for ch in ("ch1", "ch7", "ch8"):  # left on by a crash (as if the lease had not run out yet)
        relay.set(ch, 1)
    daemon = Daemon(site, store, SystemClock())
    daemon.start(schedule=False)
    try:
        assert daemon.ready.is_set()
        assert relay_on(sim) == []
        assert daemon.live.get("flow1", "flow_rate") is not None  # every device read once
    finally:
        daemon.stop()


def test_start_refuses_when_an_output_cannot_be_verified_off(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    relay = sim.devices["relay1"]
    relay.set("ch8", 1)
    relay.inject(Fault("stuck", point="ch8"))  # a welded pump contactor
    clock = _FastSleep()
    daemon = Daemon(site, store, clock)
    with pytest.raises(StartupError, match="pump"):
        daemon.start(schedule=False)
    assert not daemon.ready.is_set()
    alarms = store.open_alarms()
    assert [a.code for a in alarms] == ["startup_unsafe"] and alarms[0].latched


def test_start_refuses_when_a_relay_module_does_not_answer(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    sim.devices["relay1"].inject(Fault("no_answer"))  # its coils cannot be written or read
    daemon = Daemon(site, store, _FastSleep())
    with pytest.raises(StartupError, match="pump") as refused:
        daemon.start(schedule=False)
    assert all(role in str(refused.value) for role in site.output_roles())
    assert not daemon.ready.is_set()
    assert [a.code for a in store.open_alarms()] == ["startup_unsafe"]


def test_restart_marks_an_open_run_interrupted(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    run = store.plan_run("z1", RunSource.MANUAL, 30)
    assert run.id is not None
    store.start_run(run.id)
    store.update_run_progress(run.id, 4.2)
    daemon = Daemon(site, store, SystemClock())
    daemon.start(schedule=False)
    daemon.stop()
    again = store.get_run(run.id)
    assert again.state == "interrupted" and again.applied_m3 == pytest.approx(4.2)
    assert any(e.code == "run_interrupted" for e in store.events())


def test_leases_are_renewed_by_the_control_tick_and_stop_turns_all_off(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    clock = SystemClock()
    daemon = Daemon(site, store, clock)
    daemon.start(schedule=False)
    try:
        daemon.outputs.on("valve:z2")
        first = sim.devices["relay1"].lease_remaining_s("ch2")
        daemon.outputs.status["valve:z2"].leased_at -= site.safety.lease_s  # due for renewal
        daemon.control_tick()
        renewed = sim.devices["relay1"].lease_remaining_s("ch2")
        assert first is not None and renewed is not None and renewed >= first - 0.5
        assert daemon.outputs.status["valve:z2"].leased_at > clock.monotonic() - 5
    finally:
        daemon.stop()
    assert relay_on(sim) == []


def test_failed_lease_renewal_switches_all_off_and_latches_an_alarm(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    daemon = Daemon(site, store, SystemClock())
    daemon.start(schedule=False)
    try:
        daemon.outputs.on("valve:z3")
        daemon.outputs.on("pump")
        sim.devices["relay1"].inject(Fault("no_answer", for_s=0.5))
        for role in ("valve:z3", "pump"):
            daemon.outputs.status[role].leased_at -= site.safety.lease_s
        daemon.control_tick()
        alarms = store.open_alarms()
        assert alarms and alarms[0].code == "lease_renewal" and alarms[0].latched
        assert daemon.outputs.on_roles() == []  # never renewed again
    finally:
        daemon.stop()
    assert relay_on(sim) == []


class _FastSleep(SystemClock):
    """The system clock without waiting between start-up retries."""

    def sleep(self, seconds: float) -> None:
        return None


def test_job_list_covers_every_device_and_the_daily_work(site: SiteConfig, store: Store) -> None:
    """The schedule the daemon runs is the list a virtual clock can drive too."""
    daemon = Daemon(site, store, SystemClock())
    names = {j.name for j in daemon.jobs()}
    assert {f"poll:{d.name}" for d in site.devices} <= names
    assert {"control", "flush", "balance_today", "close_day", "retention", "plan:0"} <= names
    intervals = {j.name: j.every_s for j in daemon.jobs() if j.every_s}
    assert intervals["control"] == 1.0
    assert intervals["poll:probe1a"] == site.device("probe1a").poll_interval_s
    assert intervals["probe_calibration"] == 600.0
    daemon.retention()  # nothing pulled by the office yet: nothing purged, no error


def test_the_control_loop_runs_on_its_own_ticker_and_stops_with_the_daemon(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    """Production runs the "control" job of the shared list on its own thread."""
    daemon = Daemon(site, store, SystemClock())
    assert [j.name for j in daemon.jobs() if j.kind == "control"] == ["control"]
    assert {j.bus for j in daemon.jobs() if j.kind == "poll"} == {b.name for b in site.buses}
    daemon.start()
    try:
        ticked = threading.Event()
        original = daemon.sequencer.tick

        def spy(now: datetime) -> None:
            original(now)
            if threading.current_thread().name == "tick:control":
                ticked.set()

        daemon.sequencer.tick = spy  # type: ignore[method-assign]
        assert ticked.wait(10)
    finally:
        daemon.stop()
    stats = daemon.control_stats()
    assert stats is not None and stats.ticks >= 1
    assert not any(t.name == "tick:control" for t in threading.enumerate())


def test_a_large_site_leaves_its_soil_probes_to_the_bus_loops_at_start(
    site: SiteConfig, store: Store, tmp_path: Path
) -> None:
    """Before READY: every device of the demo site; on 64 zones, all but the 128 probes."""
    small = Daemon(site, store, SystemClock())
    assert small.read_at_start() == [d.name for d in site.devices]
    path = tmp_path / "big.toml"
    path.write_text(scaled_site_text(on_free_ports(DEMO_SITE.read_text("utf-8")), 64))
    big_site = load_site(path)
    big = Daemon(big_site, store, SystemClock())
    first = set(big.read_at_start())
    probes = {d.name for d in big_site.devices if big_site.profiles[d.name].kind == "soil_probe"}
    assert len(probes) == 128
    assert first == {d.name for d in big_site.devices} - probes
    assert {"relay1", "flow1", "press1", "wx1"} <= first
    big.fieldio.close()
    small.fieldio.close()


def test_the_flush_job_commits_at_every_check_only_while_water_runs(
    site: SiteConfig, sim: Simulation, store: Store
) -> None:
    from drivers.reading import Quality, Reading

    def poll() -> None:
        now = SystemClock().now()
        store.add_readings([Reading("flow1", "flow_m3_h", 3.2, "m3/h", Quality.OK, now)])

    daemon = Daemon(site, store, SystemClock())
    assert store.idle_flush_s == site.store.idle_flush_s > site.store.flush_s
    daemon.start(schedule=False)  # the start commits: the idle interval begins here
    try:
        poll()
        assert daemon.flush_store() == 0  # quiet: waits for idle_flush_s
        daemon.outputs.on("valve:z2")
        daemon.control_tick()  # the control loop tells the store that water runs
        poll()
        assert daemon.flush_store() == 2  # the quiet reading and the run's
        daemon.outputs.off("valve:z2")
        poll()
        daemon.control_tick()
        assert daemon.flush_store() == 1  # the run's last readings, though water stopped
        poll()
        assert daemon.flush_store() == 0  # quiet again
    finally:
        daemon.stop()
    assert store.buffer_stats.pending == 0  # the stop committed the last one
