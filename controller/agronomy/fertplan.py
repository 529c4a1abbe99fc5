"""The fertigation plan: which planned run carries which event, and which events were given.

``fertigation.events`` in the site file say what goes into a group of zones
and when: kg per mu of N, P2O5 and K2O (or a target EC from one tank) on a
day after planting or a date. Here, all pure functions over the site, the
planner's runs and the stored runs:

* :func:`zone_events` — a zone's events as :class:`PlanEvent` (kg for the
  zone = kg/mu × the zone's area in mu, 1 mu = 666.7 m²), each open from its
  day to ``event_window_days`` later (site-local days);
* :func:`event_status` — per zone and event, what the stored runs gave
  (the sequencer records the kg injected per run in ``runs.fertilizer``):
  done, partial, in progress, due, upcoming or missed;
* :func:`recipe_for` — the :class:`controller.runtime.sequencer.Recipe` a zone should
  get on a day (what is still missing of its earliest open event);
* :func:`attach_recipes` — the planner's runs, each with the recipe it
  carries, or with a note saying why the event waits for a later run.

Stored runs are matched to events by day: a fertigation run (kg recorded,
or a running run in a fertigation phase) counts for the earliest event of
its zone that is open on the run's local start day and not yet complete.
An event is complete when every nutrient reached ``DONE_FRACTION`` of its
target (a target-EC event: when any fertilizer went in).

A run can carry an event only if it leaves ``fertigation.min_inject_min``
after ``prewet_min`` and ``flush_min``, and does not overlap another planned
run (a fertigation run runs alone). Otherwise the event waits for the zone's
next run within its window; after the window it is missed, never doubled up.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from controller.agronomy.types import PlannedRun
from controller.config.site import M2_PER_MU, FertigationConfig, SiteConfig, ZoneConfig
from controller.runtime.dosing import ChannelRecipe
from controller.runtime.sequencer import Recipe
from controller.store import FERTIGATION_PHASES, Run, RunState

__all__ = [
    "DONE_FRACTION",
    "EventState",
    "EventStatus",
    "FertRun",
    "PlanEvent",
    "attach_recipes",
    "event_status",
    "recipe_for",
    "zone_events",
]

# An event is done when each nutrient reached this share of its target; a smaller
# remainder is not worth a run of its own (the dosing pump's error is of that order).
DONE_FRACTION = 0.9


class EventState(enum.StrEnum):
    UPCOMING = "upcoming"  # before its day
    DUE = "due"  # open, nothing given yet
    IN_PROGRESS = "in_progress"  # a fertigation run of the zone is running
    PARTIAL = "partial"  # some given, less than DONE_FRACTION of a nutrient
    DONE = "done"
    MISSED = "missed"  # window over, nothing given


@dataclass(frozen=True, slots=True)
class PlanEvent:
    """One event of the plan for one zone; ``kg`` is for the whole zone."""

    index: int  # fertigation.events[index]
    zone: str
    day: dt.date  # site-local
    until: dt.date  # last local day it may be given
    label: str
    kg: Mapping[str, float]
    target_ec_ms_cm: float | None = None
    tank: str | None = None
    recipe: str | None = None  # a [[fertigation.recipes]] name

    @property
    def number(self) -> int:
        """The event's number as the pages and the records name it: 1 for the site file's
        first ``[[fertigation.events]]``, as the settings page lists them."""
        return self.index + 1

    def describe(self) -> str:
        v = self.values()
        return f"fertigation event {v['event']}{v['label']} of {v['day']}: {v['what']}"

    def values(self) -> dict[str, str]:
        """What :meth:`describe` names, written out, for a decision's codes."""
        if self.recipe is not None:
            what = f"recipe {self.recipe}"
        elif self.kg:
            what = ", ".join(f"{n} {kg:.2f} kg" for n, kg in self.kg.items())
        else:
            what = f"EC {self.target_ec_ms_cm:g} mS/cm from tank {self.tank}"
        label = f" ({self.label})" if self.label else ""
        return {"event": str(self.number), "label": label, "day": str(self.day), "what": what}


@dataclass(frozen=True, slots=True)
class EventStatus:
    """What the stored runs gave of one event."""

    event: PlanEvent
    state: EventState
    applied_kg: Mapping[str, float] = field(default_factory=dict)
    run_ids: tuple[int, ...] = ()

    def remaining_kg(self) -> dict[str, float]:
        """kg still to give, nutrients under ``DONE_FRACTION`` of their target only."""
        out = {}
        for nutrient, target in self.event.kg.items():
            given = self.applied_kg.get(nutrient, 0.0)
            if given < DONE_FRACTION * target:
                out[nutrient] = round(target - given, 3)
        return out


@dataclass(frozen=True, slots=True)
class FertRun:
    """A planned run with the recipe it carries (``None``: water only).

    ``event`` is the event carried, or the one that waits because this run
    cannot carry it; ``note`` says which, in words for the decision log.
    """

    run: PlannedRun
    recipe: Recipe | None = None
    event: PlanEvent | None = None
    note: str = ""


# ------------------------------------------------------------------ the plan


def zone_events(site: SiteConfig, zone: ZoneConfig | str) -> list[PlanEvent]:
    """The events of ``zone`` in day order, kg scaled to its area."""
    z = _zone(site, zone)
    f = site.fertigation
    if f is None:
        return []
    area_mu = z.area_m2_value / M2_PER_MU
    events = []
    for i, e in enumerate(f.events):
        if not e.applies_to(z):
            continue
        day = e.day_for(z)
        events.append(
            PlanEvent(
                index=i,
                zone=z.name,
                day=day,
                until=day + dt.timedelta(days=f.event_window_days),
                label=e.label,
                kg={n: round(kg_mu * area_mu, 3) for n, kg_mu in e.kg_mu().items()},
                target_ec_ms_cm=e.target_ec_ms_cm,
                tank=e.tank,
                recipe=e.recipe,
            )
        )
    return sorted(events, key=lambda ev: (ev.day, ev.index))


def event_status(
    site: SiteConfig, runs: Iterable[Run], today: dt.date, zone: str | None = None
) -> list[EventStatus]:
    """Every event (of ``zone``, or of all zones) with what ``runs`` gave, as of local ``today``."""
    tz = site.site.tz
    by_zone: dict[str, list[Run]] = {}
    for run in runs:
        by_zone.setdefault(run.zone, []).append(run)
    out = []
    for z in site.zones:
        if zone is None or z.name == zone:
            out += _zone_status(zone_events(site, z), by_zone.get(z.name, []), today, tz)
    return out


def recipe_for(
    site: SiteConfig, zone: ZoneConfig | str, day: dt.date, runs: Iterable[Run] = ()
) -> tuple[PlanEvent, Recipe] | None:
    """The event open for ``zone`` on local ``day`` and what of it is still to give, if any."""
    z = _zone(site, zone)
    for status in event_status(site, [r for r in runs if r.zone == z.name], day, z.name):
        if status.event.day <= day <= status.event.until and _open(status.state):
            return status.event, _recipe(status)
    return None


def attach_recipes(
    planned: Sequence[PlannedRun],
    site: SiteConfig,
    today: dt.date,
    *,
    history: Iterable[Run] = (),
) -> list[FertRun]:
    """The planner's runs (in start order), each with the recipe it carries or why it waits.

    ``today`` is the site-local planning day; ``history`` the stored runs (at
    least those since the earliest open event's day), so an event given — or
    being given — is not given again. An event is carried by a run starting on
    a local day inside its window; each run carries at most one event, each
    event is carried by one run.
    """
    f = site.fertigation
    ordered = sorted(planned, key=lambda r: (r.start, r.zone))
    if f is None or not f.events:
        return [FertRun(r) for r in ordered]
    tz = site.site.tz
    statuses = event_status(site, history, today)
    taken: set[tuple[str, int]] = set()
    out = []
    for run in ordered:
        day = _local_day(run.start, tz)
        pending = [
            s
            for s in statuses
            if s.event.zone == run.zone
            and s.event.day <= day <= s.event.until
            and s.state in (EventState.UPCOMING, EventState.DUE, EventState.PARTIAL)
            and (run.zone, s.event.index) not in taken
        ]
        if not pending:
            out.append(FertRun(run))
            continue
        status = pending[0]
        event = status.event
        why = _cannot_carry(run, ordered, f, tz)
        if why:
            note = f"{event.describe()} waits: {why}; open until {event.until}"
            out.append(FertRun(run, None, event, note))
            continue
        taken.add((run.zone, event.index))
        recipe = _recipe(status)
        note = f"carries {event.describe()}"
        if status.state is EventState.PARTIAL:
            rest = ", ".join(f"{n} {kg:.2f} kg" for n, kg in recipe.kg.items())
            note += f" (still to give: {rest})"
        out.append(FertRun(run, recipe, event, note))
    return out


# ------------------------------------------------------------------ helpers


def _zone(site: SiteConfig, zone: ZoneConfig | str) -> ZoneConfig:
    if isinstance(zone, ZoneConfig):
        return zone
    for z in site.zones:
        if z.name == zone:
            return z
    raise KeyError(f"unknown zone {zone!r}")


def _open(state: EventState) -> bool:
    return state in (EventState.DUE, EventState.PARTIAL)


def _recipe(status: EventStatus) -> Recipe:
    event = status.event
    if event.recipe is not None:
        return ChannelRecipe(name=event.recipe)
    if event.target_ec_ms_cm is not None:
        return Recipe(target_ec_ms_cm=event.target_ec_ms_cm, tank=event.tank)
    return Recipe(kg=status.remaining_kg())


def _local_day(when: dt.datetime, tz: ZoneInfo) -> dt.date:
    return when.astimezone(tz).date()


def _fertigation_run(run: Run) -> bool:
    """Did (or does) ``run`` inject: kg recorded, or running in a fertigation phase?"""
    if run.started_at is None:
        return False
    if run.state == RunState.RUNNING.value:
        return run.phase in FERTIGATION_PHASES
    return any(kg > 0 for kg in (run.fertilizer or {}).values())


def _complete(event: PlanEvent, applied: Mapping[str, float]) -> bool:
    if event.target_ec_ms_cm is not None or event.recipe is not None:
        return any(kg > 0 for kg in applied.values())
    return all(applied.get(n, 0.0) >= DONE_FRACTION * kg for n, kg in event.kg.items())


def _zone_status(
    events: list[PlanEvent], runs: list[Run], today: dt.date, tz: ZoneInfo
) -> list[EventStatus]:
    applied: dict[int, dict[str, float]] = {e.index: {} for e in events}
    run_ids: dict[int, list[int]] = {e.index: [] for e in events}
    running: set[int] = set()
    fert_runs = sorted(
        (r for r in runs if _fertigation_run(r)),
        key=lambda r: (r.started_at, r.id or 0),
    )
    for run in fert_runs:
        assert run.started_at is not None
        day = _local_day(run.started_at, tz)
        for e in events:
            if not e.day <= day <= e.until or e.index in running:
                continue
            if _complete(e, applied[e.index]):
                continue
            if run.state == RunState.RUNNING.value:
                running.add(e.index)
            for nutrient, kg in (run.fertilizer or {}).items():
                applied[e.index][nutrient] = applied[e.index].get(nutrient, 0.0) + kg
            if run.id is not None:
                run_ids[e.index].append(run.id)
            break
    out = []
    for e in events:
        given = applied[e.index]
        if e.index in running:
            state = EventState.IN_PROGRESS
        elif _complete(e, given):
            state = EventState.DONE
        elif any(kg > 0 for kg in given.values()):
            state = EventState.PARTIAL
        elif today < e.day:
            state = EventState.UPCOMING
        elif today <= e.until:
            state = EventState.DUE
        else:
            state = EventState.MISSED
        out.append(EventStatus(e, state, dict(given), tuple(run_ids[e.index])))
    return out


def _cannot_carry(
    run: PlannedRun, planned: Sequence[PlannedRun], f: FertigationConfig, tz: ZoneInfo
) -> str:
    """Why ``run`` cannot carry fertilizer ("" if it can)."""
    need_min = f.prewet_min + f.flush_min + f.min_inject_min
    if run.duration_min < need_min:
        return (
            f"the run of {run.duration_min:.0f} min is shorter than prewet {f.prewet_min:g} "
            f"+ inject {f.min_inject_min:g} + flush {f.flush_min:g} min"
        )
    end = run.start + dt.timedelta(minutes=run.duration_min)
    for other in planned:
        if other is run:
            continue
        other_end = other.start + dt.timedelta(minutes=other.duration_min)
        if other.start < end and run.start < other_end:
            at = other.start.astimezone(tz).strftime("%H:%M")
            return f"it overlaps the run of {other.zone} at {at} (a fertigation run runs alone)"
    return ""
