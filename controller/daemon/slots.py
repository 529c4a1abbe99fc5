"""Planned runs under a wall clock that steps: none doubled, none skipped without a word.

The queue holds planned runs by wall-clock start. When the clock steps (NTP, a technician)
or the daemon could not start a run on time (the clock was untrusted, a long stall), a due
run is judged here before it starts (:func:`judge`):

* due within :data:`LATE_GRACE_S` of its start: started;
* later, but still inside its slot (start + planned length): started once, for its length;
* past its slot: not started, and a ``planned_run_skipped`` event says so;
* the zone has a run recorded at a wall time later than now (the clock stepped back over
  it): not started, the water is already given; the planner sees it once the clock passes it.

Run lengths are on monotonic time (:mod:`controller.runtime.sequencer`), so a step during a
run changes neither its length nor its water.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from controller.agronomy.jobs import PlannedRun
from controller.store import Store

__all__ = ["LATE_GRACE_S", "STEPPED_BACK_TOLERANCE_S", "Skip", "judge"]

#: A planned run started this late (s) is on time (a tick, a slow poll, apscheduler's grace).
LATE_GRACE_S = 600.0
#: A zone's run recorded more than this (s) after now means the clock stepped back over it.
STEPPED_BACK_TOLERANCE_S = 5.0


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a due planned run is not started (the text of its event)."""

    reason: str


def judge(run: PlannedRun, now: datetime, store: Store) -> Skip | None:
    """``None`` to start ``run`` now, else why not (see the module docstring)."""
    late_s = (now - run.start).total_seconds()
    slot_end = run.start + timedelta(minutes=run.duration_min)
    what = (
        f"planned run of {run.zone} at {run.start:%Y-%m-%d %H:%M} UTC ({run.duration_min:.0f} min)"
    )
    if late_s > LATE_GRACE_S and now >= slot_end:
        return Skip(
            f"{what} not started: {late_s / 60:.0f} min late, past its slot "
            f"(the clock stepped forward, or it was not trusted)"
        )
    ahead = now + timedelta(seconds=STEPPED_BACK_TOLERANCE_S)
    later = store.runs(run.zone, start=ahead, limit=1)
    if later:
        return Skip(
            f"{what} not started: the zone already ran at {later[0].created_at:%Y-%m-%d %H:%M} "
            "UTC, after the clock stepped back"
        )
    return None
