"""A fertigation run that ended before its injection was complete: the event it still owes.

A fertigation run stopped by hand, aborted by a trip or interrupted by a restart before its
injection is complete leaves its fertigation event open: the next planning carries what is
still to give (:func:`controller.agronomy.fertplan.attach_recipes`). Until then nothing said
so (the zone's card read "no plan"). :class:`OwedFertilizer` records, once per such run, a
``fertigation_owed`` event (info, source = the zone) naming the run, the event still owed and
its window, in the words of :data:`controller.agronomy.fert_notes.FERT_NOTES` (``owed``), so
that a page says it in its language.

A run counts when it ended (not ``done``) in a fertigation phase (prewet, inject, flush) and
its zone's event open on the run's local start day is still due or partial
(:func:`~controller.agronomy.fertplan.event_status`): a run stopped in its flush, its
fertilizer given, owes nothing. Runs ended within :data:`LOOK_BACK` are looked at, when a
run ended through the store since the last look (:attr:`Store.runs_ended`), or at the first
look after a start (a restart's interrupted runs); a run already said (its event recorded,
read back at the first look) is not said again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from controller.agronomy.fert_notes import fert_note
from controller.agronomy.fertplan import EventState, event_status
from controller.config.site import SiteConfig
from controller.store import FERTIGATION_PHASES, Run, RunState, Severity, Store, StoreError

__all__ = ["LOOK_BACK", "OWED_CODE", "OwedFertilizer", "owed_message"]

log = logging.getLogger(__name__)

OWED_CODE = "fertigation_owed"
LOOK_BACK = dt.timedelta(days=2)  # runs ended this long ago are still looked at


def owed_message(run: Run, event_text: str, until: dt.date) -> str:
    """The ``fertigation_owed`` event's English (``fert_note`` template ``owed``)."""
    return (
        f"run {run.id} of zone {run.zone} ended before its injection was complete: "
        f"{event_text} is still owed; the next planning carries it (open until {until})"
    )


class OwedFertilizer:
    """Says each fertigation run that ended owing its event, once (module docstring)."""

    def __init__(self, site: Callable[[], SiteConfig], store: Store) -> None:
        self._site = site
        self.store = store
        self._looked: int | None = None  # store.runs_ended at the last complete look
        self._said: set[int] | None = None  # run ids said (read back at the first look)
        self._lock = threading.Lock()

    def check(self) -> int:
        """Raise the events of runs newly ended owing fertilizer; how many. Never raises:
        a store that cannot be read now is tried again at the next check."""
        with self._lock:
            ended = self.store.runs_ended
            if self._looked is not None and self._looked == ended:
                return 0
            try:
                raised = self._look()
            except StoreError as exc:
                log.warning("fertilizer owed by stopped runs not checked: %s", exc)
                return 0
            self._looked = ended
            return raised

    def _look(self) -> int:
        site = self._site()
        if site.fertigation is None or not site.fertigation.events:
            return 0
        now = self.store.clock.now()
        since = now - LOOK_BACK
        if self._said is None:
            self._said = {
                int(part.values["run"])
                for e in self.store.events(since - LOOK_BACK)
                if e.code == OWED_CODE
                and (part := fert_note(e.message)).code == "owed"
                and part.values.get("run", "").isdigit()
            }
        history = self.store.runs(
            start=since - dt.timedelta(days=site.fertigation.event_window_days + 1)
        )
        tz = site.site.tz
        today = now.astimezone(tz).date()
        raised = 0
        for run in history:
            if not _stopped_fertigating(run, since) or run.id is None or run.id in self._said:
                continue
            assert run.started_at is not None
            day = run.started_at.astimezone(tz).date()
            self._said.add(run.id)
            try:
                owed = [
                    s
                    for s in event_status(site, history, today, run.zone)
                    if s.event.day <= day <= s.event.until
                    and s.state in (EventState.DUE, EventState.PARTIAL)
                ]
            except StoreError:
                self._said.discard(run.id)  # tried again at the next check
                raise
            except Exception:  # this run's plan or record: said once in the log, the rest go on
                log.exception("fertilizer owed by run %s not worked out", run.id)
                continue
            if not owed:
                continue  # given all the same (stopped in its flush), or its window is over
            event = owed[0].event
            self.store.raise_event(
                Severity.INFO, OWED_CODE, run.zone, owed_message(run, event.describe(), event.until)
            )
            raised += 1
        return raised


def _stopped_fertigating(run: Run, since: dt.datetime) -> bool:
    """Did ``run`` end (since ``since``), not ``done``, in a fertigation phase?"""
    return (
        run.started_at is not None
        and run.ended_at is not None
        and run.ended_at >= since
        and run.state in (RunState.ABORTED.value, RunState.INTERRUPTED.value)
        and run.phase in FERTIGATION_PHASES
    )
