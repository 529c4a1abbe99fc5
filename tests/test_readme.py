"""The README is true: its two set-up commands exist and CI calls the test one; its examples run.

Every ``$ qanat ...`` line in the README is run, and each line printed under it
in the README must appear in what the command prints.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from controller.config.site import SiteConfig
from tests.helpers.portfile import listen_options, wait_for_port_file
from tests.helpers.site import DEMO_SITE, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def _blocks() -> list[str]:
    return re.findall(r"```(?:sh|text)\n(.*?)```", README, flags=re.S)


def _examples() -> list[tuple[str, list[str]]]:
    examples = []
    for block in _blocks():
        command: str | None = None
        shown: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command:
                    examples.append((command, shown))
                command, shown = line[2:], []
            elif command and line.strip():
                shown.append(line.rstrip())
        if command:
            examples.append((command, shown))
    return examples


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    commands = [b.strip() for b in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]
    assert commands == ["scripts/demo.sh", "scripts/test.sh"]
    for c in commands:
        assert os.access(ROOT / c, os.X_OK), f"{c} is not executable"
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_readme_has_examples() -> None:
    commands = [c for c, _ in _examples()]
    assert any(c.startswith("qanat et0") for c in commands)
    assert any(c.startswith("qanat check-config") for c in commands)


# The README's examples that show a failure, with their exit status; every other example
# succeeds (0). A broken site is unusable input: status 2 (controller/cli/exitcodes.py).
EXIT_STATUS = {"qanat check-config broken-site.toml": 2}


def test_every_example_with_an_exit_status_is_in_the_readme() -> None:
    commands = [c for c, _ in _examples()]
    assert set(EXIT_STATUS) <= set(commands)


@pytest.mark.parametrize(("command", "shown"), _examples(), ids=lambda v: str(v)[:40])
def test_readme_example_runs_and_prints_what_it_shows(
    tmp_path: Path, command: str, shown: list[str]
) -> None:
    # The examples refer to files relative to the repository, and to a broken
    # copy of the demo site that the README describes.
    (tmp_path / "deploy").symlink_to(ROOT / "deploy")
    broken = DEMO_SITE.read_text(encoding="utf-8")
    broken = broken.replace('valve = "relay1.ch3"', 'valve = "relay9.ch3"')
    broken = broken.replace("unit = 22\n", "unit = 21\n")
    (tmp_path / "broken-site.toml").write_text(broken, encoding="utf-8")
    argv = shlex.split(command)
    assert argv[0] == "qanat"
    argv[0] = str(BIN / "qanat")
    proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    for line in shown:
        assert line in output, f"README shows {line!r}; command printed:\n{output}"
    expected = EXIT_STATUS.get(command, 0)
    assert proc.returncode == expected, f"exit status {proc.returncode}, not {expected}:\n{output}"


def test_demo_script_serves_the_api_and_stops_with_outputs_off(
    tmp_path: Path, site: SiteConfig
) -> None:
    """``scripts/demo.sh``: set-up, simulator, daemon and API; a technician token works.

    The demo site is moved to free ports so the test never collides with a demo running
    on the same machine; the API and the simulator's control port listen on ports the
    system picks (the API's read from ``--port-file``).
    """
    port_file = tmp_path / "api.port"
    proc = subprocess.Popen(
        [
            str(ROOT / "scripts" / "demo.sh"),
            "--config",
            str(site.path),
            "--data-dir",
            str(tmp_path / "data"),
            *listen_options(port_file),
            "--sim-control-port",
            "0",  # the simulator's control port: the system picks it
            "--for",
            "20",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    token = None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("technician token: "):
            token = line.split(": ", 1)[1].strip()
            break
    assert token, "".join(lines)
    port = wait_for_port_file(proc, port_file)  # written before the token is printed
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/zones", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        zones = json.loads(resp.read())
    assert [z["name"] for z in zones] == ["z1", "z2", "z3", "z4"]
    assert all(not z["valve_on"] for z in zones)
    rest = proc.stdout.read()
    assert proc.wait(120) == 0, "".join(lines) + rest
    # the banner's promise kept: the last line says the outputs were read back off
    assert rest.rstrip().endswith("every output switched off and read back off"), rest
