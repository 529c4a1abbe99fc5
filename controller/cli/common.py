"""What several ``qanat`` commands share: the data directory and site-file options, and the
name an action is recorded under."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from controller.store import STORE_FILE, Store

__all__ = ["add_place_arguments", "missing_store", "open_box_store", "os_user"]

DATA_DIR_HELP = "data directory (default: QANAT_DATA_DIR or per platform)"


def add_place_arguments(
    parser: argparse.ArgumentParser, *, config_help: str | None = None
) -> argparse.ArgumentParser:
    """Add ``--data-dir`` (and ``--config SITE.toml`` when ``config_help`` is given) to
    ``parser``; return a parent parser for its actions so the same options are also accepted
    after the action (``qanat soil approve z1 --config site.toml``)."""
    parser.add_argument("--data-dir", help=DATA_DIR_HELP)
    if config_help is not None:
        parser.add_argument("--config", metavar="SITE.toml", help=config_help)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    if config_help is not None:
        common.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return common


def os_user() -> str:
    """The login running the command (``unknown`` without a passwd entry, as in a container),
    recorded with what it changes."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def missing_store(data_dir: Path) -> str | None:
    """Why ``data_dir`` holds no box store (a typo, or another user's default data directory),
    else ``None``: a command that reads or changes what is there must not open it, which
    would make an empty store and answer from it."""
    if (data_dir / STORE_FILE).is_file():
        return None
    if data_dir.is_file():
        return f"{data_dir} is a file, not a data directory"
    return f"no box store in {data_dir} (no {STORE_FILE}: is --data-dir the daemon's?)"


def open_box_store(data_dir: Path, command: str, *, may_make: bool) -> Store | None:
    """The store of ``data_dir`` for ``command`` (``"qanat token list"``), or ``None`` after
    saying why on stderr: no store there (unless ``may_make``: a new box's first token or
    user makes it), or one that does not open."""
    missing = None if may_make else missing_store(data_dir)
    if missing:
        print(f"{command}: {missing}", file=sys.stderr)
        return None
    return Store.open_dir_or_report(data_dir)
