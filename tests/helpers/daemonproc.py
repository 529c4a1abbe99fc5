"""``qanat run`` as a child process on the simulated site, with a tiny client for its API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from controller.config.site import SiteConfig
from controller.simulation.harness import Simulation
from tests.helpers.portfile import listen_options, wait_for_port_file
from tests.helpers.servedports import on_served_ports

__all__ = ["DaemonProcess", "confirm_time", "wait_for"]


def confirm_time(data_dir: Path) -> None:
    """``qanat confirm-time``: the child's wall clock is trusted whatever the machine's NTP
    state (the confirmation holds for this boot, in every process)."""
    from controller.cli import main

    if main(["confirm-time", "--data-dir", str(data_dir)]) != 0:
        raise RuntimeError(f"qanat confirm-time refused in {data_dir}")


class DaemonProcess:
    """A ``qanat run`` child process and a tiny HTTP client for its API."""

    def __init__(
        self, site: SiteConfig, data_dir: Path, token: str, *, sim: Simulation | None = None
    ) -> None:
        """``sim``: the simulated field serving the site's buses; when it bound them on ports
        the system chose (``any_port=True``) the child is given a site file naming those."""
        if sim is not None:
            site = on_served_ports(site, sim, data_dir.with_name(f"{data_dir.name}.site.toml"))
        self.token = token
        confirm_time(data_dir)
        port_file = data_dir.with_name(f"{data_dir.name}.port")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "controller.cli",
                "run",
                "--config",
                str(site.path),
                "--data-dir",
                str(data_dir),
                *listen_options(port_file),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.port = wait_for_port_file(self.proc, port_file)
        # The port file is written once the server accepts connections: the API answers.
        self.get("/status")

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, body)


def wait_for(predicate: Any, timeout_s: float, what: str) -> float:
    """Poll ``predicate`` every 0.1 s; the seconds it took, or AssertionError after timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {timeout_s} s")
