"""The port file: where ``qanat run --listen HOST:0`` tells a supervisor the port it got.

The file holds the bound TCP port and a newline. It is written once the server listens,
atomically (a temporary file beside it, then a rename), so a reader polling for it never
sees it half written; a stale one from an earlier run is removed before listening.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["port_file_problem", "remove_port_file", "write_port_file"]


def port_file_problem(path: Path) -> str | None:
    """Why ``--port-file PATH`` cannot be written (checked before anything starts), or None."""
    if path.is_dir():
        return f"--port-file {str(path)!r}: a directory; name a file in it"
    parent = path.parent
    if not parent.is_dir():
        return f"--port-file {str(path)!r}: its directory {str(parent)!r} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"--port-file {str(path)!r}: its directory {str(parent)!r} is not writable"
    return None


def write_port_file(path: Path, port: int) -> None:
    """``port`` and a newline into ``path``, replacing it in one step."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(f"{port}\n", encoding="ascii")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_port_file(path: Path) -> None:
    """Remove ``path`` if it is there (a stale port must not be read as the current one)."""
    path.unlink(missing_ok=True)
