"""Integer codes shared by the kernel, its reference and the wrapper.

Event flags are bits (an event can be raised to the minimum run *and* split into cycles);
a zone's end status says why planning for that zone stopped.
"""

from __future__ import annotations

__all__ = [
    "FLAG_CONTINUATION",
    "FLAG_CYCLE_SOAK",
    "FLAG_DEFERRED",
    "FLAG_MAX_RUN",
    "FLAG_MIN_RUN",
    "STATUS_BELOW_MIN_RUN",
    "STATUS_EVENT_LIMIT",
    "STATUS_NOT_TRIGGERED",
    "STATUS_NO_SLOT",
    "STATUS_SKIPPED",
]

FLAG_MIN_RUN = 1  # duration raised to the zone's minimum run
FLAG_MAX_RUN = 2  # duration cut to the zone's maximum run; the rest follows or is reported
FLAG_DEFERRED = 4  # no feasible slot within the defer window after the trigger
FLAG_CONTINUATION = 8  # the rest of a run cut by the maximum run
FLAG_CYCLE_SOAK = 16  # split into cycles with soak gaps

STATUS_NOT_TRIGGERED = 0  # the projection stays below the trigger to the horizon's end
STATUS_NO_SLOT = 1  # trigger reached, no allowed slot with pump capacity left in the horizon
STATUS_BELOW_MIN_RUN = 2  # the minimum run would fill past field capacity in every slot
STATUS_SKIPPED = 3  # rain skip or wet probes: no events
STATUS_EVENT_LIMIT = 4  # as many events as slots (cannot happen with sane inputs)
