"""Whether a zone's planting date typed on the settings page can be saved, said in the
page's language.

The site file's own check (:data:`controller.config.fields.Day`: 2000-01-01 to 2099-12-31)
answers in English naming the key path (``zones[0].planting_date: 1990-01-01 is before
2000-01-01``); the page says it first, in its language, naming the zone. And a date more
than :data:`MAX_DAYS_AHEAD` days after today is refused: a zone is not watered before its
planting date, so a year's slip of the finger (2099 for 2026) would stop its watering with
no other notice. A season is planned at most a few months ahead; a year covers sowing next
spring from this autumn.
"""

from __future__ import annotations

import datetime as dt

from controller.config.fields import FIRST_DAY, LAST_DAY
from web.i18n import translate

__all__ = ["MAX_DAYS_AHEAD", "planting_problem"]

MAX_DAYS_AHEAD = 365


def planting_problem(locale: str, zone: str, day: dt.date, today: dt.date) -> str | None:
    """Why ``zone``'s planting date ``day`` is refused on ``today`` (the site's local date),
    in ``locale``; None: it can be saved."""
    if not FIRST_DAY <= day <= LAST_DAY:
        return translate(
            locale,
            "settings.planting_out_of_range",
            zone=zone,
            value=day.isoformat(),
            first=FIRST_DAY.isoformat(),
            last=LAST_DAY.isoformat(),
        )
    latest = today + dt.timedelta(days=MAX_DAYS_AHEAD)
    if day > latest:
        return translate(
            locale,
            "settings.planting_far_ahead",
            zone=zone,
            value=day.isoformat(),
            today=today.isoformat(),
            latest=latest.isoformat(),
        )
    return None
