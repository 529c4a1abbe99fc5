"""``qanat run`` as a child process, and a stand-in for systemd's notify socket."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

QANAT = Path(sys.executable).parent / "qanat"


class NotifySocket:
    """A real AF_UNIX datagram socket standing in for systemd's ``NOTIFY_SOCKET``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[tuple[float, str]] = []

    def wait_for(
        self, wanted: str, timeout_s: float, proc: subprocess.Popen[str], *, count: int = 1
    ) -> float:
        """Collect datagrams until ``count`` hold the line ``wanted``; the last one's time."""
        deadline = time.monotonic() + timeout_s
        seen = [t for t, msg in self.messages if wanted in msg.splitlines()]
        if len(seen) >= count:
            return seen[count - 1]
        while time.monotonic() < deadline:
            if proc.poll() is not None and not self._ready():
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"qanat exited {proc.returncode} before {wanted}: {out}")
            if not self._ready(0.2):
                continue
            msg = self.sock.recv(4096).decode()
            now = time.monotonic()
            self.messages.append((now, msg))
            if wanted in msg.splitlines():
                seen.append(now)
                if len(seen) >= count:
                    return now
        raise AssertionError(f"no {wanted} within {timeout_s} s; got {self.lines()}")

    def _ready(self, timeout_s: float = 0.0) -> bool:
        import select

        return bool(select.select([self.sock], [], [], timeout_s)[0])

    def lines(self) -> list[str]:
        return [line for _, msg in self.messages for line in msg.splitlines()]

    def close(self) -> None:
        self.sock.close()


def start_run(
    site_path: Path,
    data_dir: Path,
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    prefix: tuple[str, ...] = (),
) -> subprocess.Popen[str]:
    """``qanat run`` as a child process with exactly ``env`` (plus nothing else)."""
    return subprocess.Popen(
        [
            *prefix,
            str(QANAT),
            "run",
            "--config",
            str(site_path),
            "--data-dir",
            str(data_dir),
            "--listen",
            "127.0.0.1:0",  # the system picks a free port as it binds
        ],
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(proc: subprocess.Popen[str], timeout_s: float = 30) -> tuple[int, str]:
    """SIGTERM, wait; (exit status, output)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return proc.returncode, out


def base_env(cache: Path) -> dict[str, str]:
    """The environment systemd gives the service (PATH, the cache dir), nothing from us."""
    return {
        "PATH": "/usr/bin:/bin",
        "NUMBA_CACHE_DIR": str(cache),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
    }
