"""Reports from the central office database: many sites, the same accounting.

Reads the pulled ``water_balance`` (latest revision of each site, zone and date), ``runs``
(started ones) and ``site_zones`` (areas) and hands them to
:func:`controller.office.report.build_report`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from controller.agronomy.savings import BaselinePractice
from controller.errors import OfficeError
from controller.office.central import DATA_TABLES, CentralDB, FailedPull
from controller.office.report import (
    DEFAULT_PRACTICE,
    BalanceDay,
    Report,
    ReportZone,
    RunWater,
    balance_day,
    build_report,
)

__all__ = ["UnknownSites", "absent_note", "from_central", "stale_note"]


class UnknownSites(OfficeError, ValueError):
    """A report asked for sites the office database has no zones of."""

    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        have = ", ".join(known) if known else "none yet: qanat pull fills it"
        super().__init__(
            f"no site {', '.join(map(repr, unknown))} in the office database (its sites: {have})"
        )
        self.unknown = list(unknown)


def _balance(
    db: CentralDB, sites: Sequence[str], start: dt.date | None, end: dt.date | None
) -> dict[tuple[str, str], list[BalanceDay]]:
    wb = DATA_TABLES["water_balance"]
    latest = (
        select(wb.c.site_id, wb.c.zone, wb.c.date, func.max(wb.c.revision).label("rev"))
        .where(wb.c.site_id.in_(list(sites)))
        .group_by(wb.c.site_id, wb.c.zone, wb.c.date)
    )
    if start is not None:
        latest = latest.where(wb.c.date >= start)
    if end is not None:
        latest = latest.where(wb.c.date <= end)
    sub = latest.subquery()
    query = select(wb).join(
        sub,
        and_(
            wb.c.site_id == sub.c.site_id,
            wb.c.zone == sub.c.zone,
            wb.c.date == sub.c.date,
            wb.c.revision == sub.c.rev,
        ),
    )
    out: dict[tuple[str, str], list[BalanceDay]] = {}
    with db.connect() as conn:
        for row in conn.execute(query):
            out.setdefault((row.site_id, row.zone), []).append(balance_day(row))
    return out


def _runs(
    db: CentralDB, sites: Sequence[str], start: dt.date, end: dt.date
) -> dict[tuple[str, str], list[RunWater]]:
    runs = DATA_TABLES["runs"]
    # A day wider each side in UTC; zone_report keeps the runs of the local dates asked.
    since = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    query = select(
        runs.c.site_id, runs.c.zone, runs.c.started_at, runs.c.applied_m3, runs.c.fertilizer
    ).where(
        runs.c.site_id.in_(list(sites)),
        runs.c.started_at.is_not(None),
        runs.c.started_at >= since,
        runs.c.started_at < until,
    )
    out: dict[tuple[str, str], list[RunWater]] = {}
    with db.connect() as conn:
        for row in conn.execute(query):
            out.setdefault((row.site_id, row.zone), []).append(
                RunWater(row.started_at, float(row.applied_m3), dict(row.fertilizer or {}))
            )
    return out


def from_central(
    db: CentralDB,
    start: dt.date | None,
    end: dt.date | None,
    tz: ZoneInfo,
    *,
    sites: Sequence[str] | None = None,
    practice: BaselinePractice = DEFAULT_PRACTICE,
) -> Report:
    """The report of ``sites`` (default every site with zones); no range = the season.

    Its warnings name each site of the report whose last pull failed and, in the report of
    every site, each site whose pulls all failed (it has no zones, so no row).

    Raises :class:`UnknownSites` naming each site asked for that has no zones here.
    """
    zones = [ReportZone(z.site_id, z.zone, z.label, z.area_m2, z.crop) for z in db.zones(sites)]
    names = sorted({z.site_id for z in zones})
    unknown = [s for s in dict.fromkeys(sites or []) if s not in names]
    if unknown:
        raise UnknownSites(unknown, sorted({z.site_id for z in db.zones()}))
    season = start is None and end is None
    days = _balance(db, names, start, end)
    dates = [d.date for rows in days.values() for d in rows]
    today = dt.datetime.now(tz).date()
    start = start or (min(dates) if dates else today)
    end = end or (max(dates) if dates else today)
    runs = _runs(db, names, start, end)
    report = build_report(zones, days, runs, start, end, tz, practice=practice, season=season)
    failed = db.failed_pulls(None if sites is None else names)
    stale = [stale_note(f) if f.site_id in names else absent_note(f) for f in failed]
    return dataclasses.replace(report, warnings=[*stale, *report.warnings])


def absent_note(failed: FailedPull) -> str:
    """A site listed for pulling that nothing was pulled from yet (no zones): the report of
    every site says it is missing rather than leave it out unsaid."""
    error = failed.error.removeprefix(f"{failed.site_id}: ")
    return (
        f"{failed.site_id}: not in this report, nothing pulled from it yet: the last pull "
        f"({failed.pulled_at:%Y-%m-%d %H:%M} UTC) failed: {error[:200]}"
    )


def stale_note(failed: FailedPull) -> str:
    """A site whose last pull failed, in the report's warnings: its figures are older."""
    good = f"{failed.ok_at:%Y-%m-%d %H:%M} UTC" if failed.ok_at else "never"
    error = failed.error.removeprefix(f"{failed.site_id}: ")  # the pull's errors name the site
    return (
        f"{failed.site_id}: the last pull ({failed.pulled_at:%Y-%m-%d %H:%M} UTC) failed, "
        f"its figures are those of the last good pull ({good}): {error[:200]}"
    )
