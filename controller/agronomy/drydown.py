"""One calibration dry-down of a zone, requested by an admin: the refill held below RAW.

The ET rule refills at RAW, so the zone's dry-downs rarely show the crop slowing down below
it (Ks < 1, FAO-56 eq. 84) and the soil fit (:mod:`controller.learning.soil`) hardly sees
the wilting point. A zone's ``calibration_dry_down`` (a fraction of TAW in
:data:`~controller.config.site.CALIBRATION_DRY_DOWN_RANGE`, set from the Soil fit page, the
CLI or the site file) asks for **one** dry-down to that depletion:

* *requested*: waiting for a day it may hold: the roots past the deeper probe (else the
  crop's deepest roots), the zone's balance trusted (yesterday closed on measured ET0), a
  probe not quarantined, and neither today nor tomorrow in a period the crop library marks
  critical (benchmarks/learning/etrule.py calls this same function). Then it waits for the
  zone's next refill (Dr at the normal trigger): the dry-down that refill starts is the one
  held, from the next day (``since``), so the whole held dry-down is seen with the roots past
  the probes. Unless, from the planner's ET0 and the crop's Kc (:func:`days_to_target`), a
  dry-down started by that refill would not reach the fraction before the hold must be
  released for a critical period: then the refill is held at once, the dry-down in progress
  going on below RAW, if a run since planting began it (the soil fit's dry-downs start at a
  metered run; without one the refill is made and its dry-down held as far as it gets);
* *holding*: each horizon day up to the day before a critical period, the trigger is raised
  to the fraction (``mad = max(mad, fraction)``, the refill target unchanged);
* *done*: Dr reached the fraction of TAW with the roots past the deeper probe (a shallow
  crop's Dr passing it before does not spend the request), or the refill it held is planned,
  or the hold was released the day before a critical period, or stopped because a probe or
  the balance could not be trusted. The normal rule from then on; another dry-down needs
  another request.

The phase is kept per zone in ``<data dir>/models/calibration/<zone>.json`` (written
atomically), so a restart mid-hold neither repeats the dry-down nor forgets it. A file that
cannot be read holds nothing (the normal rule waters) and says so in the decision.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from controller.config.site import ZoneConfig
from models.crops import Crop, depletion_fraction, kc_on_day, root_depth_m

__all__ = [
    "DryDownHold",
    "DryDownState",
    "DryDownStates",
    "critical_on_day",
    "days_to_target",
    "dry_down_refusal",
    "hold_triggers",
    "refilled",
    "withdrawn",
]

log = logging.getLogger(__name__)

STATE_DIR = "calibration"
MAX_PREDICTED_DAYS = 200  # a season: past it, no critical period stops the hold
Phase = Literal["requested", "holding", "done"]


@dataclass(frozen=True)
class DryDownState:
    """A zone's calibration dry-down: its target (fraction of TAW), phase and dates."""

    zone: str
    fraction: float
    phase: Phase = "requested"
    requested_at: str | None = None  # ISO time of the request; None: from the site file
    since: str | None = None  # ISO date of the first day held (requested: to be held)
    ended: str | None = None  # ISO date it ended
    why: str = ""  # why it ended (or why it cannot be read)

    def numbers(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DryDownHold:
    """The zone's triggers with the hold applied, the sentence for the decision (empty: no
    calibration asked) and the numbers it records."""

    mad_fraction: tuple[float, ...]
    note: str
    numbers: dict[str, Any]


_UNWRITTEN = (-1, -1, -1)  # the stamp of a state kept while its file could not be written


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """The file's modification time (ns), size and inode; None without a file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class DryDownStates:
    """The zones' dry-down phases, persisted under ``directory`` (None: in memory only).

    A state file written by another process (``qanat soil dry-down`` asks for one while the
    daemon runs) is read again at the next :meth:`get`: each state is kept with its file's
    stamp (time, size, inode; every write is a rename, so a new inode)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = None if directory is None else directory / STATE_DIR
        self._memory: dict[str, tuple[tuple[int, int, int], DryDownState]] = {}

    def _path(self, zone: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{zone}.json"

    def get(self, zone: str) -> DryDownState | None:
        """The zone's state, None without one; a file that cannot be read is a *done* state
        saying why (nothing held)."""
        cached = self._memory.get(zone)
        if self.directory is None:
            return None if cached is None else cached[1]
        path = self._path(zone)
        seen = _stamp(path)
        if cached is not None and cached[0] in (seen, _UNWRITTEN):
            return cached[1]
        self._memory.pop(zone, None)
        if seen is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            state = DryDownState(**data)
            if state.phase not in ("requested", "holding", "done") or state.zone != zone:
                raise ValueError(f"phase {state.phase!r} of zone {state.zone!r}")
            float(state.fraction)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("calibration dry-down of %s: %s cannot be read: %s", zone, path, exc)
            return DryDownState(zone, 0.0, "done", why=f"its state file cannot be read: {exc}")
        self._memory[zone] = (seen, state)
        return state

    def put(self, state: DryDownState) -> None:
        """Keep ``state`` (atomically: temporary file, fsync, rename)."""
        self._memory[state.zone] = (_UNWRITTEN, state)  # kept even if the file cannot be
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(state.zone)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(asdict(state), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        self._memory[state.zone] = (_stamp(path) or _UNWRITTEN, state)

    def forget(self, zone: str) -> None:
        """No state for ``zone`` (a request taken back before it was kept)."""
        self._memory.pop(zone, None)
        if self.directory is not None:
            self._path(zone).unlink(missing_ok=True)

    def request(self, zone: str, fraction: float, at: dt.datetime) -> DryDownState:
        """A new request (replacing any before it): *requested*."""
        state = DryDownState(zone, fraction, "requested", requested_at=at.isoformat())
        self.put(state)
        return state


def refilled(state: DryDownState, today: dt.date, start: str) -> tuple[DryDownState, str]:
    """A holding ``state`` whose held refill was planned (at ``start``, local time): *done*,
    and the sentence saying so."""
    why = f"Dr reaches {state.fraction:.0%} of TAW, the refill planned at {start}"
    done = replace(state, phase="done", ended=today.isoformat(), why=why)
    return done, f"calibration dry-down ended: {why}; the normal rule from now on"


def dry_down_refusal(zone: ZoneConfig) -> str:
    """Why a calibration dry-down of ``zone`` cannot be asked ("" if it can): only an ``et``
    zone's trigger is held (a ``sensor`` zone's is its probes' moisture, judged otherwise)."""
    if zone.mode == "et":
        return ""
    return (
        f"{zone.name}: a calibration dry-down holds only an et zone's trigger "
        f"(this zone's mode is {zone.mode})"
    )


def withdrawn(
    zone: str, stored: DryDownState | None, fraction: float, today: dt.date, actor: str
) -> DryDownState:
    """The zone's dry-down (``stored``, or one the setting ``fraction`` asks that no plan has
    seen yet) withdrawn by ``actor``: *done*, so the normal trigger applies from the next plan.

    Withdrawing only lowers a raised trigger back to the normal rule: the next plan decides
    as it would have without the request (it opens no valve by itself)."""
    state = stored if stored is not None else DryDownState(zone, fraction)
    return replace(state, phase="done", ended=today.isoformat(), why=f"withdrawn by {actor}")


def critical_on_day(crop: Crop, crop_day: int) -> bool:
    """Whether the crop library marks the period of ``crop_day`` critical (no deficit)."""
    stage = next((s for s in crop.stages if crop_day <= s.end_dap), None)
    return stage is not None and stage.critical


def _critical_name(crop: Crop, crop_day: int) -> str:
    stage = next((s for s in crop.stages if crop_day <= s.end_dap), None)
    return stage.name if stage is not None else "?"


def days_to_target(
    crop: Crop,
    crop_day: int,
    *,
    start_dr_mm: float,
    taw_mm: float,
    fraction: float,
    et0_mm_day: float,
) -> int | None:
    """Days from ``crop_day`` until the balance's Dr, from ``start_dr_mm`` at the end of
    ``crop_day``'s water, reaches ``fraction`` of TAW on a day the hold may still be kept;
    None: the hold would be released first (the day before a critical period).

    The FAO-56 balance run ahead with the planner's mean ET0 over its horizon (mm/day) and
    the crop's own Kc of each day (mulched, eq. 66): ETc adj = Ks · Kc · ET0 with
    Ks = (TAW − Dr) / ((1 − p) TAW) below RAW (eq. 84, p adjusted for ETc, Table 22), TAW
    (``taw_mm`` on ``crop_day``) growing with the crop library's root depth (the new soil
    entering at field capacity)."""
    roots_m = float(root_depth_m(crop, float(crop_day)))
    dr = start_dr_mm
    taw = taw_mm
    for k in range(1, MAX_PREDICTED_DAYS + 1):
        etc = float(kc_on_day(crop, float(crop_day + k - 1), mulched=True)) * et0_mm_day
        p = depletion_fraction(crop.p, etc)
        ks = 1.0 if dr <= p * taw else max((taw - dr) / ((1.0 - p) * taw), 0.0)
        dr += ks * etc
        day = crop_day + k
        if critical_on_day(crop, day) or critical_on_day(crop, day + 1):
            return None
        taw = taw_mm * float(root_depth_m(crop, float(day))) / roots_m
        if dr >= fraction * taw:
            return k
    return MAX_PREDICTED_DAYS


def hold_triggers(
    zone: ZoneConfig,
    stored: DryDownState | None,
    crop: Crop,
    crop_day: int,
    mad_fraction: Sequence[float],
    *,
    dr_mm: float,
    taw_mm: float,
    root_depth_m: float,
    today: dt.date,
    distrust: str | None,
    et0_mm_day: float,
    refill_fraction: float,
    watered: bool,
) -> tuple[DryDownHold, DryDownState | None]:
    """The zone's triggers (one per horizon day from ``crop_day``) with its calibration
    dry-down applied (module docstring), and its new state (None: nothing asked).

    ``distrust``: why the zone's probes or balance cannot be trusted today (None: they can);
    ``et0_mm_day``: the planner's mean ET0 over its horizon (mm/day); ``refill_fraction``:
    the zone's refill target (fraction of TAW) a refill brings Dr to; ``watered``: whether a
    run has watered the zone since planting (so the dry-down in progress starts at a metered
    run, as the soil fit's dry-downs must)."""
    mad = tuple(mad_fraction)
    fraction = zone.calibration_dry_down
    if fraction is None:
        if stored is None or stored.phase == "done":
            return DryDownHold(mad, "", {}), stored
        # the setting taken away (a hand edit) while asked or holding: it ends here, so a
        # refill the normal rule plans is not said to be the dry-down's
        why = "calibration_dry_down was removed from the settings"
        done = replace(stored, phase="done", ended=today.isoformat(), why=why)
        note = f"calibration dry-down ended: {why}; the normal rule from now on"
        return DryDownHold(mad, note, {"calibration_dry_down": done.numbers()}), done
    state = stored if stored is not None else DryDownState(zone.name, fraction)
    if state.phase != "done" and state.fraction != fraction:
        state = replace(state, fraction=fraction)  # the setting changed: its target now
    target_mm = fraction * taw_mm
    about = f"Dr {dr_mm:.0f} of {target_mm:.0f} mm ({fraction:.0%} of TAW)"
    if state.phase == "done":
        unread = state.ended is None and bool(state.why)  # a state file that cannot be read
        note = f"calibration dry-down not held: {state.why}" if unread else ""
        return DryDownHold(mad, note, {"calibration_dry_down": state.numbers()}), state

    def ended(why: str) -> tuple[DryDownHold, DryDownState]:
        done = replace(state, phase="done", ended=today.isoformat(), why=why)
        note = f"calibration dry-down ended: {why}; the normal rule from now on"
        return DryDownHold(mad, note, {"calibration_dry_down": done.numbers()}), done

    deepest_m = max((p.depth_m for p in zone.probes), default=0.0)
    roots_needed_m = min(deepest_m, crop.root_depth_max_m)
    # reached before any hold: only a dry-down with the roots past the deeper probe counts
    # (a shallow crop's Dr can pass the target in a day, its dry-down unseen by that probe)
    if dr_mm >= target_mm and (state.phase == "holding" or root_depth_m >= roots_needed_m):
        return ended(f"{about} reached")
    soon = [d for d in (crop_day, crop_day + 1) if critical_on_day(crop, d)]
    if distrust is not None or soon:
        why = distrust if distrust is not None else f"{_critical_name(crop, soon[0])} is critical"
        if state.phase == "holding":
            verb = "released" if distrust is None else "stopped"
            return ended(f"{verb}: {why}, at {about}")
        note = f"calibration dry-down requested, not held: {why} ({about})"
        return DryDownHold(mad, note, {"calibration_dry_down": state.numbers()}), state
    if state.phase == "requested" and root_depth_m < roots_needed_m:
        note = (
            f"calibration dry-down requested, not held yet: roots {root_depth_m:.2f} m, "
            f"not yet at the deeper probe ({roots_needed_m:.2f} m)"
        )
        return DryDownHold(mad, note, {"calibration_dry_down": state.numbers()}), state
    if state.phase == "requested" and not (
        state.since is not None and dt.date.fromisoformat(state.since) <= today
    ):
        due = dr_mm >= mad[0] * taw_mm
        if not due:
            note = (
                f"calibration dry-down requested, not held yet: waiting for the next refill, "
                f"whose dry-down it holds ({about})"
            )
            return DryDownHold(mad, note, {"calibration_dry_down": state.numbers()}), state
        days = days_to_target(
            crop,
            crop_day,
            start_dr_mm=refill_fraction * taw_mm,
            taw_mm=taw_mm,
            fraction=fraction,
            et0_mm_day=et0_mm_day,
        )
        critical = next(
            (
                _critical_name(crop, d)
                for d in range(crop_day, crop_day + MAX_PREDICTED_DAYS + 2)
                if critical_on_day(crop, d)
            ),
            "the season's end",
        )
        if days is None and watered:
            why = (
                f"a dry-down from today's refill would not reach {fraction:.0%} of TAW before "
                f"{critical} (ET0 {et0_mm_day:.1f} mm/day), so this one is held"
            )
            state = replace(state, phase="holding", since=today.isoformat())
            return _held(mad, fraction, crop, crop_day, state, about, target_mm, why)
        since = (today + dt.timedelta(days=1)).isoformat()
        state = replace(state, since=since)
        when = (
            f"in about {days} days at ET0 {et0_mm_day:.1f} mm/day"
            if days is not None
            else f"or until the day before {critical}: no run began the dry-down in progress"
        )
        note = (
            f"calibration dry-down: today's refill starts it, held from {since} until Dr "
            f"reaches {fraction:.0%} of TAW ({when})"
        )
        return DryDownHold(mad, note, {"calibration_dry_down": state.numbers()}), state
    return _held(mad, fraction, crop, crop_day, state, about, target_mm, "")


def _held(
    mad: tuple[float, ...],
    fraction: float,
    crop: Crop,
    crop_day: int,
    state: DryDownState,
    about: str,
    target_mm: float,
    why: str,
) -> tuple[DryDownHold, DryDownState]:
    """The triggers raised to ``fraction`` up to the day before a critical period."""
    held = list(mad)
    for d in range(len(held)):
        if critical_on_day(crop, crop_day + d) or critical_on_day(crop, crop_day + d + 1):
            break  # released the day before a critical period, and the days after
        held[d] = max(held[d], fraction)
    if state.phase == "requested":
        state = replace(state, phase="holding")
    note = (
        f"calibration dry-down (admin request): refill held until Dr reaches "
        f"{fraction:.0%} of TAW, {about}, outside critical periods, since {state.since}"
    )
    if why:
        note += f": {why}"
    numbers = {"calibration_dry_down": {**state.numbers(), "target_mm": target_mm}}
    return DryDownHold(tuple(held), note, numbers), state
