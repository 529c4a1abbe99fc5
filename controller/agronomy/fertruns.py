"""Fertigation runs of their own: an event due that none of the zone's planned runs carries.

The fertigation plan (``[[fertigation.events]]``) gives nutrients every ten days or so
around the crop's stages; the ET planner waters a drip zone when its depletion reaches
the trigger, every one to two weeks in the Hexi corridor. Left to wait for an irrigation,
most events would close their window (``event_window_days``) unserved and the crop would
go short of nitrogen at jointing and tasseling — water saved at the cost of yield.

So, at each planning, for every zone not in manual mode whose earliest open event (its day
reached, window not over, not fully given, not being given) is carried by none of the
zone's runs of the next 24 h (:func:`controller.agronomy.fertplan.attach_recipes`), one run
is added:

* length: prewet + ``min_inject_min`` + flush, or longer to refill the zone's depletion
  to the planner's refill target when that is larger (the next irrigation brought forward,
  so the water is the water the zone would have had anyway), at most the zone's and the
  site's maximum run time;
* start: of the 10-minute steps of the next 24 h at which the whole run fits inside the
  allowed windows (``policy.windows``) without overlapping any planned run (a fertigation
  run runs alone), the one whose minutes cost least under the tariff (``policy.tariff``),
  the earliest of equals; none: the event waits for tomorrow's planning, still in its window;
* not after rain of at least ``policy.rain_skip_mm`` in the last 24 h (the solution would
  leach from a wet profile; the event waits a day);
* a decision recorded for it (action ``irrigate``, the event, the depletion, the length and
  why), so the decision log says why water went on a day the ET plan did not ask for it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

from controller.agronomy.decision_codes import DecisionCode, coded
from controller.agronomy.fertplan import EventState, FertRun, PlanEvent, event_status
from controller.agronomy.types import (
    CATCH_UP_DAYS,
    REFILL_TARGET_FRACTION,
    PlannedRun,
    in_windows,
    parse_window,
)
from controller.agronomy.weather import rain_between
from controller.config.site import SiteConfig, ZoneConfig
from controller.store import DecisionAction, Run, RunSource, Store

__all__ = ["STEP_MIN", "fertigation_runs"]

STEP_MIN = 10  # start times tried, minutes apart
_LOOKAHEAD = dt.timedelta(hours=24)
_OPEN = (EventState.DUE, EventState.PARTIAL)


def fertigation_runs(
    site: SiteConfig,
    store: Store,
    carried: Sequence[FertRun],
    now: dt.datetime,
    *,
    history: Iterable[Run] = (),
) -> list[PlannedRun]:
    """Runs to add so that every zone's open event is given (see the module docstring).

    ``carried`` is :func:`controller.agronomy.fertplan.attach_recipes` of the planner's runs of the
    next 24 h; ``history`` the stored runs since the earliest open event's day. Each run
    added has its decision recorded in ``store``.
    """
    f = site.fertigation
    if f is None or not f.events:
        return []
    tz = site.site.tz
    today = now.astimezone(tz).date()
    served = {(fr.run.zone, fr.event.index) for fr in carried if fr.recipe and fr.event}
    busy = [(fr.run.start, _end(fr.run)) for fr in carried]
    statuses = event_status(site, history, today)
    rain_mm: float | None = None
    out: list[PlannedRun] = []
    for zone in site.zones:
        if zone.mode == "manual":
            continue
        due = [
            s
            for s in statuses
            if s.event.zone == zone.name
            and s.event.day <= today <= s.event.until
            and s.state in _OPEN
        ]
        if not due or (zone.name, due[0].event.index) in served:
            continue
        event = due[0].event
        if rain_mm is None:
            rain_mm = _rain_24h(site, store, now)
        if rain_mm >= site.policy.rain_skip_mm:
            store.record_decision(
                zone.name,
                zone.mode,
                DecisionAction.DEFER,
                f"{zone.name}: {event.describe()} waits: {rain_mm:.1f} mm rain in the last "
                f"24 h ≥ {site.policy.rain_skip_mm:g} mm; open until {event.until}",
                {
                    "event": event.index,
                    "rain_last_24h_mm": rain_mm,
                    **coded(
                        DecisionCode.FERTIGATION_RAIN_WAIT,
                        **event.values(),
                        rain_mm=f"{rain_mm:.1f}",
                        rain_skip_mm=f"{site.policy.rain_skip_mm:g}",
                        until=event.until,
                    ),
                },
            )
            continue
        minutes, numbers = _length_min(site, store, zone, today)
        start = _first_fit(site, now, minutes, busy)
        if start is None:
            store.record_decision(
                zone.name,
                zone.mode,
                DecisionAction.DEFER,
                f"{zone.name}: {event.describe()} waits: no {minutes:.0f} min free in the "
                f"allowed windows of the next 24 h; open until {event.until}",
                {
                    "event": event.index,
                    **numbers,
                    **coded(
                        DecisionCode.FERTIGATION_NO_ROOM,
                        **event.values(),
                        minutes=f"{minutes:.0f}",
                        until=event.until,
                    ),
                },
            )
            continue
        out.append(_record(site, store, zone, event, start, minutes, numbers))
        busy.append((start, start + dt.timedelta(minutes=minutes)))
    return out


def _end(run: PlannedRun) -> dt.datetime:
    return run.start + dt.timedelta(minutes=run.duration_min)


def _rain_24h(site: SiteConfig, store: Store, now: dt.datetime) -> float:
    station = site.weather.station if site.weather else None
    if station is None:
        return 0.0
    mm, _ = rain_between(store, station, now - dt.timedelta(days=1), now)
    return mm


def _length_min(
    site: SiteConfig, store: Store, zone: ZoneConfig, today: dt.date
) -> tuple[float, dict[str, float]]:
    """Minutes of the run: the fertigation minimum or the zone's refill, whichever is longer."""
    f = site.fertigation
    assert f is not None
    least = f.prewet_min + f.min_inject_min + f.flush_min
    rows = store.water_balance(zone.name, today - dt.timedelta(days=CATCH_UP_DAYS), today)
    dr_mm = taw_mm = refill_min = 0.0
    if rows:
        dr_mm, taw_mm = max(rows[-1].dr_end_mm, 0.0), rows[-1].taw_mm
        gross_mm = max(dr_mm - REFILL_TARGET_FRACTION * taw_mm, 0.0) / zone.efficiency
        refill_min = gross_mm * zone.area_m2_value / 1000.0 / zone.nominal_flow_m3_h * 60.0
    limit = min(zone.max_run_min, site.safety.max_run_min)
    minutes = min(max(least, refill_min), limit)
    return minutes, {
        "dr_mm": dr_mm,
        "taw_mm": taw_mm,
        "fertigation_min": least,
        "refill_min": refill_min,
        "duration_min": minutes,
    }


def _first_fit(
    site: SiteConfig,
    now: dt.datetime,
    minutes: float,
    busy: Sequence[tuple[dt.datetime, dt.datetime]],
) -> dt.datetime | None:
    """The cheapest start (on a STEP_MIN boundary, from now; the earliest of equals) whose
    whole run is inside the windows and overlaps no planned run; None within the next 24 h."""
    tz = site.site.tz
    step = dt.timedelta(minutes=STEP_MIN)
    start = now.replace(second=0, microsecond=0)
    start += dt.timedelta(minutes=-start.minute % STEP_MIN)
    if start < now:
        start += step
    windows = [parse_window(w) for w in site.policy.windows]

    def allowed(t: dt.datetime) -> bool:
        local = t.astimezone(tz)
        return in_windows(local.hour * 60 + local.minute, windows)

    length = dt.timedelta(minutes=minutes)
    n_checks = math.ceil(minutes / STEP_MIN)
    best: tuple[float, dt.datetime] | None = None
    while start < now + _LOOKAHEAD:
        end = start + length
        steps = [(start + k * step).astimezone(tz) for k in range(n_checks)]
        inside = all(allowed(t) for t in steps) and allowed(end - dt.timedelta(minutes=1))
        if inside and not any(b0 < end and start < b1 for b0, b1 in busy):
            cost = sum(site.policy.price_at(t.hour * 60 + t.minute) for t in steps)
            if best is None or cost < best[0] - 1e-9:
                best = (cost, start)
        start += step
    return None if best is None else best[1]


def _record(
    site: SiteConfig,
    store: Store,
    zone: ZoneConfig,
    event: PlanEvent,
    start: dt.datetime,
    minutes: float,
    numbers: dict[str, float],
) -> PlannedRun:
    depth_mm = minutes / 60.0 * zone.nominal_flow_m3_h * 1000.0 / zone.area_m2_value
    refill = numbers["refill_min"] > numbers["fertigation_min"]
    why = "the refill brought forward" if refill else "prewet + inject + flush"
    at = start.astimezone(site.site.tz).strftime("%Y-%m-%d %H:%M")
    sentence = (
        f"{zone.name}: {minutes:.0f} min, {depth_mm:.1f} mm at {at} to carry {event.describe()}: "
        f"no planned irrigation carries it; length {why} (depletion {numbers['dr_mm']:.1f} mm of "
        f"TAW {numbers['taw_mm']:.1f} mm)"
    )
    decision = store.record_decision(
        zone.name,
        zone.mode,
        DecisionAction.IRRIGATE,
        sentence,
        {
            "event": event.index,
            "event_day": event.day.isoformat(),
            **numbers,
            **coded(
                DecisionCode.FERTIGATION_REFILL if refill else DecisionCode.FERTIGATION_RUN,
                **event.values(),
                minutes=f"{minutes:.0f}",
                depth_mm=f"{depth_mm:.1f}",
                at=at,
                dr_mm=f"{numbers['dr_mm']:.1f}",
                taw_mm=f"{numbers['taw_mm']:.1f}",
            ),
        },
        planned_start=start,
        duration_min=minutes,
        depth_mm=depth_mm,
    )
    assert decision.id is not None  # committed rows have ids
    return PlannedRun(zone.name, start, minutes, depth_mm, decision.id, RunSource.PLAN)
