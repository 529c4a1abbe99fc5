"""Driving a daemon on the quick site's simulated field through the paths that switch
outputs: its relay module's own coils, a planned run due now, seconds of its control loop."""

from __future__ import annotations

from controller.agronomy.fertplan import FertRun
from controller.agronomy.types import PlannedRun
from controller.clock import VirtualClock
from controller.daemon.daemon import Daemon
from controller.simulation.harness import Simulation
from controller.store import RunSource

__all__ = ["FERTIGATION_POLL", "INJECTING_AFTER_S", "queue_due", "relay_on", "step"]

INJECTING_AFTER_S = 32  # the quick site's prewet (0.5 min) and the first dose
# the fertigation line's devices, read every second of :func:`step`
FERTIGATION_POLL = ("flow1", "press1", "ec1", "ph1", "doser1")


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


def step(
    daemon: Daemon,
    sim: Simulation,
    clock: VirtualClock,
    seconds: int,
    devices: tuple[str, ...] = FERTIGATION_POLL,
) -> None:
    """``seconds`` of the daemon's control loop, ``devices`` read each second."""
    for _ in range(seconds):
        clock.advance(1)
        sim.step(1.0)
        daemon.poller.poll_all(list(devices))
        daemon.control_tick()
