"""Value types of the site file with plausible bounds, and the limits they enforce.

Each refuses with a message that reads after the key path
(``zones[3].planting_date: 0001-01-01 is before 2000-01-01``). Numbers carry their
physical ranges where they are declared (:mod:`controller.config.site`); these are
the kinds of value several keys share. docs/operations.md ("Limits") lists them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_BUSES",
    "MAX_DEVICES",
    "MAX_EVENTS",
    "MAX_TEXT_CHARS",
    "MAX_ZONES",
    "ClockPeriod",
    "ClockTime",
    "Day",
    "DevicePath",
    "Host",
    "Name",
    "SiteModel",
    "no_control_characters",
]

MAX_TEXT_CHARS = 200  # any text: a name, a label, a description, a reference
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_BUSES = 16
MAX_DEVICES = 1000
MAX_ZONES = 256  # the scale the box is built and benchmarked for (benchmarks.scale)
MAX_EVENTS = 366  # fertigation or baseline events: one a day

_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_HOST = re.compile(r"[A-Za-z0-9.:%\[\]_-]+")


def _plausible_day(day: dt.date) -> dt.date:
    if day < FIRST_DAY:
        raise ValueError(f"{day} is before {FIRST_DAY}")
    if day > LAST_DAY:
        raise ValueError(f"{day} is after {LAST_DAY}")
    return day


def _clock_time(text: str) -> str:
    if not _HHMM.fullmatch(text):
        raise ValueError(f"{text!r} is not a time of day HH:MM (00:00 to 23:59)")
    return text


def _clock_period(text: str) -> str:
    start, _, end = text.partition("-")
    if not (_HHMM.fullmatch(start) and (_HHMM.fullmatch(end) or end == "24:00")):
        raise ValueError(f"{text!r} is not a period HH:MM-HH:MM (00:00 to 24:00)")
    return text


def _host(text: str) -> str:
    """A host name or IP address; digits and dots alone must be an IPv4 address (a name
    cannot be all digits: ``192.168.1.500`` is a mistyped address, not a name)."""
    if text and not _HOST.fullmatch(text):
        raise ValueError(f"{text!r} is not a host name or IP address")
    if re.fullmatch(r"[0-9.]+", text):
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not an IPv4 address (four numbers 0-255 between dots)"
            ) from None
    return text


def _device_path(text: str) -> str:
    if text and not text.startswith("/"):
        raise ValueError(f"{text!r} is not a device path (e.g. /dev/ttyQANAT0)")
    return text


def no_control_characters(value: Any) -> Any:
    """``value`` (a text, or a list holding texts), refused if a text holds a control character.

    Newlines, NULs and escape sequences have no place in a site file's values: they would
    split log lines and problem reports, or cut a path short.
    """
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            bad = next((c for c in text if unicodedata.category(c) == "Cc"), None)
            if bad is not None:
                raise ValueError(f"control character U+{ord(bad):04X} in the text")
    return value


Day = Annotated[dt.date, AfterValidator(_plausible_day)]
"""A calendar day from 2000-01-01 to 2099-12-31."""
ClockTime = Annotated[str, AfterValidator(_clock_time)]
"""Local time of day ``HH:MM``."""
ClockPeriod = Annotated[str, AfterValidator(_clock_period)]
"""Local period ``HH:MM-HH:MM`` (end 24:00 allowed; an end ≤ start wraps midnight)."""
Host = Annotated[str, AfterValidator(_host)]
"""A host name or IP address (``""``: none)."""
DevicePath = Annotated[str, AfterValidator(_device_path)]
"""An absolute device path such as ``/dev/ttyQANAT0`` (``""``: none)."""


#: A name in the site file: a zone, device, bus, channel, recipe, meter.
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")]


class SiteModel(BaseModel):
    """The base of every table of the site file. Strict: its numbers are TOML numbers, its
    dates TOML dates ("5" or true is not a number); no NaN or infinity; unknown keys refused;
    every text bounded (:data:`MAX_TEXT_CHARS`) and free of control characters."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        str_max_length=MAX_TEXT_CHARS,
    )

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return no_control_characters(value)
