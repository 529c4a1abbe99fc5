"""Real SQLite write failures for a running :class:`controller.store.Store`.

* :func:`disk_full` — ``PRAGMA max_page_count`` at the file's current size on every
  connection: a commit that needs a new page fails with ``SQLITE_FULL``, as on a
  full card (rows that still fit a page's free space are written, as there too).
* :func:`read_only` — ``PRAGMA query_only`` on every connection: every write fails with
  ``SQLITE_READONLY`` while reads answer, as on a card remounted read-only (portable).
* :func:`loop_filesystem` — a tiny ext4 image mounted on a loop device (root only;
  the caller skips otherwise); :func:`remount_read_only` makes the kernel remount
  it read-only under the open database, as ext4 does on an I/O error
  (``errors=remount-ro``): every write fails with ``SQLITE_IOERR``.

The store's pool is reopened so each connection gets the pragma; the tests reach
its engine for that, the one seam SQLite offers short of a custom VFS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from controller.store import Store

__all__ = ["disk_full", "loop_filesystem", "read_only", "remount_read_only"]


@contextmanager
def _every_connection(store: Store, pragma: str) -> Iterator[None]:
    engine = store._engine  # the seam: connection settings of the store's pool

    def apply(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(pragma)

    event.listen(engine, "connect", apply)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, "connect", apply)
        engine.dispose()


def disk_full(store: Store) -> AbstractContextManager[None]:
    """Inside: the database file cannot grow (``SQLITE_FULL``); after: it can again."""
    return _every_connection(store, "PRAGMA max_page_count = 1")  # clamps to the current size


def read_only(store: Store) -> AbstractContextManager[None]:
    """Inside: every write fails (``SQLITE_READONLY``), reads answer; after: writable again."""
    return _every_connection(store, "PRAGMA query_only = 1")


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mkfs.ext4") is not None


@contextmanager
def loop_filesystem(tmp_path: Path, size_mb: int = 8) -> Iterator[Path]:
    """A fresh ext4 file system of ``size_mb`` mounted at ``tmp_path/mnt`` (root only)."""
    image, mnt = tmp_path / "fs.img", tmp_path / "mnt"
    with image.open("wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
    mnt.mkdir()
    subprocess.run(
        ["mount", "-o", "loop,errors=remount-ro", str(image), str(mnt)],
        check=True,
        capture_output=True,
    )
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def remount_read_only(mnt: Path) -> None:
    """Make the kernel remount ``mnt`` read-only with files open (an ext4 error)."""
    source = subprocess.run(
        ["findmnt", "-no", "SOURCE", str(mnt)], check=True, capture_output=True, text=True
    ).stdout.strip()
    Path(f"/sys/fs/ext4/{Path(source).name}/trigger_fs_error").write_text("test\n")
    options = subprocess.run(
        ["findmnt", "-no", "OPTIONS", str(mnt)], check=True, capture_output=True, text=True
    ).stdout
    flags = options.strip().split(",")
    assert "ro" in flags or "emergency_ro" in flags, options
