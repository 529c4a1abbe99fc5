"""``qanat run --config SITE.toml``: the daemon and its HTTP API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.cli.exitcodes import UNUSABLE
from controller.config.site import load_site_or_report
from controller.paths import resolve_data_dir
from web.serve import DEFAULT_LISTEN, run_daemon


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, metavar="SITE.toml")
    parser.add_argument(
        "--data-dir", help="data directory (default: QANAT_DATA_DIR or per platform)"
    )
    parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"API address (default {DEFAULT_LISTEN}; exposing it on the LAN is a choice)",
    )
    parser.add_argument("--tls-cert", type=Path, metavar="CERT.pem", help="serve HTTPS")
    parser.add_argument("--tls-key", type=Path, metavar="KEY.pem")
    parser.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="a name or address the box answers to (repeat; e.g. qanat.local, 192.168.1.20); "
        "when given, requests naming any other host are refused (DNS rebinding)",
    )


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return UNUSABLE
    if (args.tls_cert is None) != (args.tls_key is None):
        print("--tls-cert and --tls-key go together", file=sys.stderr)
        return UNUSABLE
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    return run_daemon(
        site, resolve_data_dir(args.data_dir), args.listen, tls=tls, allowed_hosts=args.allowed_host
    )
