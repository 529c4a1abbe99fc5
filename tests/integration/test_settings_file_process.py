"""``qanat run`` as a real process takes up ``qanat soil dry-down`` and a hand edit of the
settings file without a restart, and refuses a broken file while it keeps running."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.cli import exitcodes, main
from controller.config import overrides
from controller.config.site import SiteConfig
from controller.simulation.harness import Simulation
from controller.store import Store
from tests.helpers.daemonproc import DaemonProcess, wait_for

TAKEN_UP_S = 30.0  # the daemon checks every 2 s; room for a loaded machine


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def daemon(site: SiteConfig, live_sim: Simulation, data_dir: Path) -> Iterator[DaemonProcess]:
    with Store.open_dir(data_dir) as store:
        token = store.create_token("wei", "viewer")[1]
    d = DaemonProcess(site, data_dir, token, sim=live_sim)
    yield d
    if d.proc.poll() is None:
        d.proc.kill()
        d.proc.wait(10)


def _dry_down(daemon: DaemonProcess) -> dict[str, Any]:
    got: dict[str, Any] = daemon.get("/soil/z1/dry-down")
    return got


def test_cli_request_and_hand_edits_reach_the_running_daemon(
    site: SiteConfig, daemon: DaemonProcess, data_dir: Path
) -> None:
    assert _dry_down(daemon)["fraction"] is None
    argv = ["soil", "--data-dir", str(data_dir), "dry-down", "z1", "--config", str(site.path)]
    assert main([*argv, "--fraction", "0.8"]) == exitcodes.OK
    wait_for(lambda: _dry_down(daemon)["fraction"] == 0.8, TAKEN_UP_S, "the CLI's request")
    assert _dry_down(daemon)["phase"] in ("requested", "holding")

    path = data_dir / overrides.OVERRIDES_FILE
    path.write_text("[zones.z1]\ncalibration_dry_down = 0.95\n", encoding="utf-8")

    def refused() -> list[dict[str, Any]]:
        return [a for a in daemon.get("/alarms") if a["code"] == "settings_refused"]

    wait_for(lambda: bool(refused()), TAKEN_UP_S, "the broken file refused")
    (alarm,) = refused()
    assert "zones[0].calibration_dry_down" in alarm["message"]
    assert str(path) in alarm["message"]
    assert daemon.proc.poll() is None and _dry_down(daemon)["fraction"] == 0.8  # kept

    path.write_text("[zones.z1]\ncalibration_dry_down = 0.7\n", encoding="utf-8")
    wait_for(lambda: _dry_down(daemon)["fraction"] == 0.7, TAKEN_UP_S, "the mended file")
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(30) == 0
