"""``qanat check-config SITE.toml``: validate a site; list every problem; exit non-zero on any.

Exit status 0 when the file is valid, 2 (unusable, as for every command reading a site file,
see :mod:`controller.cli.exitcodes`) when it is missing, unreadable or has any problem.

Suitable for systemd ``ExecStartPre``: nothing is contacted, nothing written.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from controller.cli.exitcodes import OK, UNUSABLE
from controller.config.site import ConfigError, load_site, report_problems
from controller.counted import counted


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, metavar="SITE.toml", help="site configuration file")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        site = load_site(args.config)
    except ConfigError as exc:
        if args.json:
            print(json.dumps({"ok": False, "problems": exc.problems}, ensure_ascii=False))
        else:
            report_problems(args.config, exc.problems)
        return UNUSABLE
    summary = {
        "ok": True,
        "site": site.site.id,
        "buses": len(site.buses),
        "devices": len(site.devices),
        "zones": len(site.zones),
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        counts = ", ".join(
            counted(len(items), one, many)
            for items, one, many in (
                (site.buses, "bus", "buses"),
                (site.devices, "device", "devices"),
                (site.zones, "zone", "zones"),
            )
        )
        print(f"{args.config}: ok — site {site.site.id!r}, {counts}")
    return OK
