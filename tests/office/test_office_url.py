"""``--db`` of ``qanat pull`` and ``qanat report``: a database the office cannot use is one
line naming its scheme (never its password), exit 2; it was a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli import main
from controller.office.central import CentralError, office_url


@pytest.mark.parametrize(
    ("db", "said"),
    [
        ("mysql://office:secret@10.0.0.5/qanat", "--db mysql://…: the office database is an"),
        ("postgresql+psycopg2://office:secret@db/q", "--db postgresql+psycopg2://…: its driver"),
        ("postgresql+nope://office:secret@db/q", "--db postgresql+nope://…: not a database URL"),
    ],
)
def test_a_database_the_office_cannot_use_is_one_line(
    db: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text('[[sites]]\nid = "a"\nurl = "http://127.0.0.1:1"\ntoken = "t"\n', "utf-8")
    assert main(["pull", "--sites", str(sites), "--db", db, "--no-progress"]) == 2
    assert main(["report", "--db", db, "--format", "csv"]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0].startswith(f"cannot open the office database: {said}"), err
    assert lines[1].startswith(f"cannot make the report: {said}"), err
    assert len(lines) == 2 and "secret" not in err, err


def test_postgres_is_read_as_postgresql_as_libpq_reads_it() -> None:
    """``postgres://`` (libpq's and many hosts' spelling) was SQLAlchemy's
    ``Can't load plugin: sqlalchemy.dialects:postgres``."""
    assert office_url("postgres://office@db/qanat") == "postgresql+psycopg://office@db/qanat"
    assert office_url("postgresql://office@db/qanat") == "postgresql+psycopg://office@db/qanat"
    assert office_url("postgres+psycopg://o@db/q") == "postgresql+psycopg://o@db/q"
    assert office_url("office.db") == "sqlite:///office.db"
    with pytest.raises(CentralError):
        office_url("not a url://x")
