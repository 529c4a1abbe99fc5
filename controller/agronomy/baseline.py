"""Border-irrigation calendars of seed corn in the Hexi corridor (Zhangye scenario).

* :data:`SEED_CORN_BORDER`: five in-season floods of 90 m³/mu (scenario ``[conventional]``),
  the calendar ``calendar`` zones follow; with the 100 m³/mu winter irrigation, 550 m³/mu a
  year — the upper bound of surveyed practice.
* :data:`SEED_CORN_BORDER_SURVEYED`: four floods of 85 m³/mu, with the winter irrigation 440
  m³/mu a year, the surveyed Zhangye cornfield (Water 2017, 9(7):499; scenario
  ``[referee.practices.border-surveyed]``): the savings ledger's default baseline.

The winter irrigation (November) lies outside the season and is not scheduled by the
controller. An event falls in the season sown on a zone's planting date: on its first
month and day on or after planting (:meth:`CalendarEvent.in_season`), so a calendar zone
waters in that season only, never on "June 1" of any year a wrong clock may say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from controller.config.site import M2_PER_MU

__all__ = [
    "SEED_CORN_BORDER",
    "SEED_CORN_BORDER_SURVEYED",
    "CalendarEvent",
    "events_on",
    "season_events_on",
]


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One fixed irrigation: month and day (every season) and the volume per mu."""

    month: int
    day: int
    volume_m3_per_mu: float

    def on(self, year: int) -> dt.date:
        return dt.date(year, self.month, self.day)

    def in_season(self, planting: dt.date) -> dt.date:
        """This event's date in the season sown on ``planting``: its first date on or after it."""
        date = self.on(planting.year)
        return date if date >= planting else self.on(planting.year + 1)

    @property
    def depth_mm(self) -> float:
        """Gross depth, mm: m³/mu over 666.7 m²."""
        return self.volume_m3_per_mu / M2_PER_MU * 1000.0


SEED_CORN_BORDER: tuple[CalendarEvent, ...] = tuple(
    CalendarEvent(m, d, 90.0) for m, d in ((6, 1), (6, 20), (7, 8), (7, 25), (8, 12))
)
SEED_CORN_BORDER_SURVEYED: tuple[CalendarEvent, ...] = tuple(
    CalendarEvent(m, d, 85.0) for m, d in ((6, 3), (6, 26), (7, 18), (8, 10))
)


def events_on(
    date: dt.date, calendar: tuple[CalendarEvent, ...] = SEED_CORN_BORDER
) -> list[CalendarEvent]:
    """The calendar's events falling on ``date``."""
    return [e for e in calendar if (e.month, e.day) == (date.month, date.day)]


def season_events_on(
    date: dt.date, planting: dt.date, calendar: tuple[CalendarEvent, ...] = SEED_CORN_BORDER
) -> list[CalendarEvent]:
    """The calendar's events falling on ``date`` (full date, year included) in the season sown
    on ``planting``: nothing before planting, nothing in another year's season."""
    return [e for e in calendar if e.in_season(planting) == date]
