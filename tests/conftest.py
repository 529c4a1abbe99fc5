"""Shared fixtures: the demo site, its simulated field on the ports it bound, a pty pair.

Plain helpers (paths, free ports) live in :mod:`tests.helpers`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from controller.config.site import SiteConfig, load_site
from controller.simulation.harness import Simulation
from tests.helpers.figures import figures  # noqa: F401 - the fixture, for every test
from tests.helpers.servedports import on_served_ports
from tests.helpers.site import DEMO_SITE, on_free_ports

# CI runs the property tests with a fixed seed (a failure there is the same on a laptop);
# by hand they explore (and remember failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def synchronised_clock() -> Iterator[None]:
    """In-process daemons run as on a box whose clock NTP has synchronised: the test
    machine's own NTP state varies. Tests of an untrusted clock give the daemon their own
    :class:`controller.runtime.timetrust.TimeTrust`; child processes (``qanat run``) are
    confirmed with ``qanat confirm-time`` (:mod:`tests.helpers.daemonproc`).

    Its own patch context, not the ``monkeypatch`` fixture: sharing that would hold a test's
    own patches until after the test's other fixtures are torn down."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("controller.daemon.daemon.system_synchronised", lambda: True)
        yield


@pytest.fixture
def demo_site_text() -> str:
    return DEMO_SITE.read_text(encoding="utf-8")


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two linked pseudo-terminals (a null-modem cable), made by socat."""
    socat = shutil.which("socat")
    if socat is None:
        pytest.fail("socat is missing: scripts/test.sh installs it (apt-get install -y socat)")
    a, b = tmp_path / "ttyA", tmp_path / "ttyB"
    proc = subprocess.Popen(
        [socat, f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not (a.exists() and b.exists()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("socat did not create the pty pair")
            time.sleep(0.01)
        yield str(a), str(b)
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture
def base_site(tmp_path: Path) -> SiteConfig:
    """The demo site as written, its buses on ports free a moment ago (tests may run beside a
    running demo): what ``sim`` and ``live_sim`` serve. A module changes the site by
    overriding this fixture, so that the simulated field and ``site`` follow."""
    text = DEMO_SITE.read_text(encoding="utf-8")
    text = on_free_ports(text)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


@pytest.fixture
def site(request: pytest.FixtureRequest, base_site: SiteConfig) -> SiteConfig:
    """:func:`base_site`; when the test also has the simulated field (``sim`` or
    ``live_sim``), the same file with each bus on the port the field bound it on.

    The field binds port 0 and reads back what the system gave it, so no other test can take
    a port between its choice and the bind (a port merely free a moment ago can be).
    """
    for name in ("sim", "live_sim"):
        if name in request.fixturenames:
            served: Simulation = request.getfixturevalue(name)
            return on_served_ports(base_site, served, base_site.path)
    return base_site


@pytest.fixture
def sim(base_site: SiteConfig) -> Iterator[Simulation]:
    # The field does not step during a test, so two masters read identical registers.
    with Simulation(base_site, control_port=0, step_s=3600, any_port=True) as simulation:
        yield simulation


@pytest.fixture
def live_sim(base_site: SiteConfig) -> Iterator[Simulation]:
    """The demo site's simulated field, stepping every half second (water flows, soils wet)."""
    with Simulation(base_site, control_port=0, step_s=0.5, any_port=True) as simulation:
        yield simulation
