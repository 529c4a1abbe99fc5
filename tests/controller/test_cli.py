"""The ``qanat`` command as a whole: its help and the modules it imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from controller.cli import COMMANDS, main
from tests.conftest import ROOT


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
