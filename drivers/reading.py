"""A reading: one decoded point from one device at one time, with its quality."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from drivers.errors import UsageError

__all__ = ["BadReading", "Quality", "Reading"]


class Quality(enum.StrEnum):
    """How far a reading can be trusted. Only ``OK`` readings reach the models."""

    OK = "ok"
    OUT_OF_RANGE = "out_of_range"  # decoded, but outside the profile's valid range
    UNDECODABLE = "undecodable"  # NaN/Inf, an error sentinel, or wrong register count
    STALE = "stale"  # the last good value is older than the staleness limit
    COMM_ERROR = "comm_error"  # the device did not answer this poll


class BadReading(UsageError, ValueError):
    """Raised by :meth:`Reading.require` when the reading is not of good quality.

    A usage error: callers look at ``quality`` first (a flagged reading is data, not a
    failure). Also a ``ValueError``, for callers that catch that.
    """


@dataclass(frozen=True, slots=True)
class Reading:
    """One point of one device.

    ``value`` is ``None`` unless ``quality`` is ``OK``, so a flagged reading
    can never be used as a number by accident; ``decoded`` keeps what the
    device reported (for commissioning and alarms) and ``raw`` the registers.
    """

    device: str
    point: str
    value: float | None
    unit: str
    quality: Quality
    time: datetime
    decoded: float | None = None
    raw: tuple[int, ...] = ()
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the value may be used."""
        return self.quality is Quality.OK

    def require(self) -> float:
        """Return the value, or raise :class:`BadReading` naming the point and quality."""
        if self.quality is not Quality.OK or self.value is None:
            raise BadReading(
                f"{self.device}.{self.point}: quality {self.quality.value}"
                + (f" ({self.detail})" if self.detail else "")
            )
        return self.value
