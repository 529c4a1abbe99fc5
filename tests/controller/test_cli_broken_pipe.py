"""Every ``qanat`` command piped into a reader that stops early (``qanat … | head``) ends
quietly with status 141, as a shell reports SIGPIPE: no ``BrokenPipeError`` traceback, no
"Exception ignored" at the interpreter's exit. Real processes, a pipe whose read end is
closed before the command writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from controller.cli.exitcodes import BROKEN_PIPE
from tests.helpers.site import DEMO_SITE

ROOT = Path(__file__).resolve().parents[2]
WEATHER = ROOT / "deploy" / "examples" / "weather-zhangye-daily.csv"


def _into_closed_pipe(*args: str) -> tuple[int, str]:
    """Run ``qanat ARGS`` with stdout a pipe nobody reads (its read end closed at once);
    the exit status and stderr."""
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line is written
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "controller.cli", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        # a CSV of days on stdout
        ("et0", str(WEATHER), "--lat", "38.93", "--lon", "100.43", "--elev", "1482"),
        # a short report, written only at the exit's flush
        ("check-config", str(DEMO_SITE)),
    ],
    ids=["et0", "check-config"],
)
def test_a_reader_that_stops_early_ends_the_command_quietly(args: tuple[str, ...]) -> None:
    status, err = _into_closed_pipe(*args)
    assert "BrokenPipeError" not in err and "Traceback" not in err, err
    assert "Exception ignored" not in err, err
    assert status == BROKEN_PIPE, err
