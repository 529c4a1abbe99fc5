"""The daemon starts from a read-only install with no HOME, as under the systemd unit.

Root in this container would write anywhere, so the process runs without the
capabilities that bypass file permissions (``setpriv``): the working directory
and the numba cache are read-only (mode 0555), HOME is unset, only the data
directory is writable. It must reach READY=1 and stop cleanly, having written
nothing but the data directory.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from controller.config.site import SiteConfig
from controller.simulation.harness import Simulation
from tests.helpers.deploy import NotifySocket, base_env, start_run, stop

DROP_DAC = (
    "setpriv",
    "--bounding-set",
    "-dac_override,-dac_read_search",
    "--inh-caps",
    "-all",
    "--",
)


def _read_only_tree(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        p.chmod(mode & ~0o222)


def test_run_from_read_only_install_without_home(
    site: SiteConfig,
    sim: Simulation,
    warm_cache: Path,
    notify_socket: NotifySocket,
    tmp_path: Path,
) -> None:
    if shutil.which("setpriv") is None:
        pytest.fail("setpriv (util-linux) is needed to drop root's permission bypass")
    cwd = tmp_path / "ro-cwd"
    cwd.mkdir()
    cache = tmp_path / "ro-cache"
    shutil.copytree(warm_cache, cache)
    _read_only_tree(cache)
    cwd.chmod(0o555)
    data = tmp_path / "data"
    data.mkdir()
    env = {**base_env(cache), "NOTIFY_SOCKET": str(notify_socket.path)}
    assert "HOME" not in env
    prefix = DROP_DAC if os.geteuid() == 0 else ()
    proc = start_run(site.path, data, env, cwd=cwd, prefix=prefix)
    try:
        notify_socket.wait_for("READY=1", 60, proc)
    finally:
        status, out = stop(proc)
    assert status == 0, out
    assert list(cwd.iterdir()) == []
    assert (data / "qanat.db").is_file()
