"""Numbers, areas and times as technicians read them.

Every page speaks the mu (亩, 666.7 m², 1/15 ha), the unit the district counts water and
fertilizer in (the quota, the savings ledger, the site file's plan): areas in mu and every
figure per area per mu, written 亩 on Chinese pages and mu on English ones (m³/亩, m³/mu,
kg/mu), so no page mixes mu and hectares. Times are shown in the site's time zone.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, tzinfo
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from controller.config.site import M2_PER_MU

__all__ = ["Formatter", "quote_flash", "unquote_flash"]

# a profile's ASCII unit part -> as the pages write it (m³, µS); a whole part only (m3, not m30)
_UNIT_SIGNS = {"m3": "m³", "m2": "m²", "uS": "µS"}
_UNIT_SIGN = re.compile(r"(?<![A-Za-z0-9])(?:m3|m2|uS)(?![A-Za-z0-9])")


def quote_flash(text: str) -> str:
    """A message as a cookie value (cookies carry ASCII only)."""
    return quote(text[:300], safe="")


def unquote_flash(value: str) -> str:
    return unquote(value)


class Formatter:
    """Formatting for one page: the locale's area unit and the site's time zone."""

    def __init__(self, locale: str, tz: tzinfo) -> None:
        self.locale = locale
        self.tz = tz
        self.chinese = locale == "zh-CN"

    @property
    def tz_name(self) -> str:
        """The site's IANA time zone name (``Asia/Shanghai``): the charts draw their dates in
        it (uPlot's ``tzDate``), whatever the viewer's browser is set to."""
        if isinstance(self.tz, ZoneInfo):
            return self.tz.key
        if self.tz.utcoffset(None) == timedelta(0):
            return "UTC"
        raise ValueError(f"the site's time zone {self.tz!r} has no IANA name for the charts")

    @property
    def area_unit(self) -> str:
        """The page's area unit, the mu as written on the page: 亩 (Chinese) or mu."""
        return self.area_unit_mu

    @property
    def area_unit_mu(self) -> str:
        """The mu as written on the page: 亩 (Chinese) or mu."""
        return "亩" if self.chinese else "mu"

    def area(self, area_m2: float) -> str:
        """Area in mu: ``25.0 亩``, ``25.0 mu``."""
        return f"{area_m2 / M2_PER_MU:.1f} {self.area_unit_mu}"

    def per_area(self, amount: float, area_m2: float, unit: str) -> str:
        """``amount`` of ``unit`` (m³, kg) per mu of ``area_m2``: ``82.5 m³/亩``."""
        if area_m2 <= 0:
            return "–"
        return f"{amount / area_m2 * M2_PER_MU:.1f} {unit}/{self.area_unit_mu}"

    def per_mu(self, value_m3_per_mu: float | None, digits: int = 0) -> str:
        """A depth of water as the district counts it, m³ per mu (亩 on Chinese pages)."""
        if value_m3_per_mu is None:
            return "–"
        return f"{value_m3_per_mu:.{digits}f} m³/{self.area_unit_mu}"

    def num(self, value: float | None, digits: int = 1, unit: str = "") -> str:
        if value is None:
            return "–"
        text = f"{value:.{digits}f}"
        return f"{text} {unit}" if unit else text

    def reading(self, value: object) -> str:
        """A device point's value as read: a number to at most 3 decimals, trailing zeros
        dropped (a float32 register's 97.47213745117188 is 97.472, a scaled 20.9 read as
        20.900000000000002 is 20.9), anything else as it is; ``–`` when there is none."""
        if value is None:
            return "–"
        if isinstance(value, float):
            text = f"{value:.3f}".rstrip("0").rstrip(".")
            return "0" if text == "-0" else text
        return str(value)

    def unit(self, unit: str) -> str:
        """A device profile's ASCII unit as the pages write units: ``m3`` as m³, ``m3/h``
        as m³/h, ``uS/cm`` as µS/cm; any other as it is."""
        return _UNIT_SIGN.sub(lambda m: _UNIT_SIGNS[m.group(0)], unit)

    def time(self, when: datetime | None) -> str:
        """Local ``MM-DD HH:MM`` in the site's zone."""
        return when.astimezone(self.tz).strftime("%m-%d %H:%M") if when else "–"

    def datetime(self, when: datetime | None) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S") if when else "–"

    def duration(self, seconds: float | None) -> str:
        """A run's time left with its units, counting in seconds under an hour: ``12 min 05 s``
        / ``12分05秒``; from an hour, ``2 h 05 min`` / ``2小时05分`` (``M:SS`` read as hours and
        minutes on site); ``–`` when there is none."""
        if seconds is None:
            return "–"
        s = max(0, round(seconds))
        if s >= 3600:
            hours, minutes = s // 3600, (s % 3600) // 60
            return f"{hours}小时{minutes:02d}分" if self.chinese else f"{hours} h {minutes:02d} min"
        return f"{s // 60}分{s % 60:02d}秒" if self.chinese else f"{s // 60} min {s % 60:02d} s"

    def minutes_left(self, seconds: float | None) -> str:
        """Remaining time in whole minutes, rounded up (a run 45 s from its end has 1 left,
        not 0): ``120``; ``–`` when there is none."""
        if seconds is None:
            return "–"
        return str(math.ceil(max(0.0, seconds) / 60.0))

    def fraction(self, part: float | None, whole: float | None) -> float:
        """``part / whole`` as a percentage clamped to 0–100 (for gauges)."""
        if part is None or not whole:
            return 0.0
        return max(0.0, min(100.0, 100.0 * part / whole))
