"""The wheel, installed into a fresh virtual environment, runs ``qanat`` end to end.

Everything else in the suite imports the source tree; this is where a module or a data
file missing from the wheel (a template, a scenario, the bundled examples), or a
dependency missing from ``pyproject.toml``, shows up before a box does. The wheel is
built from a copy of the packages, installed with its dependencies (pip's cache makes
that about a minute) into a venv outside the source tree, and run from outside it, with
neither the checkout nor its editable install on the path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.portfile import listen_options, wait_for_port_file
from tests.helpers.site import ROOT, on_free_ports

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(900)]

PACKAGES = ("controller", "drivers", "models", "web")


class Installed:
    """The venv holding the wheel, and how to run its ``qanat`` from outside the tree."""

    def __init__(self, venv: Path, work: Path, numba_cache: Path) -> None:
        self.venv = venv
        self.work = work  # the cwd of every command: neither the checkout nor the venv
        # nothing from the test process's path: its PYTHONPATH names the checkout
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
        }
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["NUMBA_CACHE_DIR"] = str(numba_cache)
        self.env["QANAT_DATA_DIR"] = str(work / "data")

    def run(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )

    def python(self, code: str) -> str:
        proc = self.run(str(self.venv / "bin" / "python"), "-c", code)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    def qanat(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.venv / "bin" / "qanat"), *args, timeout_s=timeout_s)


def _pip(*args: str, cwd: Path, timeout_s: float = 600) -> None:
    proc = subprocess.run(
        [*args, "--disable-pip-version-check", "-q"],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT)
    # Built from a copy: an in-tree build would leave build/ behind, and a stale build/lib
    # could put modules deleted since into the wheel.
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    dist = base / "dist"
    started = time.monotonic()
    _pip(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(src), cwd=base)
    (wheel,) = dist.glob("qanat-*.whl")
    built = time.monotonic()

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    _pip(str(venv / "bin" / "python"), "-m", "pip", "install", str(wheel), cwd=base)
    print(
        f"wheel built in {built - started:.0f} s, "
        f"installed with its dependencies in {time.monotonic() - built:.0f} s"
    )
    work = base / "work"
    work.mkdir()
    # numba's cache is keyed by the source file's path: the installed kernels compile
    # once here, into a cache of their own
    return Installed(venv, work, base / "numba-cache")


def test_the_packages_come_from_the_venv(installed: Installed) -> None:
    files = json.loads(
        installed.python(
            "import json, controller, drivers, models, web; "
            "print(json.dumps([m.__file__ for m in (controller, drivers, models, web)]))"
        )
    )
    site_packages = installed.venv.resolve()
    for file in files:
        assert Path(file).resolve().is_relative_to(site_packages), files
    # and nothing on the path leads back to the checkout (no PYTHONPATH, no editable finder)
    path = json.loads(installed.python("import json, sys; print(json.dumps(sys.path))"))
    assert not [p for p in path if p and Path(p).resolve().is_relative_to(ROOT)], path
    assert not list(installed.venv.glob("lib/python*/site-packages/__editable__*"))


def _bundled_demo_site(installed: Installed) -> Path:
    path = Path(
        installed.python(
            "from controller.paths import bundled; "
            "print(bundled('controller.config', 'examples/demo-site.toml'))"
        )
    )
    assert path.resolve().is_relative_to(installed.venv.resolve()), path
    return path


def test_check_config_of_the_bundled_example(installed: Installed) -> None:
    site = _bundled_demo_site(installed)
    proc = installed.qanat("check-config", str(site))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


def test_demo_serves_pages_and_api_then_stops(installed: Installed) -> None:
    # the bundled site moved to free bus ports (other tests, or a demo, may hold 5020)
    site = installed.work / "demo-site.toml"
    site.write_text(on_free_ports(_bundled_demo_site(installed).read_text("utf-8")), "utf-8")
    port_file = installed.work / "demo-api.port"  # the port the system picks for :0
    proc = subprocess.Popen(
        [
            str(installed.venv / "bin" / "qanat"),
            "demo",
            "--config",
            str(site),
            "--data-dir",
            str(installed.work / "demo-data"),
            *listen_options(port_file),
            "--sim-control-port",
            "0",  # the simulator's control port: the system picks it
            "--for",
            "8",
        ],
        cwd=installed.work,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        token = None
        for line in proc.stdout:
            lines.append(line)
            if m := re.match(r"technician token: (\S+)", line):
                token = m.group(1)
                break
        assert token, "".join(lines)
        listen = f"127.0.0.1:{wait_for_port_file(proc, port_file)}"
        # the daemon serves for 8 s from here: the templates, the static files and the
        # API answer from the installed package
        answers: dict[str, int] = {}
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and len(answers) < 3:
            try:
                answers["login"], page = _get(f"http://{listen}/login")
                assert b"<form" in page
                answers["static"], _ = _get(f"http://{listen}/static/app.css")
                answers["zones"], body = _get(f"http://{listen}/api/v1/zones", token)
                assert json.loads(body), body
            except OSError:
                time.sleep(0.1)
        out, _ = proc.communicate(timeout=60)
        lines.append(out)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert answers == {"login": 200, "static": 200, "zones": 200}, "".join(lines)
    assert proc.returncode == 0, "".join(lines)


def test_simulate_two_days(installed: Installed) -> None:
    proc = installed.qanat("simulate", "--days", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the savings table: water applied against the conventional baseline
    assert re.search(r"m³/mu applied vs conventional \d+ m³/mu", proc.stdout), proc.stdout
