"""Reads kept until the SQLite database changes.

SQLite counts commits: ``PRAGMA data_version`` on one connection changes whenever another
connection — of this process or any other — has committed to the database since that
connection last asked (https://www.sqlite.org/pragma.html#pragma_data_version). A private
connection that only ever asks this tells whether anything at all was written, in about
5 µs; a read whose answer was kept at the same version is still the database's answer.

The version is read *before* the kept read is made, so a commit racing with that read
leaves the answer kept under the older version and the next call reads again: an answer is
never newer-labelled than it is.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["ChangeWatch"]

_T = TypeVar("_T")


class ChangeWatch:
    """Answers of reads kept per key until the database file at ``path`` changes."""

    def __init__(self, path: Path) -> None:
        # autocommit (no transaction is ever held open), shared by the store's threads
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[int, Any]] = {}

    def version(self) -> int:
        """The database's change counter as this connection sees it."""
        with self._lock:
            row = self._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def read(self, key: str, load: Callable[[], _T]) -> _T:
        """``load()``'s answer, kept under ``key`` until the database changes."""
        version = self.version()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        value = load()
        with self._lock:
            self._kept[key] = (version, value)
        return value

    def forget(self) -> None:
        """Drop every kept answer (the next reads go to the database)."""
        with self._lock:
            self._kept.clear()

    def close(self) -> None:
        with self._lock:
            self._kept.clear()
            self._conn.close()
