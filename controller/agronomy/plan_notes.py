"""The planner's fertigation notes recorded once a day: a re-plan that says the same again
raises nothing.

Every planning (the daemon's planning times, a re-plan after a settings change or a soil
action) attaches the fertigation events to the runs it queues
(:func:`controller.agronomy.fertplan.attach_recipes`), each with a note saying which event a
run carries or why the event waits. The note is recorded as a ``fertigation_plan`` event
(info, source = the zone). A zone's notes are recorded when they differ from its last
planning's notes of the local day: every note of that zone recorded at the latest instant
since local midnight (one planning's notes are raised with one time, the planning's, however
the clock moves while they are written), compared whole, not
as a suffix, so a re-plan that drops a run and its note ([A, B] then [B]) is recorded: the
record then shows B alone last. A change of plan is recorded, a plan said again is not.

Several plannings in one instant (a virtual clock's: two plannings without time passing
between them) cannot be told apart in the record: a planning at the instant the latest notes
were recorded is taken as said when those notes end with its own. A record that cannot be
read does not stop the planning: the notes are raised as they come.
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
    try:
        recorded = store.events(since)
    except StoreError:  # the record unreadable: say the notes (kept while unwritable) again
        recorded = []
    last = _last_planning(recorded)
    now = store.clock.now()
    raised = []
    for zone, lines in notes.items():
        at, said = last.get(zone, (None, []))
        if said == lines or (at == now and said[-len(lines) :] == lines):
            continue  # the same plan said again
        raised += [
            store.raise_event(Severity.INFO, PLAN_NOTE, zone, line, at=now) for line in lines
        ]
    return raised


def _last_planning(recorded: Iterable[Event]) -> dict[str, tuple[dt.datetime, list[str]]]:
    """Each zone's notes recorded at its latest instant among ``recorded``, in order, with
    that instant."""
    last: dict[str, tuple[dt.datetime, list[str]]] = {}
    for event in recorded:
        if event.code != PLAN_NOTE:
            continue
        at, lines = last.get(event.source, (event.time, []))
        if event.time != at:
            at, lines = event.time, []
        last[event.source] = (at, [*lines, event.message])
    return last
