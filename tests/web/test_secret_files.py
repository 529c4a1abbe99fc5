"""Files holding secrets are the owner's alone, whatever the umask of whoever started qanat."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.access.accounts import Accounts
from controller.store import Store
from tests.helpers.pages import FAST, PASSWORD
from web.security import load_box_secret


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A login shell's usual umask (022): files would be world-readable by default."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_and_shm_are_0600(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        Accounts(store, hasher=FAST).create_user("ada", PASSWORD, "admin")  # a password hash
        store.create_token("office", "viewer")
        files = sorted(data.glob("qanat.db*"))
        assert [f.name for f in files] == ["qanat.db", "qanat.db-shm", "qanat.db-wal"]
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_an_existing_database_keeps_its_mode(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    Store.open_dir(data).close()
    (data / "qanat.db").chmod(0o640)  # an operator's deliberate choice (a backup group)
    Store.open_dir(data).close()
    assert _mode(data / "qanat.db") == 0o640


def test_the_box_secret_is_0600(tmp_path: Path, open_umask: None) -> None:
    load_box_secret(tmp_path)
    assert _mode(tmp_path / "web-secret") == 0o600
