"""The wall clock's trust records read back as message codes and the values they name.

:class:`controller.runtime.timetrust.TimeTrust` words why the clock is not trusted (a
verdict's ``reason``, the status's ``clock_note``), :class:`~controller.runtime.timetrust.
TrustAlarm` the ``clock_untrusted`` alarm around it, and the daemon a ``clock_step`` event,
each as an English sentence, the box's record, kept as it is. A page or a notification
says them in its own language from :func:`clock_event` (catalog table ``clock_event``) and
the reason inside from :func:`clock_reason` (catalog table ``clock_reason``; a reason of
the ``source`` check names why no admin confirmation holds, read the same way). Times stay
as recorded (UTC); a message no template knows is shown as recorded.
"""

from __future__ import annotations

from controller.runtime.recorded import RecordedPart, Templates

__all__ = ["CLOCK_EVENTS", "CLOCK_REASONS", "clock_event", "clock_reason"]

# event code -> the English message as recorded (timetrust.TrustAlarm, daemon.check_time)
CLOCK_EVENTS: dict[str, str] = {
    "clock_untrusted": (
        "wall clock not trusted: {reason}; the clock says {now} UTC, newest record {newest}; "
        "nothing waters automatically until it is trusted (check NTP, or run "
        "`qanat confirm-time`)"
    ),
    "clock_step": (
        "wall clock stepped {step_s} s (now {now} UTC); runs keep their monotonic length, "
        "planned runs are judged by slot"
    ),
}

# reason code -> why the clock is not trusted, as TimeTrust.verdict words it
CLOCK_REASONS: dict[str, str] = {
    "floor": "the clock says {now} UTC, before {floor}",
    "records": "the clock says {now} UTC, before the newest stored record ({newest} UTC)",
    "source": "not synchronised (no NTP) and {why_not}",
    # why no admin confirmation holds (``why_not`` of ``source``)
    "not_confirmed": "not confirmed by an admin",
    "reboot": "the admin confirmation of {at} was before a reboot",
    "stepped": "the clock stepped {step_s} s since the admin confirmation of {at}",
}

_EVENTS = Templates(CLOCK_EVENTS)
_REASONS = Templates(CLOCK_REASONS)


def clock_event(message: str) -> RecordedPart:
    """A clock event's ``message`` whole, with its code where a template knows it."""
    return _EVENTS.part(message)


def clock_reason(reason: str) -> RecordedPart:
    """Why the clock is not trusted (a verdict's ``reason``, or the ``why_not`` inside
    one), with its code where a template knows it."""
    return _REASONS.part(reason)
