"""The crop as it is: the FAO-56 stage and crop-calendar day each zone's Kc comes from.

One place for the balance and the planner (:meth:`CropClock.state`): the crop-calendar day
(:mod:`models.crops.phenology`) whose Kc, Kcb and root depth the crop has on a local day, with
its source named:

* ``calendar``: the days after planting (the FAO-56 stage lengths of the crop library), for a
  zone with ``crop_clock = "calendar"`` until a stage is observed, for a crop without
  phenology thresholds (not maize), and whenever the observations cannot be used;
* ``gdd``: the station's growing degree days since sowing (``crop_clock = "gdd"``);
* ``observation``: the last observed stage, moved on by degree days since (a day without
  both temperatures moves it one calendar day).

Temperatures (:meth:`controller.agronomy.jobs.Agronomy.day_temperatures`): the station's good
hourly air temperatures of a local day (Tmax the highest, Tmin the lowest hourly extreme),
known when at least ``MIN_HOURS`` (18) hours have them, as for ET0. Closed days are kept in
memory once read; the page's predictions run on at the last 14 measured days' mean.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from controller.config.site import ZoneConfig
from controller.store import CropObservation, Store, StoreError
from models.crops import Crop
from models.crops.phenology import (
    PHENOLOGY_CROPS,
    CropDay,
    DayTemperatures,
    PhenologyInputError,
    Stage,
    crop_days,
    fao_stage,
    gdd_day,
    stage_crop_day,
)
from models.crops.plausibility import Implausible, implausible

__all__ = ["CropClock", "CropState", "DegreeDays", "StagePrediction", "Temperatures"]

log = logging.getLogger(__name__)

#: A local day's (Tmax, Tmin), °C, None where not measured, and whether the day is closed
#: (its readings no longer change: kept in memory).
Temperatures = Callable[[dt.date], tuple[float | None, float | None, bool]]


@dataclass(frozen=True, slots=True)
class CropState:
    """A zone's crop at the start of a local day: ``crop_day`` (days on the FAO-56 calendar),
    its FAO-56 ``stage`` and ``day_in_stage`` (d), GDD since sowing (°C·d over the
    ``gdd_days_measured`` days the station measured, whatever set the crop day; None with
    ``gdd_missing`` saying why: ``no_temperatures`` since sowing, ``not_maize``,
    ``not_counted`` (the Kc is the calendar's: :meth:`CropClock.state` does not read them,
    :meth:`CropClock.shown_state` does), ``unreadable`` (the store failed reading them)), the
    ``source`` of the crop day and, from an observation, the stage and its date."""

    zone: str
    date: dt.date
    days_after_planting: int
    crop_day: float
    stage: str
    day_in_stage: float
    gdd_degc_day: float | None
    source: str
    anchor: str | None = None
    anchor_date: dt.date | None = None
    note: str = ""
    gdd_days_measured: int = 0
    gdd_missing: str = ""

    def sentence(self) -> str:
        """Where the Kc came from, for the decision and the balance's notes."""
        where = f"FAO-56 {self.stage} day {self.day_in_stage:.0f}"
        if self.source == "observation":
            said = (
                f"Kc from the observed {self.anchor} on {self.anchor_date} "
                f"+ degree days since: {where} (crop day {self.crop_day:.1f}, "
                f"{self.days_after_planting} d after planting)"
            )
        elif self.source == "gdd":
            said = (
                f"Kc from degree days ({self.gdd_degc_day or 0.0:.0f} °C·d since sowing): {where} "
                f"(crop day {self.crop_day:.1f}, {self.days_after_planting} d after planting)"
            )
        else:
            said = f"Kc from the calendar: {where}"
        return f"{said}; {self.note}" if self.note else said

    def numbers(self) -> dict[str, object]:
        """The decision record's view of it."""
        return {
            "kc_source": self.source,
            "crop_day": round(self.crop_day, 2),
            "fao56_stage": self.stage,
            "day_in_stage": round(self.day_in_stage, 2),
            "gdd_degc_day": None if self.gdd_degc_day is None else round(self.gdd_degc_day, 1),
            "anchor": self.anchor,
            "anchor_date": self.anchor_date.isoformat() if self.anchor_date else None,
        }


@dataclass(frozen=True, slots=True)
class StagePrediction:
    """A stage of a zone's season: the date observed (None: not yet), the date the degree
    days (or the calendar) put it at from the observations of the stages before it only, and
    the source of that prediction."""

    stage: Stage
    observed_on: dt.date | None
    predicted_on: dt.date | None
    predicted_by: str


@dataclass(frozen=True, slots=True)
class DegreeDays:
    """The growing degree days (°C·d) since sowing to the start of a day, counted over the
    ``measured_days`` of its ``days`` with both temperatures; ``gdd_degc_day`` None when no
    day was measured (never 0 for days nobody measured)."""

    gdd_degc_day: float | None
    days: int
    measured_days: int


class CropClock:
    """The crop state of every zone (module docstring)."""

    def __init__(
        self,
        store: Store,
        temperatures: Temperatures,
        crop_of: Callable[[ZoneConfig], Crop],
    ) -> None:
        self.store = store
        self._temperatures = temperatures
        self._crop_of = crop_of
        self._closed: dict[dt.date, DayTemperatures] = {}
        self._refused: set[tuple[str, str]] = set()

    def state(self, zone: ZoneConfig, date: dt.date) -> CropState:
        """The zone's crop at the start of ``date`` (local). Never raises for stored data:
        observations the phenology refuses leave the calendar in charge, said in ``note``."""
        crop = self._crop_of(zone)
        dap = (date - zone.planting_date).days
        days, note = self._season(zone, crop, date)
        day = days[-1] if days else CropDay(date, float(max(dap, 0)), 0.0, "calendar")
        state = _state(zone, crop, date, dap, day, note)
        if not self._uses_phenology(zone):
            return replace(state, gdd_degc_day=None, gdd_missing="not_maize")
        if not days:
            # the Kc is the calendar's: the temperatures are not read for it (a store that
            # cannot read them must not fail the crop state); shown_state counts them
            return replace(state, gdd_degc_day=None, gdd_missing="not_counted")
        return self._with_degree_days(state, zone, date)

    def shown_state(self, zone: ZoneConfig, date: dt.date) -> CropState:
        """:meth:`state` with the station's degree days since sowing whether or not they move
        the crop (a calendar zone without a record counts them all the same), for the crop
        page and the API: none measured is no data (``no_temperatures``), never 0; a store
        that cannot read them is no data too (``unreadable``)."""
        state = self.state(zone, date)
        if state.gdd_missing != "not_counted":
            return state
        try:
            return self._with_degree_days(state, zone, date)
        except StoreError as exc:
            log.warning("crop state of %s: degree days not read: %s", zone.name, exc)
            return replace(state, gdd_missing="unreadable")

    def _with_degree_days(self, state: CropState, zone: ZoneConfig, date: dt.date) -> CropState:
        gdd = self.degree_days(zone, date)
        missing = "no_temperatures" if gdd.gdd_degc_day is None else ""
        return replace(
            state,
            gdd_degc_day=gdd.gdd_degc_day,
            gdd_days_measured=gdd.measured_days,
            gdd_missing=missing,
        )

    def degree_days(self, zone: ZoneConfig, date: dt.date) -> DegreeDays:
        """The station's degree days since the zone's sowing to the start of ``date``
        (McMaster & Wilhelm 1997, :func:`~models.crops.phenology.gdd_day`), whatever its
        crop clock and whether a stage is recorded or not."""
        days = max((date - zone.planting_date).days, 0)
        total, measured = 0.0, 0
        for k in range(days):
            t = self._day(zone.planting_date + dt.timedelta(days=k))
            if t.tmax_c is not None and t.tmin_c is not None and t.tmax_c >= t.tmin_c:
                total += gdd_day(t.tmax_c, t.tmin_c)
                measured += 1
        # sown today (no day to count): 0; days nobody measured: no data, never 0
        return DegreeDays(total if measured or not days else None, days, measured)

    def implausible(self, zone: ZoneConfig, stage: Stage, date: dt.date) -> Implausible | None:
        """Why ``stage`` seen on ``date`` is implausible by the degree days since sowing (or
        the calendar without them: :mod:`models.crops.plausibility`); None: plausible."""
        gdd = self.degree_days(zone, date)
        return implausible(
            self._crop_of(zone), stage, gdd.days, gdd.gdd_degc_day or 0.0, gdd.measured_days
        )

    def observations(self, zone: ZoneConfig) -> list[CropObservation]:
        """The zone's stages observed this season (on or after planting), by date and, on
        one day, in the crop's order; a record of a stage this code does not know is left
        out (logged once)."""
        known = {s.value: s.order for s in Stage}
        rows = self.store.crop_observations(zone.name, since=zone.planting_date)
        for row in rows:
            if row.stage not in known and (zone.name, row.stage) not in self._refused:
                self._refused.add((zone.name, row.stage))
                log.warning("crop state of %s: unknown stage %r left out", zone.name, row.stage)
        return sorted(
            (r for r in rows if r.stage in known),
            key=lambda r: (r.observed_on, known[r.stage]),
        )

    def stages(self, zone: ZoneConfig, today: dt.date) -> list[StagePrediction]:
        """Every stage with the date observed and the date predicted from the stages before it
        (the degree days to ``today``; after it, the last 14 days' mean degree days per day,
        or one calendar day a day without them)."""
        crop = self._crop_of(zone)
        seen = {Stage(o.stage): o.observed_on for o in self.observations(zone)}
        horizon = zone.planting_date + dt.timedelta(days=crop.season_days + 120)
        out = []
        for stage in Stage:
            before = {s: d for s, d in seen.items() if s.order < stage.order}
            try:
                days = self._days(zone, crop, before, today, horizon)
            except PhenologyInputError:
                days = []
            target = stage_crop_day(crop, stage)
            hit = next((d for d in days if d.crop_day >= target - 1e-9), None)
            out.append(
                StagePrediction(
                    stage,
                    seen.get(stage),
                    hit.date if hit else None,
                    hit.source if hit else "calendar",
                )
            )
        return out

    # -- inside --------------------------------------------------------------------------

    def _uses_phenology(self, zone: ZoneConfig) -> bool:
        return zone.crop in PHENOLOGY_CROPS

    def _season(self, zone: ZoneConfig, crop: Crop, date: dt.date) -> tuple[list[CropDay], str]:
        if date < zone.planting_date or not self._uses_phenology(zone):
            return [], ""
        observed = self.observations(zone)
        if zone.crop_clock == "calendar" and not observed:
            return [], ""
        seen: Mapping[Stage, dt.date] = {
            Stage(o.stage): o.observed_on for o in observed if o.observed_on <= date
        }
        try:
            return self._days(zone, crop, seen, date, date), ""
        except PhenologyInputError as exc:
            said = (zone.name, str(exc))
            if said not in self._refused:  # said once, not every hour
                self._refused.add(said)
                log.warning("crop state of %s: observations not used: %s", zone.name, exc)
            return [], f"observations not used: {exc}"

    def _days(
        self,
        zone: ZoneConfig,
        crop: Crop,
        seen: Mapping[Stage, dt.date],
        today: dt.date,
        until: dt.date,
    ) -> list[CropDay]:
        """The crop day by day from sowing to ``until``: measured temperatures before
        ``today``, the recent mean after it; a ``calendar`` zone keeps to the calendar until
        its first observation (the degree days counted all the same)."""
        start = zone.planting_date
        calendar_until = None
        if zone.crop_clock == "calendar":
            calendar_until = min(seen.values(), default=until + dt.timedelta(days=1))
        temps = [self._day(start + dt.timedelta(days=k)) for k in range((today - start).days)]
        temps += _ahead(temps, today, until)
        return crop_days(
            crop, zone.planting_date, temps, seen, until, calendar_until=calendar_until
        )

    def temperatures(self, date: dt.date) -> DayTemperatures:
        """The station's Tmax and Tmin of a local day (°C, None where not measured), closed
        days kept in memory once read."""
        return self._day(date)

    def _day(self, date: dt.date) -> DayTemperatures:
        cached = self._closed.get(date)
        if cached is not None:
            return cached
        tmax, tmin, closed = self._temperatures(date)
        day = DayTemperatures(date, tmax, tmin)
        if closed:
            self._closed[date] = day
        return day


def _ahead(past: list[DayTemperatures], today: dt.date, until: dt.date) -> list[DayTemperatures]:
    """Days from ``today`` to ``until`` at the mean Tmax and Tmin of the last 14 measured."""
    known = [t for t in past[-14:] if t.tmax_c is not None and t.tmin_c is not None]
    if not known or until < today:
        return []
    tmax = sum(t.tmax_c for t in known if t.tmax_c is not None) / len(known)
    tmin = sum(t.tmin_c for t in known if t.tmin_c is not None) / len(known)
    return [
        DayTemperatures(today + dt.timedelta(days=k), tmax, tmin)
        for k in range((until - today).days + 1)
    ]


def _state(
    zone: ZoneConfig, crop: Crop, date: dt.date, dap: int, day: CropDay, note: str = ""
) -> CropState:
    stage, into = fao_stage(crop, day.crop_day)
    return CropState(
        zone=zone.name,
        date=date,
        days_after_planting=dap,
        crop_day=day.crop_day,
        stage=stage,
        day_in_stage=into,
        gdd_degc_day=day.gdd_degc_day,
        source=day.source,
        anchor=day.anchor.value if day.anchor else None,
        anchor_date=day.anchor_on,
        note=note,
    )
