"""The daily summary's facts: yesterday's water, runs and alarms, and the savings to date.

Read from the store (runs, events) and the savings ledger
(:func:`controller.agronomy.savings.savings_to_date`); nothing here sends anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from controller.agronomy.savings import savings_to_date
from controller.config.notify import SEVERITIES
from controller.config.site import SiteConfig
from controller.store import Store

__all__ = ["DaySummary", "day_summary"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DaySummary:
    day: dt.date  # site-local
    water_m3: float
    runs: int
    runs_not_done: int  # aborted or interrupted
    alarms: int  # events of severity alarm or critical raised that day
    open_alarms: int  # latched and not acknowledged, now
    saving_m3_per_mu: float | None  # to date; None when the ledger cannot be read


def day_summary(site: SiteConfig, store: Store, day: dt.date, now: dt.datetime) -> DaySummary:
    """The facts of site-local ``day`` (and the savings up to ``now``)."""
    tz = site.site.tz
    start = dt.datetime.combine(day, dt.time(), tz)
    end = start + dt.timedelta(days=1)
    runs = store.runs(None, start, end)
    serious = SEVERITIES.index("alarm")
    alarms = [
        e
        for e in store.events(start, end)
        if e.severity in SEVERITIES and SEVERITIES.index(e.severity) >= serious
    ]
    try:
        saving: float | None = savings_to_date(site, store, now).saving_m3_per_mu
    except Exception:  # a summary without the savings line beats no summary
        log.exception("daily summary: the savings ledger could not be read")
        saving = None
    return DaySummary(
        day=day,
        water_m3=sum(r.applied_m3 or 0.0 for r in runs),
        runs=len(runs),
        runs_not_done=sum(1 for r in runs if r.state in ("aborted", "interrupted")),
        alarms=len(alarms),
        open_alarms=len(store.open_alarms()),
        saving_m3_per_mu=saving,
    )
