"""The daemon's plan of one demo-site zone on a day, with or without a camera's canopy cover
(for the tests of what the cover changes in a plan)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from controller.agronomy.jobs import CoverOf
from controller.config.site import load_site
from controller.store import Decision
from tests.helpers.agronomy import planned
from tests.helpers.site import DEMO_SITE

__all__ = ["PLAN_DAY", "photo", "zone_plan"]

PLAN_DAY = dt.date(2026, 5, 31)  # z1 planted 20 April: crop day 41, development


def photo(zone: str, cover: float, taken: dt.datetime) -> CoverOf:
    """A camera that saw ``cover`` (0..1) on ``zone`` at ``taken``, and nothing else."""

    def of(name: str, start: dt.datetime, end: dt.datetime) -> tuple[float, dt.datetime] | None:
        return (cover, taken) if name == zone and start <= taken <= end else None

    return of


def zone_plan(
    db: Path, cover: CoverOf | None, *, today: dt.date = PLAN_DAY, zone: str = "z1"
) -> Decision:
    """The decision ``Agronomy.plan_all`` records for ``zone`` at 18:00 of ``today``, after
    three closed days of the station's synthetic weather; the store at ``db`` (SQLite)."""
    with planned(load_site(DEMO_SITE), db, today, cover) as store:
        return next(d for d in store.decisions() if d.zone == zone)
