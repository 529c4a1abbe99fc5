"""Whether the saved settings file (``site.overrides.toml``) was written by someone else.

The pages and the API change settings through the daemon's service, which applies them at
once. The same file is also written by ``qanat soil approve`` and ``qanat soil dry-down``, or
by hand; the running daemon checks it every :data:`CHECK_EVERY_S` seconds and takes up any
change the same way (:meth:`controller.daemon.service.DaemonService.reload_settings_file`):
one rule for every writer.

A change is a new stamp of the file: its modification time (ns), size and inode. Every
writer replaces the file by a rename (:func:`controller.config.overrides.save`), which gives
it a new inode, so even two writes within one tick of the file system's clock differ; a
hand edit in place changes at least the time or the size.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CHECK_EVERY_S", "SettingsFileWatch", "Stamp", "stamp"]

CHECK_EVERY_S = 2.0  # a change written by the CLI or by hand is taken up this soon

Stamp = tuple[int, int, int]  # modification time (ns), size (bytes), inode


def stamp(path: Path) -> Stamp | None:
    """The file's stamp, None when there is no file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class SettingsFileWatch:
    """The stamp of ``path`` last taken up; :meth:`changed` says whether it moved since."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = stamp(path)

    def changed(self) -> bool:
        """Whether the file changed (written, replaced or removed) since it was last seen;
        it counts as seen from now on, taken up or refused."""
        now = stamp(self.path)
        if now == self._seen:
            return False
        self._seen = now
        return True

    def seen(self) -> None:
        """The file as it is now is taken up (the service has just written it itself)."""
        self._seen = stamp(self.path)

    def unseen(self) -> None:
        """The file as it is now is not what runs: :meth:`changed` says so at its next call."""
        self._seen = (-1, -1, -1)
