"""An in-process daemon on the simulated demo field, its jobs not scheduled: a test calls
``control_tick`` (and the other jobs) itself, on the system clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from controller.clock import SystemClock
from controller.config.site import SiteConfig
from controller.daemon.daemon import Daemon
from controller.store import Store

__all__ = ["daemon_on"]


def daemon_on(site: SiteConfig, tmp_path: Path) -> Iterator[Daemon]:
    """A started daemon on ``site`` with a store under ``tmp_path/data``; stopped (everything
    off) and closed afterwards. For a fixture: ``yield from daemon_on(site, tmp_path)``."""
    with Store.open_dir(tmp_path / "data") as store:
        d = Daemon(site, store, SystemClock())
        d.start(schedule=False)
        try:
            yield d
        finally:
            d.stop()
