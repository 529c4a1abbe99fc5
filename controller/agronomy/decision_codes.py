"""Why a ``sensor``, ``calendar`` or ``manual`` zone decided what it did, as message codes
(and why a fertigation event got a run of its own, or waits, in a zone of any mode).

An ``et`` decision carries the planner's reason codes (:class:`models.planner.ReasonCode`) in
its inputs (``reason``, ``reasons``); the other modes' decisions carry these, the same way,
with ``reason_values``: the numbers the sentence names, written out as the English sentence
writes them (``"12.3"``), so that a page says the decision in its own language from the codes
(catalog table ``reason_code``) while the English sentence stays the box's record.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["DecisionCode", "coded"]


class DecisionCode(StrEnum):
    """A decision of a zone not planned by the ET planner (or not planned at all)."""

    MANUAL = "manual"  # manual mode: runs only when started by hand
    NOT_PLANTED = "not_planted"  # an et zone before its planting date
    HARVESTED = "harvested"  # past the crop's season on the calendar
    HARVESTED_CROP_DAY = "harvested_crop_day"  # past it by the crop's own day (observed, GDD)
    SENSOR_BY_BALANCE = "sensor_by_balance"  # every probe quarantined: planned as an et zone
    SENSOR_NO_PROBE = "sensor_no_probe"  # no good probe reading in the last hour
    SENSOR_RAIN_SKIP = "sensor_rain_skip"  # rain in the last 24 h ≥ the rain skip
    SENSOR_NOT_DRY = "sensor_not_dry"  # probe moisture at or above θ at RAW
    SENSOR_NO_NEED = "sensor_no_need"  # dry probes, but the water balance sees no need
    SENSOR_QUOTA_SPENT = "sensor_quota_spent"  # dry probes, the quota left too little
    SENSOR_NO_WINDOW = "sensor_no_window"  # dry probes, no allowed window in the horizon
    SENSOR_IRRIGATE = "sensor_irrigate"  # dry probes: a run refilling to the target
    MAX_RUN_CUT = "max_run_cut"  # the run cut to the zone's longest run
    SENSOR_CAPPED = "sensor_capped"  # the run capped by the water balance's need
    QUOTA_CUT = "quota_cut"  # the run cut to the quota left
    CALENDAR_NOT_PLANTED = "calendar_not_planted"
    CALENDAR_NO_EVENT = "calendar_no_event"  # no event today, a later one this season
    CALENDAR_NO_EVENT_LEFT = "calendar_no_event_left"  # no event left this season
    CALENDAR_ALREADY_PLANNED = "calendar_already_planned"  # today's event already planned
    CALENDAR_NO_WINDOW = "calendar_no_window"
    CALENDAR_QUOTA_SPENT = "calendar_quota_spent"
    CALENDAR_IRRIGATE_ONE = "calendar_irrigate_one"  # today's event in one run
    CALENDAR_IRRIGATE = "calendar_irrigate"  # today's event in several runs
    CALENDAR_WINDOW_SHORT = "calendar_window_short"  # the window holds part of the event
    CALENDAR_WINDOW_SHORT_QUOTA = "calendar_window_short_quota"  # ... and the quota cut it
    # a fertigation event no planned run carries (controller.agronomy.fertruns)
    FERTIGATION_RAIN_WAIT = "fertigation_rain_wait"  # waits: rain in the last 24 h
    FERTIGATION_NO_ROOM = "fertigation_no_room"  # waits: no room in the windows
    FERTIGATION_RUN = "fertigation_run"  # a run of its own, prewet + inject + flush long
    FERTIGATION_REFILL = "fertigation_refill"  # ... as long as the refill brought forward


def coded(*codes: DecisionCode, **values: Any) -> dict[str, Any]:
    """A decision's inputs saying ``codes`` (the first is its ``reason``) with ``values``
    (each written out with ``str``; format numbers before, as the sentence does)."""
    return {
        "reason": codes[0].value,
        "reasons": [c.value for c in codes],
        "reason_values": {k: str(v) for k, v in values.items()},
    }
