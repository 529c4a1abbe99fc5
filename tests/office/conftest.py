"""Office test fixtures: a real PostgreSQL server for the session.

The server itself: :mod:`tests.helpers.office.pg`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.office.pg import PG_BIN, PgServer, postgres_cluster


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if not PG_BIN.exists():
        pytest.fail(f"{PG_BIN} is missing: scripts/test.sh installs postgresql")
    with postgres_cluster() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    return pg_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def office_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The central database on both backends: an SQLite file, a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'office.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()
