"""The head works' backflush events read back as message codes and the values they name.

The head works (:mod:`controller.runtime.headworks`) record a filter backflush started,
deferred, ended early or failed as events whose message is English parts joined by
``"; "``, the box's record, kept as it is. A page says them in its own language from
:func:`head_parts` (catalog table ``head_event``); why a backflush was due, deferred or ended
(``{reason}``, ``{blocked}``, ``{why}``) is read back by the same templates. Nothing new is
stored, so events recorded before read the same way; a part no template knows is shown as
recorded.
"""

from __future__ import annotations

from controller.runtime.recorded import RecordedPart, Templates

__all__ = ["HEAD_EVENTS", "head_part", "head_parts"]

# code -> the English part as recorded ({name} matches any text within the part)
HEAD_EVENTS: dict[str, str] = {
    # what happened
    "started": "filter backflush for {seconds} s: {reason}",
    "dp": "dp {dp_kpa} kPa",
    "dp_unknown": "dp unknown",
    "deferred": "deferred: {blocked}",
    "ended": "filter backflush ended after {seconds} s: {why}",
    "not_started": "backflush not started: {error}",
    "not_off": "backflush valve not switched off: {error}",
    # why it was due (a deferral's first part)
    "dp_high": "filter dp {dp_kpa} kPa > {limit_kpa} kPa",
    "pumped": "{hours} h of pumping since the last backflush",
    # why it may not run, or ended early
    "dosing_powered": "the dosing pump is powered",
    "output_on": "{role} is on",
    "fertigating": "zone {zone} is fertigating ({phase})",
    "pump_stopped": "the pump stopped",
    "switched_off_elsewhere": "the valve was switched off elsewhere",
}

# "{hours} h of pumping ..." would read a whole started event with any text as its hours
_TEMPLATES = Templates(HEAD_EVENTS, numbers=("seconds", "dp_kpa", "limit_kpa", "hours"))


def head_parts(message: str) -> list[RecordedPart]:
    """A head works event's ``message`` split at ``"; "``, each part with its code where
    one is known; a ``reason``, ``blocked`` or ``why`` value is read by :func:`head_part`."""
    return _TEMPLATES.parts(message)


def head_part(text: str) -> RecordedPart:
    """One part, or a value naming why, with its code where a template knows it."""
    return _TEMPLATES.part(text)
