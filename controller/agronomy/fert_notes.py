"""A fertigation plan note read back as a message code and the values it names.

The planner (:func:`controller.agronomy.fertplan.attach_recipes`) notes which event a planned
run carries, or why the event waits for a later run, in English; the daemon records each note
as a ``fertigation_plan`` event, the box's record, kept as it is. A page says it in its own
language from :func:`fert_note` (catalog table ``fert_note``); so is the ``fertigation_owed``
event of a fertigation run that ended before its injection was complete
(:mod:`controller.agronomy.fert_owed`, template ``owed``). Nothing new is stored, so notes
recorded before read the same way; a note no template knows is shown as recorded.

An event is named as the planner names it (:meth:`PlanEvent.describe`): ``{event}`` is its
number with its label (``6 (吐丝期)``: numbered from 1 as the settings page lists the events,
:attr:`PlanEvent.number`; a note recorded before counted from 0 and reads as recorded),
``{what}`` its recipe, kilograms or EC as written.
"""

from __future__ import annotations

from controller.runtime.recorded import RecordedPart, Templates

__all__ = ["FERT_NOTES", "fert_note"]

_EVENT = "fertigation event {event} of {day}: {what}"

# code -> the English note as recorded ({name} matches any text within it)
FERT_NOTES: dict[str, str] = {
    "carries": f"carries {_EVENT}",
    "carries_rest": f"carries {_EVENT} (still to give: {{rest}})",
    "waits_short": (
        f"{_EVENT} waits: the run of {{minutes}} min is shorter than prewet {{prewet_min}} "
        "+ inject {inject_min} + flush {flush_min} min; open until {until}"
    ),
    "owed": (
        f"run {{run}} of zone {{zone}} ended before its injection was complete: {_EVENT} is "
        "still owed; the next planning carries it (open until {until})"
    ),
    "waits_overlap": (
        f"{_EVENT} waits: it overlaps the run of {{zone}} at {{at}} (a fertigation run runs "
        "alone); open until {until}"
    ),
}

_TEMPLATES = Templates(FERT_NOTES, numbers=("run",))


def fert_note(note: str) -> RecordedPart:
    """``note`` whole, with its code where a template knows it."""
    return _TEMPLATES.part(note)
