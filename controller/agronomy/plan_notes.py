"""The planner's fertigation notes recorded once a day: a re-plan that says the same again
raises nothing.

Every planning (the daemon's planning times, a re-plan after a settings change or a soil
action) attaches the fertigation events to the runs it queues
(:func:`controller.agronomy.fertplan.attach_recipes`), each with a note saying which event a
run carries or why the event waits. The note is recorded as a ``fertigation_plan`` event
(info, source = the zone). A zone's notes are recorded when they differ from the ones the
zone's last notes of the local day said (the newest as many events of that zone since local
midnight, in order): a change of plan is recorded, a plan said again is not. A record that
cannot be read does not stop the planning: the notes are raised as they come.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from controller.agronomy.fertplan import FertRun
from controller.store import Event, Severity, Store, StoreError

__all__ = ["PLAN_NOTE", "record_plan_notes"]

PLAN_NOTE = "fertigation_plan"  # the event code (controller.said.records reads it back)


def record_plan_notes(store: Store, carried: Iterable[FertRun], since: dt.datetime) -> list[Event]:
    """Raise the notes of ``carried`` (a planning's runs) a zone has not said already since
    ``since`` (aware: the local day's midnight); the events raised, in order."""
    notes: dict[str, list[str]] = {}
    for fr in carried:
        if fr.note:
            notes.setdefault(fr.run.zone, []).append(fr.note)
    if not notes:
        return []
    said: dict[str, list[str]] = {}
    try:
        recorded = store.events(since)
    except StoreError:  # the record unreadable: say the notes (kept while unwritable) again
        recorded = []
    for event in recorded:
        if event.code == PLAN_NOTE:
            said.setdefault(event.source, []).append(event.message)
    raised = []
    for zone, lines in notes.items():
        if said.get(zone, [])[-len(lines) :] == lines:
            continue  # the same plan said again
        raised += [store.raise_event(Severity.INFO, PLAN_NOTE, zone, line) for line in lines]
    return raised
