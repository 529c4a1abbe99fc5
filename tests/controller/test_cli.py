"""The ``qanat`` command as a whole: its help, the modules it imports, its exit codes."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from controller.cli import COMMANDS, exitcodes, main
from tests.helpers.site import ROOT


def test_help_lists_every_command_with_its_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per command: argparse wraps at the width
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    words = " ".join(capsys.readouterr().out.split())  # a long name puts its help below it
    for name, (_, help_text) in COMMANDS.items():
        assert help_text.strip(), name
        assert f" {name} {' '.join(help_text.split())} " in words, name


def test_help_imports_no_command_module() -> None:
    probe = (
        "import sys\n"
        "from controller.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    loaded = set(out.split())
    assert not loaded & {module for module, _ in COMMANDS.values()}


# every command that reads a site file, with what else it needs to get that far
SITE_COMMANDS: dict[str, list[str]] = {
    "check-config": ["check-config", "{site}"],
    "sim": ["sim", "--config", "{site}"],
    "poll": ["poll", "--config", "{site}", "--once"],
    "run": ["run", "--config", "{site}", "--data-dir", "{data}"],
    "demo": ["demo", "--config", "{site}", "--data-dir", "{data}"],
    "outputs-off": ["outputs-off", "--config", "{site}"],
    "hil": ["hil", "--target", "sim", "--config", "{site}", "--no-suite"],
    "report": ["report", "--config", "{site}", "--data-dir", "{data}"],
    "notify": ["notify", "--config", "{site}", "--data-dir", "{data}", "test", "ops"],
    "probe": [
        "probe",
        "--config",
        "{site}",
        "--data-dir",
        "{data}",
        "sample",
        "add",
        "probe1a",
        "--theta-pct",
        "20",
        "--raw",
        "25",
    ],
    "soil": ["soil", "--config", "{site}", "--data-dir", "{data}", "approve", "z1"],
}


def _site_file(tmp_path: Path, kind: str, demo_site_text: str) -> Path:
    path = tmp_path / "site.toml"
    if kind == "invalid-toml":
        path.write_text("[site\nid = 'x'\n", encoding="utf-8")
    elif kind == "unknown-device":
        path.write_text(
            demo_site_text.replace('valve = "relay1.ch3"', 'valve = "relay9.ch3"'),
            encoding="utf-8",
        )
    return path  # "missing": never written


@pytest.mark.parametrize("kind", ["missing", "invalid-toml", "unknown-device"])
@pytest.mark.parametrize("command", sorted(SITE_COMMANDS))
def test_an_unusable_site_file_exits_the_same_for_every_command(
    command: str,
    kind: str,
    tmp_path: Path,
    demo_site_text: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = _site_file(tmp_path, kind, demo_site_text)
    argv = [a.format(site=site, data=tmp_path / "data") for a in SITE_COMMANDS[command]]
    assert main(argv) == exitcodes.UNUSABLE
    err = capsys.readouterr().err
    assert f"{site}: 1 problem\n" in err  # the one printer of a file's problems


def test_every_command_that_reads_a_site_file_is_checked() -> None:
    takes_config = {"check-config"}  # the one that takes it as its argument
    for name, (module_path, _) in COMMANDS.items():
        parser = argparse.ArgumentParser(prog=f"qanat {name}")
        importlib.import_module(module_path).add_arguments(parser)
        if any("--config" in action.option_strings for action in parser._actions):
            takes_config.add(name)
    assert takes_config == set(SITE_COMMANDS)


def test_the_exit_codes_are_documented_for_operators() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = doc.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = {
        code for name in exitcodes.__all__ if isinstance(code := getattr(exitcodes, name), int)
    }
    assert codes == {0, 1, 2, 130, 141}
    for code in codes:
        assert f"\n| {code} | " in section, code
