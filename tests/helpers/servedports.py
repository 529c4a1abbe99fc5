"""A site file naming the ports a simulation bound its buses on (``any_port=True``).

The simulation binds port 0 and the system picks each bus's port as it binds, so no other
process can take it in between; a daemon (in this process or a child) is then given a site
that names those ports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from controller.config.site import SiteConfig, load_site
from controller.simulation.harness import Simulation

__all__ = ["on_served_ports", "served_field"]


def on_served_ports(site: SiteConfig, sim: Simulation, path: Path) -> SiteConfig:
    """``site`` written to ``path`` with each TCP bus on the port ``sim`` serves it on."""
    text = site.path.read_text(encoding="utf-8")
    for bus in site.buses:
        if bus.kind != "rtu" and bus.port != sim.bus_port(bus.name):
            text, n = re.subn(
                rf"^port = {bus.port}$", f"port = {sim.bus_port(bus.name)}", text, flags=re.M
            )
            assert n == 1, f"bus {bus.name}: port {bus.port} is not on one line of {site.path}"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


@contextmanager
def served_field(
    site: SiteConfig, path: Path | None = None, **options: Any
) -> Iterator[tuple[SiteConfig, Simulation]]:
    """``site``'s simulated field (``Simulation`` with ``options``; control port 0 unless
    given) serving each TCP bus on a port the system picks as it binds, and ``site`` on those
    ports, written to ``path`` (default: over ``site.path``, a test's own file)."""
    with Simulation(site, **{"control_port": 0, **options}, any_port=True) as sim:
        yield on_served_ports(site, sim, path or site.path), sim
