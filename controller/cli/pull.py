"""``qanat pull``: the central office pulls every site's logs into one database.

qanat pull --sites SITES.toml                              # into ./qanat-office.db (SQLite)
qanat pull --sites SITES.toml --db postgresql+psycopg://office@db/qanat

On PostgreSQL the sites are pulled by ``--workers`` worker processes (each page streamed
into the database by COPY); then ``[office] keep_months`` of SITES.toml (or
``--keep-months``) drops the months of readings older than that.

Prints one JSON line per site (rows per table, error if any). Exit status: 0 when every
site was pulled, 1 when some failed (the others are stored), 2 when SITES.toml is invalid
or the office database cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.config.site import report_problems
from controller.counted import counted
from controller.office.central import CentralDB, CentralError, office_url
from controller.office.pull import (
    PAGE_ROWS,
    SitesFileError,
    load_keep_months,
    load_sites,
    pull_all,
)
from controller.office.pull_pool import pull_processes

DEFAULT_DB = "qanat-office.db"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sites", required=True, type=Path, help="SITES.toml listing the boxes")
    parser.add_argument(
        "--db",
        default=DEFAULT_DB,
        help="office database: an SQLite file or a SQLAlchemy URL (default %(default)s)",
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="sites pulled at once (default %(default)s)"
    )
    parser.add_argument(
        "--page-rows", type=int, default=PAGE_ROWS, help="rows per request (default %(default)s)"
    )
    parser.add_argument(
        "--keep-months",
        type=int,
        help="retention of readings, months (default: [office] keep_months of SITES.toml, "
        "else every reading kept)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    try:
        sites = load_sites(args.sites)
        keep_months = load_keep_months(args.sites)
    except SitesFileError as exc:
        report_problems(exc.path, exc.problems)
        return UNUSABLE
    if args.keep_months is not None:
        keep_months = args.keep_months
    if args.workers < 1 or args.page_rows < 1 or (keep_months is not None and keep_months < 1):
        print("--workers, --page-rows and --keep-months must be at least 1", file=sys.stderr)
        return UNUSABLE
    try:
        db = CentralDB(office_url(args.db))
    except CentralError as exc:
        print(f"cannot open the office database: {exc}", file=sys.stderr)
        return UNUSABLE
    # tqdm draws only on a terminal (disable=None); cron and CI logs stay clean.
    bar = tqdm(unit=" rows", unit_scale=True, disable=True if args.no_progress else None)
    try:
        if db.dialect == "postgresql" and args.workers > 1:
            results = pull_processes(
                db.url, sites, processes=args.workers, page_rows=args.page_rows, progress=bar
            )
        else:
            results = pull_all(
                db, sites, workers=args.workers, page_rows=args.page_rows, progress=bar
            )
        if keep_months is not None:
            dropped = db.drop_old(keep_months)
            if dropped:
                print(f"retention: dropped {', '.join(dropped)}", file=sys.stderr)
    except CentralError as exc:
        print(f"the office database failed: {exc}", file=sys.stderr)
        return UNUSABLE
    finally:
        bar.close()
        db.close()
    for result in results:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    failed = [r.site_id for r in results if not r.ok]
    if failed:
        print(
            f"{len(failed)} of {counted(len(results), 'site', 'sites')} failed: "
            f"{', '.join(failed)}",
            file=sys.stderr,
        )
        return FAILED
    return OK
