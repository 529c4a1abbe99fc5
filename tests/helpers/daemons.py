"""In-process daemons on the simulated demo field, their jobs not scheduled: a test calls
``control_tick`` (and the other jobs) itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from controller.clock import SystemClock, VirtualClock
from controller.config.site import SiteConfig
from controller.daemon.daemon import Daemon
from controller.runtime.fieldio import FieldIO
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.bus import Bus
from tests.helpers.servedports import served_field

__all__ = ["daemon_on", "virtual_daemon_on"]


def daemon_on(site: SiteConfig, tmp_path: Path) -> Iterator[Daemon]:
    """A started daemon on ``site`` (its field served by the caller) on the system clock,
    with a store under ``tmp_path/data``; stopped (everything off) and closed afterwards.
    For a fixture: ``yield from daemon_on(site, tmp_path)``."""
    with Store.open_dir(tmp_path / "data") as store:
        d = Daemon(site, store, SystemClock())
        d.start(schedule=False)
        try:
            yield d
        finally:
            d.stop()


def virtual_daemon_on(
    site: SiteConfig, tmp_path: Path, clock: VirtualClock, **field: Any
) -> Iterator[tuple[Daemon, Simulation]]:
    """A started daemon on ``site``'s simulated field (``Simulation`` with ``field``) on
    ``clock``, which the test steps: the buses stamp their readings with it, as the store
    stamps its rows. A store under ``tmp_path/data``; stopped and closed afterwards. For a
    fixture: ``yield from virtual_daemon_on(site, tmp_path, clock, step_s=None)``."""
    with (
        served_field(site, **field) as (site, sim),
        Store.open_dir(tmp_path / "data", clock=clock) as store,
    ):
        buses = {
            b.name: Bus(b.settings(), site.devices_on(b.name), now=clock.now) for b in site.buses
        }
        daemon = Daemon(site, store, clock, fieldio=FieldIO(site, buses))
        daemon.start(schedule=False)
        try:
            yield daemon, sim
        finally:
            daemon.stop()
