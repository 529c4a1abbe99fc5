"""``qanat run --config SITE.toml``: the daemon and its HTTP API."""

from __future__ import annotations

import argparse
from pathlib import Path

from controller.config import load_site_or_report
from controller.paths import resolve_data_dir
from web.serve import DEFAULT_LISTEN, run_daemon


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, metavar="SITE.toml")
    parser.add_argument(
        "--data-dir", help="data directory (default: QANAT_DATA_DIR or per platform)"
    )
    parser.add_argument(
        "--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT",
        help=f"API address (default {DEFAULT_LISTEN}; exposing it on the LAN is a choice)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return 1
    return run_daemon(site, resolve_data_dir(args.data_dir), args.listen)
