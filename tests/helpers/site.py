"""The source tree, the shipped demo site, free local ports to move it onto, and a port
that refuses connections."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from controller.config.site import SiteConfig, load_site

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_SITE = ROOT / "controller" / "config" / "examples" / "demo-site.toml"


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free a moment ago, for servers in another process that must
    be told their ports.

    All are held open together while chosen, so two never come back the same (one at a
    time, the OS may hand out a port just released). They can still be taken between here
    and the server's bind: a server started in this process binds port 0 instead and
    reports the port it got (``Simulation(control_port=0)``, the ``sim`` and ``live_sim``
    fixtures, ``tests.helpers.servedports.served_field``, ``tests.helpers.browser.serving``),
    and a ``qanat run`` or ``qanat demo`` child gets ``--listen 127.0.0.1:0 --port-file``
    (``tests.helpers.portfile``). A child that cannot report its port (mosquitto, postgres)
    is given one from here and tried on another when it cannot bind it.
    """
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    """One port free a moment ago (see :func:`free_ports`)."""
    return free_ports(1)[0]


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses every connection until the block ends.

    The socket is bound (port 0, so the system picks it) but never listens: a connection
    is refused at once, and no other server can bind the port meanwhile, unlike a port
    merely free a moment ago.
    """
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


def on_free_ports(site_text: str) -> str:
    """The demo site's bus ports (5020, 5021) replaced by distinct free ones, whole lines only.

    A plain text replace of "port = 5020" then "port = 5021" would also hit a new port
    that happens to begin with 5021 (e.g. 50213).
    """
    for port, new in zip((5020, 5021), free_ports(2), strict=True):
        site_text = re.sub(rf"^port = {port}$", f"port = {new}", site_text, flags=re.M)
    return site_text


def quick_site(tmp_path: Path) -> SiteConfig:
    """The demo site on free ports, with short leases, delays and phases."""
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    replace = {
        # the demo's 0.3 s timeout kept: at 0.1 s a loopback device's answer late on a busy
        # 2-core machine tripped a run's output_fault; no retry, so a silent device is quick
        "timeout_s = 0.3\nretries = 1\ngap_ms = 5": "timeout_s = 0.3\nretries = 0\ngap_ms = 0",
        "lease_s = 15 ": "lease_s = 9 ",
        "dry_run_delay_s = 30": "dry_run_delay_s = 5",
        "burst_delay_s = 20": "burst_delay_s = 5",
        "stale_after_s = 300": "stale_after_s = 10",
        "line_pressure_min_kpa = 80": "line_pressure_min_kpa = 0",
        "prewet_min = 15": "prewet_min = 0.5",
        "flush_min = 25": "flush_min = 0.5",
        'valve = "relay1.ch2"\nprobes = [{ device = "probe2a", depth_m = 0.2 }, '
        '{ device = "probe2b", depth_m = 0.4 }]\nflow_meter = "flow1"\nmax_run_min = 240': (
            'valve = "relay1.ch2"\nmax_run_min = 1'
        ),
    }
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    # Zones naming the head meter as their own make the simulated field publish each
    # zone's share over the head meter's flow (the last zone wins): measure at the head.
    text = text.replace('flow_meter = "flow1"\nmax_run_min', "max_run_min")
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)
