"""The store's exceptions.

::

    StoreError                     anything the store refuses or fails to do
    ├── StoreVersionError          the database schema is not the one this code knows
    ├── StoreWriteError            a write did not commit (disk full, locked, ...)
    ├── StoreCorruptError          the database file is damaged (integrity check at open)
    ├── NotFound                   no row with that id
    ├── RunStateError              a run state change that the state machine forbids
    └── InvalidToken               unknown or revoked API token

``StoreError`` is a branch of :class:`controller.errors.ControllerError`; that module draws
the whole tree, with the export errors of :mod:`controller.store.exports`.
"""

from __future__ import annotations

from controller.errors import ControllerError

__all__ = [
    "InvalidToken",
    "NotFound",
    "RunStateError",
    "StoreCorruptError",
    "StoreError",
    "StoreVersionError",
    "StoreWriteError",
]


class StoreError(ControllerError):
    """Base of every store error."""


class StoreVersionError(StoreError):
    """The database has a schema version this code cannot use (newer, or needing migration)."""

    def __init__(self, message: str, *, found: int, expected: int) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected


class StoreWriteError(StoreError):
    """A write failed and was rolled back; nothing of it is committed."""


class StoreCorruptError(StoreError):
    """The database file fails SQLite's integrity check: it is not opened (nothing is written
    over it), so a technician can keep it and restore a backup."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class NotFound(StoreError):
    """No row with the given id in the given table."""


class RunStateError(StoreError):
    """A run cannot go from its current state to the requested one."""


class InvalidToken(StoreError):
    """The presented API token is unknown or revoked (deliberately not saying which)."""
