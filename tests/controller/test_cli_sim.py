"""``qanat sim`` says where it serves: with ``--control-port 0`` the port the control channel
was given, which a fault command can then be sent to."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from controller.cli import main
from tests.helpers.site import DEMO_SITE, ROOT, on_free_ports


def test_control_port_0_prints_the_port_it_listens_on(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    cmd = [sys.executable, "-m", "controller.cli", "sim", "--config", str(site)]
    proc = subprocess.Popen(
        [*cmd, "--control-port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = ""
        for line in proc.stdout:  # the lines come as it starts; the control line is last
            if line.startswith("sim control on "):
                break
        found = re.fullmatch(r"sim control on 127\.0\.0\.1:(\d+)\n", line)
        assert found, line
        port = found.group(1)
        assert port != "0"
        # the printed port is the control channel: a status request is answered there
        assert main(["sim", "--config", str(site), "--control-port", port, "--status"]) == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
