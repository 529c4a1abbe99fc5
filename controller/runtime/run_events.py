"""The sequencer's run events read back as message codes and the values they name.

:class:`controller.runtime.sequencer.Sequencer` records a run interrupted by a restart
(``run_interrupted``) and a run that reached its time cap before its target volume
(``volume_cap``) as events whose message is an English sentence, the box's record, kept as
it is. A page or a notification says them in its own language from :func:`run_event`
(catalog table ``run_event``); the end reason and the restart's credit named inside are
parts of a run's ``end_reason`` (:func:`controller.runtime.end_reasons.end_parts`, catalog
table ``end_reason``). A message no template knows is shown as recorded.
"""

from __future__ import annotations

from controller.runtime.recorded import RecordedPart, Templates

__all__ = ["RUN_EVENTS", "run_event"]

# event code -> the English message as recorded
RUN_EVENTS: dict[str, str] = {
    "run_interrupted": (
        "run {run} of zone {zone} interrupted ({reason}) after {applied_m3} m3 applied; {credit}"
    ),
    "volume_cap": "run {run} of zone {zone}: {reason}",
}

_EVENTS = Templates(RUN_EVENTS, numbers=("run",))


def run_event(message: str) -> RecordedPart:
    """A run event's ``message`` whole, with its code where a template knows it."""
    return _EVENTS.part(message)
