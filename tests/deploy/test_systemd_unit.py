"""deploy/systemd/qanat.service: systemd's own verifier, and the directives safety relies on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.deploy import QANAT
from tests.helpers.site import ROOT

UNIT = ROOT / "deploy" / "systemd" / "qanat.service"


def _directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install -y systemd")
    # verify also checks that the executables exist: point them at this checkout's qanat.
    unit = tmp_path / "qanat.service"
    unit.write_text(UNIT.read_text("utf-8").replace("/opt/qanat/venv/bin/qanat", str(QANAT)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr


def test_the_unit_keeps_water_off_and_the_box_locked_down() -> None:
    d = _directives()
    assert d["Type"] == ["notify"] and d["NotifyAccess"] == ["main"]
    assert d["WatchdogSec"] and d["Restart"] == ["on-failure"]
    assert d["StartLimitIntervalSec"] and d["StartLimitBurst"]
    assert d["ExecStartPre"][0].split()[1] == "check-config"
    assert d["ExecStopPost"][0].split()[1:3] == ["outputs-off", "--config"]
    assert d["User"] == ["qanat"] and d["SupplementaryGroups"] == ["dialout"]
    assert "NUMBA_CACHE_DIR=/var/cache/qanat/numba" in d["Environment"]
    assert d["CacheDirectory"] == d["StateDirectory"] == d["ConfigurationDirectory"] == ["qanat"]
    assert d["ProtectSystem"] == ["strict"] and d["ProtectHome"] == ["yes"]
    assert d["NoNewPrivileges"] == ["yes"] and d["PrivateTmp"] == ["yes"]
    assert d["DevicePolicy"] == ["closed"]
    assert {"char-ttyUSB rw", "char-ttyACM rw"} <= set(d["DeviceAllow"])
    assert "MemoryDenyWriteExecute" not in d  # numba writes machine code
    assert d["StandardOutput"] == ["journal"]
