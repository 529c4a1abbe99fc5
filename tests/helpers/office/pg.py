"""A throwaway PostgreSQL cluster (Debian's ``postgresql`` package) on a free loopback port.

``trust`` authentication for user ``qanat``; durability switched off (tests and
benchmarks, not data). PostgreSQL refuses to run as root, so under root (CI) the server
runs as the ``postgres`` system user the package made.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.helpers.site import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_counter = itertools.count()


class PgMissing(RuntimeError):
    """Debian's postgresql package is not installed."""


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


class PgServer:
    def __init__(self, port: int) -> None:
        self.port = port

    def admin_url(self) -> str:
        return f"postgresql://qanat@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        name = f"office_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://qanat@127.0.0.1:{self.port}/{name}"


def _start_on_a_free_port(pg_ctl: str, data: Path, sockets: Path, root: Path) -> int:
    """``pg_ctl start`` on a loopback port; the port.

    PostgreSQL cannot report a port it chose, so it is told one free a moment ago; if another
    process took it meanwhile the server cannot bind, ``pg_ctl -w`` fails at once, and
    another port is tried."""
    for attempt in range(5):
        port = free_port()
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        log = root / f"log-{attempt}"  # written by the server's user
        start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
        done = subprocess.run(_as_server_user(start), capture_output=True, timeout=60)
        if done.returncode == 0:
            return port
        said = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if "Address already in use" not in said:
            done.check_returncode()
    raise AssertionError(f"postgres could not listen on a free port; the last: {port}")


@contextmanager
def postgres_cluster() -> Iterator[PgServer]:
    """initdb + pg_ctl start in a temporary directory; stopped and removed on leaving."""
    initdb = PG_BIN / "initdb"
    if not initdb.exists():
        raise PgMissing(f"{initdb} is missing: apt-get install postgresql (scripts/test.sh does)")
    root = Path(tempfile.mkdtemp(prefix="qanat-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    init = [str(initdb), "-D", str(data), "-U", "qanat", "--auth=trust", "-E", "UTF8"]
    subprocess.run(_as_server_user([*init, "--locale=C.UTF-8"]), check=True, capture_output=True)
    pg_ctl = str(PG_BIN / "pg_ctl")
    try:
        yield PgServer(_start_on_a_free_port(pg_ctl, data, sockets, root))
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(_as_server_user(stop), capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
