"""The port a ``qanat run``/``qanat demo`` child listens on, read from its ``--port-file``.

The child is started with ``--listen 127.0.0.1:0 --port-file PATH``: the system picks the
port as the server binds, and the child writes it to PATH (atomically) once it listens. No
port is chosen by the test, so none can be taken by another process in between.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

__all__ = ["PORT_FILE_DEADLINE_S", "listen_options", "wait_for_port_file"]

# Generous: the child imports numba-compiled models and makes the site safe first, on a
# machine shared with other test runs.
PORT_FILE_DEADLINE_S = 120.0
_POLL_S = 0.1


def listen_options(port_file: Path) -> list[str]:
    """The command-line options: any free loopback port, reported in ``port_file``.

    A port file left by an earlier child (killed, so it could not remove it) is removed
    here, before the new child starts, so the port read is the new child's."""
    port_file.unlink(missing_ok=True)
    return ["--listen", "127.0.0.1:0", "--port-file", str(port_file)]


def wait_for_port_file(
    proc: subprocess.Popen[str],
    port_file: Path,
    deadline_s: float = PORT_FILE_DEADLINE_S,
) -> int:
    """The port in ``port_file`` once the child wrote it; AssertionError with the child's
    output if it exits first, or after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while True:
        if port_file.exists():
            return int(port_file.read_text(encoding="ascii"))
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"exited with {proc.returncode} before listening:\n{out}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no port in {port_file} within {deadline_s:.0f} s")
        time.sleep(_POLL_S)
