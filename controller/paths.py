"""Where qanat finds its files: the daemon's data directory and the data it ships.

The data directory: ``--data-dir``, else ``QANAT_DATA_DIR``, else per platform.

Platform conventions: a system service (root, or systemd's ``STATE_DIRECTORY``)
uses ``/var/lib/qanat``; a user uses ``$XDG_DATA_HOME/qanat`` (default
``~/.local/share/qanat``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

__all__ = ["bundled", "default_data_dir", "resolve_data_dir"]


def default_data_dir(env: Mapping[str, str] | None = None, uid: int | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("STATE_DIRECTORY"):  # set by systemd's StateDirectory=
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if (os.getuid() if uid is None else uid) == 0:
        return Path("/var/lib/qanat")
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(base) / "qanat"


def resolve_data_dir(option: str | Path | None, env: Mapping[str, str] | None = None) -> Path:
    """The data directory to use: the command-line option, the environment, or the default."""
    env = os.environ if env is None else env
    if option:
        return Path(option)
    if env.get("QANAT_DATA_DIR"):
        return Path(env["QANAT_DATA_DIR"])
    return default_data_dir(env)


def bundled(package: str, name: str) -> Path:
    """A data file or folder shipped inside ``package`` (scenarios, examples, templates).

    Found through :mod:`importlib.resources`, so it is the same from a source checkout and
    from an installed wheel; never relative to the working directory.
    """
    return Path(str(resources.files(package).joinpath(name)))
