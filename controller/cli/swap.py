"""All-or-nothing renames: put several files and folders in place, or none of them.

``qanat restore`` replaces the data directory's settings, models, photos, canopy history and
database one rename at a time. Each rename is recorded; when a later one fails, every one
done is undone in reverse order, so the box keeps exactly what it had (its own parked
folders are moved back before the staging folder that holds them is removed).
"""

from __future__ import annotations

import os
from pathlib import Path

from controller.errors import CommandError

__all__ = ["Swap", "SwapUndoError"]


class SwapUndoError(CommandError):
    """Renames that could not be undone: ``stranded`` lists each ``(where it is, where it
    belongs)``."""

    def __init__(self, stranded: list[tuple[Path, Path, OSError]]) -> None:
        said = "; ".join(
            f"{at} could not be moved back to {home}: {why.strerror or why}"
            for at, home, why in stranded
        )
        super().__init__(said)
        self.stranded = [(at, home) for at, home, _ in stranded]


class Swap:
    """Renames on one file system, each undone by :meth:`undo` (last first)."""

    def __init__(self) -> None:
        self._done: list[tuple[Path, Path]] = []

    def move(self, source: Path, target: Path) -> None:
        """``os.replace(source, target)``, remembered; nothing is remembered if it raises
        (a failed rename changes nothing)."""
        os.replace(source, target)
        self._done.append((source, target))

    def put(self, new: Path, target: Path, parking: Path) -> None:
        """``target`` becomes ``new``: the one there (file or folder) is first moved to
        ``parking``, so the two never mix."""
        if target.is_symlink() or target.exists():
            self.move(target, parking)
        self.move(new, target)

    def undo(self) -> None:
        """Every rename done, reversed, last first; one that fails does not stop the others
        (each part is put back if it can be). Raises :class:`SwapUndoError` naming every
        rename that could not be undone."""
        stranded: list[tuple[Path, Path, OSError]] = []
        while self._done:
            source, target = self._done.pop()
            try:
                os.replace(target, source)
            except OSError as exc:
                stranded.append((target, source, exc))
        if stranded:
            raise SwapUndoError(stranded)
