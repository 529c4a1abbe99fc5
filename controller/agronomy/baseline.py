"""The conventional irrigation calendar that ``calendar`` zones follow (the comparison baseline).

Seed corn under mulched border irrigation in the Hexi corridor, from the Zhangye scenario
(``controller/simulation/scenarios/zhangye-seed-corn.toml``, section ``[conventional]``): five
in-season events of 90 m³/mu. The winter irrigation (100 m³/mu in November) lies outside the season
and is not scheduled by the controller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from controller.config.site import M2_PER_MU

__all__ = ["SEED_CORN_BORDER", "CalendarEvent", "events_on"]


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One fixed irrigation: month and day (every season) and the volume per mu."""

    month: int
    day: int
    volume_m3_per_mu: float

    def on(self, year: int) -> dt.date:
        return dt.date(year, self.month, self.day)

    @property
    def depth_mm(self) -> float:
        """Gross depth, mm: m³/mu over 666.7 m²."""
        return self.volume_m3_per_mu / M2_PER_MU * 1000.0


SEED_CORN_BORDER: tuple[CalendarEvent, ...] = tuple(
    CalendarEvent(m, d, 90.0) for m, d in ((6, 1), (6, 20), (7, 8), (7, 25), (8, 12))
)


def events_on(
    date: dt.date, calendar: tuple[CalendarEvent, ...] = SEED_CORN_BORDER
) -> list[CalendarEvent]:
    """The calendar's events falling on ``date``."""
    return [e for e in calendar if (e.month, e.day) == (date.month, date.day)]
