"""``qanat outputs-off``: every output off and read back, against the simulated site."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from controller.config.site import SiteConfig
from controller.simulation.harness import Simulation
from tests.helpers.deploy import QANAT
from tests.helpers.site import DEMO_SITE, on_free_ports


def _outputs_off(site_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(QANAT), "outputs-off", "--config", str(site_path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_switches_every_output_off_and_verifies(site: SiteConfig, sim: Simulation) -> None:
    relay = sim.devices["relay1"]
    for ch in ("ch1", "ch3", "ch7", "ch8"):  # two valves, the master valve, the pump
        relay.set(ch, 1)
    result = _outputs_off(site.path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["not_off"] == {}
    assert set(report["off"]) == set(site.output_roles())
    assert all(relay.get(f"ch{i}") == 0 for i in range(1, 9))


def test_unreachable_relay_exits_non_zero_naming_each_output(tmp_path: Path) -> None:
    site_path = tmp_path / "site.toml"  # free ports, nothing listening: connection refused
    site_path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    result = _outputs_off(site_path)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and report["off"] == []
    assert "pump" in report["not_off"] and "valve:z1" in result.stderr


def test_unusable_site_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[site]\n", encoding="utf-8")
    assert _outputs_off(bad).returncode == 2
