"""What several ``qanat`` commands share: the data directory and site-file options, and the
name an action is recorded under."""

from __future__ import annotations

import argparse
import getpass

__all__ = ["add_place_arguments", "os_user"]

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
