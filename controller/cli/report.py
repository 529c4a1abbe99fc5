"""``qanat report``: the water-balance report (水平衡), CSV, JSON or printable HTML with charts.

qanat report --db qanat-office.db --format html --out season.html      # every pulled site
qanat report --db URL --site ganzhou-01 --start 2026-05-01 --end 2026-05-31 --format csv
qanat report --config site.toml --data-dir /var/lib/qanat --format html   # one box, directly
qanat report --db qanat-office.db --json > season.json     # the CSV's rows as JSON objects

Without ``--start``/``--end`` the report covers the season: every stored day, the winter
irrigation in the baseline; a box's season report adds each zone's "leaching needed" line of
the savings ledger when the site knows its water's EC (the office database has no site file:
its report does not). Exit status 2 on invalid arguments or an unreadable source, and on
a source that is not there: a ``--db`` SQLite file or a box's ``qanat.db`` that does not
exist is named and refused rather than created empty (an empty report would show the whole
practice's water as saved).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controller.agronomy.savings import baseline_practice, savings_to_date
from controller.cli.common import missing_store
from controller.cli.exitcodes import OK, UNUSABLE
from controller.config.site import SiteConfig, load_site_or_report
from controller.office.central import CentralDB, CentralError, office_url
from controller.office.report import Report, ReportZone, from_store, to_csv
from controller.office.report_central import from_central
from controller.office.report_html import render_html
from controller.office.report_json import to_json
from controller.paths import resolve_data_dir
from controller.store import Store, StoreError

# The first sites are in Gansu; an office with sites elsewhere passes --tz.
DEFAULT_TZ = "Asia/Shanghai"


def _day(text: str) -> dt.date:
    """``--start``/``--end``: a calendar day, YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a day YYYY-MM-DD expected, got {text!r}") from None


def _time_zone(text: str) -> ZoneInfo:
    """``--tz``: an IANA time zone name."""
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"an IANA time zone such as Asia/Shanghai expected, got {text!r}"
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", help="office database (SQLite file or SQLAlchemy URL)")
    source.add_argument("--config", type=Path, help="a box's site.toml (with --data-dir)")
    parser.add_argument("--data-dir", help="the box's data directory (with --config)")
    parser.add_argument("--site", action="append", help="only this site (repeatable; --db)")
    parser.add_argument(
        "--start", type=_day, help="first day, YYYY-MM-DD (with --end; default: the season)"
    )
    parser.add_argument(
        "--end", type=_day, help="last day, YYYY-MM-DD (with --start; default: the season)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--format",
        choices=["html", "csv", "json"],
        default="html",
        help="a printable page, or a row per zone and per site: CSV or JSON (default %(default)s)",
    )
    output.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help="the same as --format json: the CSV's rows as objects, with the baseline named",
    )
    parser.add_argument("--out", type=Path, help="write here instead of standard output")
    parser.add_argument(
        "--tz",
        type=_time_zone,
        default=DEFAULT_TZ,
        help="sites' time zone for --db (default %(default)s)",
    )


def _missing_source(args: argparse.Namespace) -> str | None:
    """Why the report's source is not there (a typo in a path), else ``None``: opening it
    would create an empty database whose report counts nothing as used."""
    if args.db is not None:
        if "://" in args.db or Path(args.db).is_file():
            return None
        return f"no office database {args.db} (qanat pull --db {args.db} fills one)"
    return missing_store(resolve_data_dir(args.data_dir))


def _from_box(args: argparse.Namespace, site: SiteConfig) -> Report:
    zones = [ReportZone(site.site.id, z.name, z.label, z.area_m2_value, z.crop) for z in site.zones]
    with Store.open_dir(resolve_data_dir(args.data_dir)) as store:
        report = from_store(
            store, zones, args.start, args.end, site.site.tz, practice=baseline_practice(site)
        )
        if not report.season:
            return report
        ledger = savings_to_date(site, store, store.clock.now())
    salt = [z.salt.describe() for z in ledger.zones if z.salt is not None]
    return dataclasses.replace(report, notes=[*report.notes, *salt]) if salt else report


def _from_office(args: argparse.Namespace) -> Report:
    with CentralDB(office_url(args.db)) as db:
        return from_central(db, args.start, args.end, args.tz, sites=args.site)


def run(args: argparse.Namespace) -> int:
    if (args.start is None) != (args.end is None):
        print("give both --start and --end, or neither (the season)", file=sys.stderr)
        return UNUSABLE
    site = None
    if args.config is not None:
        site = load_site_or_report(args.config)
        if site is None:
            return UNUSABLE
    missing = _missing_source(args)
    if missing is not None:
        print(f"cannot make the report: {missing}", file=sys.stderr)
        return UNUSABLE
    try:
        report = _from_office(args) if site is None else _from_box(args, site)
    except (StoreError, CentralError, ValueError) as exc:
        print(f"cannot make the report: {exc}", file=sys.stderr)
        return UNUSABLE
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)  # the CSV has no notes
    text = {"html": render_html, "csv": to_csv, "json": to_json}[args.format](report)
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"cannot write the report to {args.out}: {exc.strerror}", file=sys.stderr)
            return UNUSABLE
        print(f"report written to {args.out}", file=sys.stderr)
    return OK
