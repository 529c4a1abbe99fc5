"""deploy/install.sh into a throwaway root, twice (install, then upgrade), and its helpers.

The venv step (pip from PyPI or a wheelhouse) is the one part not exercised: the
root gets a stand-in venv whose ``qanat`` is this checkout's (``--no-pip``).
Everything else runs for real: directories and modes, unit and rules, the site
check, ``qanat warmup`` into the root's numba cache, the pre-upgrade backup.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from controller.store import Store
from tests.helpers.deploy import QANAT
from tests.helpers.site import DEMO_SITE, ROOT

INSTALL = ROOT / "deploy" / "install.sh"


def _stand_in_venv(root: Path) -> None:
    bin_dir = root / "opt/qanat/venv/bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "qanat").write_text(f'#!/bin/sh\nexec {QANAT} "$@"\n', encoding="utf-8")
    (bin_dir / "qanat").chmod(0o755)
    (bin_dir / "python").symlink_to(Path(sys.executable))


def _install(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "bash",
            str(INSTALL),
            "--root",
            str(root),
            "--no-useradd",
            "--no-systemctl",
            "--no-pip",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def root(tmp_path: Path, warm_cache: Path) -> Path:
    root = tmp_path / "root"
    _stand_in_venv(root)
    shutil.copytree(warm_cache, root / "var/cache/qanat/numba")  # warmup then only loads
    return root


def test_install_then_upgrade_into_a_throwaway_root(root: Path) -> None:
    first = _install(root, "--site", str(DEMO_SITE))
    assert first.returncode == 0, first.stderr
    assert "site 'ganzhou-demo'" in first.stdout  # check-config ran on the installed file

    unit = root / "etc/systemd/system/qanat.service"
    assert unit.read_bytes() == (ROOT / "deploy/systemd/qanat.service").read_bytes()
    rules = root / "etc/udev/rules.d/99-qanat-rs485.rules"
    assert rules.read_bytes() == (ROOT / "deploy/udev/99-qanat-rs485.rules").read_bytes()
    assert (root / "etc/qanat/site.toml").read_bytes() == DEMO_SITE.read_bytes()
    assert (root / "etc/qanat/site.toml.example").is_file()
    assert (root / "opt/qanat/share/docs/deploy.md").is_file()
    assert (root / "opt/qanat/INSTALLED").read_text().startswith("qanat ")
    for d in ("etc/qanat", "var/lib/qanat", "var/cache/qanat"):
        assert _mode(root / d) == 0o750, d
    assert _mode(root / "etc/qanat/site.toml") == 0o640
    cache = root / "var/cache/qanat/numba"
    assert any(cache.rglob("*.nbi")) and any(cache.rglob("*.nbc"))
    assert "numba cache: " + str(cache) in first.stdout

    # The daemon ran for a season: data in the data dir; the technician edited the site.
    with Store.open_dir(root / "var/lib/qanat") as store:
        store.create_token("office", "viewer")
    edited = root / "etc/qanat/site.toml"
    edited.write_text(edited.read_text("utf-8") + "\n# edited on site\n", encoding="utf-8")

    second = _install(root)
    assert second.returncode == 0, second.stderr
    backups = list((root / "var/lib/qanat/backups").glob("pre-upgrade-*.tar.gz"))
    assert len(backups) == 1
    assert edited.read_text("utf-8").endswith("# edited on site\n")  # config kept
    with Store.open_dir(root / "var/lib/qanat") as store:
        assert [t.name for t in store.tokens()] == ["office"]  # data kept


def test_a_broken_site_stops_the_install_before_anything_starts(root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(DEMO_SITE.read_text("utf-8").replace("unit = 2\n", "unit = 1\n", 1))
    result = _install(root, "--site", str(broken))
    assert result.returncode != 0
    assert "already devices[0]" in result.stderr or "unit 1" in result.stderr


def test_root_is_needed_without_a_staging_root() -> None:
    if os.geteuid() == 0:
        result = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "bash",
                str(INSTALL),
                "--no-systemctl",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    else:
        result = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True)
    assert result.returncode == 1 and "run as root" in result.stderr


def _fake_usb_tty(
    sysfs: Path, tty: str, port: str, vendor: str, product: str, serial: str | None
) -> None:
    usb = sysfs / "devices/platform/usb" / port
    iface = usb / f"{port}:1.0" / tty
    iface.mkdir(parents=True)
    (usb / "idVendor").write_text(vendor + "\n")
    (usb / "idProduct").write_text(product + "\n")
    if serial:
        (usb / "serial").write_text(serial + "\n")
    link = sysfs / "class/tty" / tty
    link.mkdir(parents=True)
    (link / "device").symlink_to(iface)


def test_map_adapters_numbers_known_chips_by_serial_or_socket(tmp_path: Path) -> None:
    sysfs = tmp_path / "sys"
    _fake_usb_tty(sysfs, "ttyUSB0", "1-1.3", "1a86", "7523", None)  # CH340: no serial
    _fake_usb_tty(sysfs, "ttyUSB1", "1-1.2", "0403", "6001", "A10KZ3QF")  # FTDI
    _fake_usb_tty(sysfs, "ttyUSB2", "1-1.4", "10c4", "ea60", "0001")  # CP210x
    _fake_usb_tty(sysfs, "ttyACM0", "1-1.1", "2341", "0043", "X")  # an Arduino: not ours
    result = subprocess.run(
        ["bash", str(ROOT / "deploy/map-adapters.sh")],
        env={**os.environ, "SYSFS": str(sysfs)},
        capture_output=True,
        text=True,
        check=True,
    )
    rules = [line for line in result.stdout.splitlines() if line.startswith("SUBSYSTEM")]
    assert len(rules) == 3
    assert all(f'SYMLINK+="ttyQANAT{i}"' in line for i, line in enumerate(rules))
    joined = "\n".join(rules)
    assert 'ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ATTRS{serial}=="A10KZ3QF"' in joined
    assert 'ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="7523", KERNELS=="1-1.3"' in joined
    assert "2341" not in joined
    again = subprocess.run(
        ["bash", str(ROOT / "deploy/map-adapters.sh")],
        env={**os.environ, "SYSFS": str(sysfs)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert [r for r in again.stdout.splitlines() if r.startswith("SUBSYSTEM")] == rules
