"""The truth behind a simulated zone, behind a small protocol, and the bucket implementation.

A *truth* is what really happens to one zone's soil and crop in a simulated season: the
controller never sees it, only what the probes and the weather station read of it.
:class:`ZoneTruth` is the whole contract the agronomy fidelity
(:mod:`controller.simulation.fidelity`) needs of it:

* ``step_day(date, irrigation_mm)`` advances the zone over one local day with that much water
  (mm over the zone's area, as delivered) on top of the rain and ET of the truth's own weather,
  and returns the day's :class:`DayOutcome`; days are stepped in order, none skipped;
* ``probe_theta(depth_m)`` is the volumetric water content (fraction) now at a depth, what a
  probe there measures before its offset and noise.

A truth that can also move within a day implements :class:`SubDailyTruth` (``advance_to``): the
fidelity then advances it at every poll time with the water delivered since, so the probes
see the day unfold (water at night, drying by day) as the full-stack season's field does.
A daily truth (a crop model with a daily step) is read at the state of the day's start until
the day is stepped at local midnight.

:class:`BucketTruth` is :mod:`drivers.sim.soilphysics` (the layered bucket of the full-stack
season): the same :class:`SoilColumn`, :class:`CropTruth` and :func:`step_zone` rules, stepped
in at most :data:`MAX_STEP_H` hour pieces. Units: mm of water, m of depth, θ as fractions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from controller.config.site import SiteConfig
from controller.simulation.season import Scenario, crop_truth
from drivers.sim.soilphysics import CropTruth, DayTotals, SoilColumn, step_zone
from drivers.sim.weathergen import WeatherSeries

__all__ = [
    "MAX_STEP_H",
    "BucketTruth",
    "DayOutcome",
    "SubDailyTruth",
    "TruthFactory",
    "TruthSetup",
    "ZoneTruth",
]

MAX_STEP_H = 1.0  # longest piece the bucket is stepped in, hours


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """One zone-day of a truth (mm unless named).

    Water closes: ``rain_mm + irrigation_mm − eta_mm − drainage_mm − runoff_mm`` equals
    ``storage_mm − storage_start_mm`` (the soil water of the whole profile the truth models,
    start and end of the day). ``depletion_mm`` and ``taw_mm`` are of the root zone at the end
    of the day; ``stressed``: actual ET fell short of ``etc_mm`` by more than 1 %; ``critical``:
    the day is in the crop's critical stages.
    """

    date: dt.date
    transpiration_mm: float
    soil_evaporation_mm: float
    eta_mm: float
    etc_mm: float
    drainage_mm: float
    runoff_mm: float
    rain_mm: float
    irrigation_mm: float
    storage_start_mm: float
    storage_mm: float
    depletion_mm: float
    taw_mm: float
    stressed: bool
    critical: bool

    @property
    def closure_mm(self) -> float:
        """In − out − Δstorage of the day (0 for a truth that loses no water), mm."""
        gain = self.rain_mm + self.irrigation_mm
        loss = self.eta_mm + self.drainage_mm + self.runoff_mm
        return gain - loss - (self.storage_mm - self.storage_start_mm)


class ZoneTruth(Protocol):
    """One zone's true soil and crop (see the module docstring)."""

    def step_day(self, date: dt.date, irrigation_mm: float) -> DayOutcome:
        """Finish local day ``date`` with ``irrigation_mm`` more water (mm); its outcome."""
        ...

    def probe_theta(self, depth_m: float) -> float:
        """Volumetric water content (fraction) now at ``depth_m`` (m)."""
        ...


@runtime_checkable
class SubDailyTruth(ZoneTruth, Protocol):
    """A truth that can also advance within a day."""

    def advance_to(self, date: dt.date, hour: float, irrigation_mm: float) -> None:
        """Advance within local day ``date`` up to local ``hour`` (0–24), with ``irrigation_mm``
        (mm) delivered since the last call, spread over the interval."""
        ...


@dataclass(frozen=True)
class TruthSetup:
    """What a truth is built from: the site, the season's weather and true daily ET0 (mm by
    local date), the first local day to be stepped, and the scenario (for its soils, crop
    stages and starting water)."""

    site: SiteConfig
    weather: WeatherSeries
    et0_mm: dict[dt.date, float]
    start: dt.date
    scenario: Scenario


TruthFactory = Callable[[TruthSetup, str], ZoneTruth]  # (setup, zone name) → the zone's truth


class BucketTruth:
    """The layered bucket of :mod:`drivers.sim.soilphysics` as a :class:`SubDailyTruth`."""

    def __init__(
        self,
        column: SoilColumn,
        crop: CropTruth,
        weather: WeatherSeries,
        et0_mm: dict[dt.date, float],
        start: dt.date,
    ) -> None:
        self.column, self.crop, self.weather, self.et0_mm = column, crop, weather, et0_mm
        self._date = start
        self._hour = 0.0
        self._totals = DayTotals(start)
        self._storage_start = self.storage_mm()

    @classmethod
    def for_zone(cls, setup: TruthSetup, zone: str) -> BucketTruth:
        """The zone's bucket as the full-stack season builds it (soil, crop, starting water)."""
        sc = setup.scenario
        return cls(
            SoilColumn(sc.soils[zone], sc.initial_fraction),
            crop_truth(setup.site, zone, sc, setup.et0_mm),
            setup.weather,
            setup.et0_mm,
            setup.start,
        )

    def storage_mm(self) -> float:
        """Water held in the whole column now, mm."""
        c = self.column
        return sum(th * t * 1000.0 for th, t in zip(c.theta, c.thickness_m, strict=True))

    def probe_theta(self, depth_m: float) -> float:
        return self.column.theta_at(depth_m)

    def advance_to(self, date: dt.date, hour: float, irrigation_mm: float) -> None:
        if date != self._date:
            raise ValueError(f"bucket truth is on {self._date}: finish it before {date}")
        h0 = self._hour
        if hour < h0:
            raise ValueError(f"bucket truth is at {h0:g} h of {date}: cannot go back to {hour:g}")
        if hour == h0:  # an instant: the water goes in now (a flood), nothing else passes
            if irrigation_mm:
                self._totals.runoff_mm += self.column.add_water(irrigation_mm)
                self._totals.irrigation_mm += irrigation_mm
            return
        span = hour - h0
        et0 = self.et0_mm.get(date, 0.0)
        while h0 < hour:
            h1 = min(hour, h0 + MAX_STEP_H)
            step_zone(
                self.column,
                self.crop,
                self._totals,
                et0_day_mm=et0,
                h0=h0,
                h1=h1,
                water_mm=irrigation_mm * (h1 - h0) / span,
                rain_mm=self.weather.rain_between(date, h0, h1),
            )
            h0 = h1
        self._hour = hour

    def step_day(self, date: dt.date, irrigation_mm: float) -> DayOutcome:
        self.advance_to(date, 24.0, irrigation_mm)
        t = self._totals
        storage = self.storage_mm()
        out = DayOutcome(
            date=date,
            transpiration_mm=t.eta_mm,  # the bucket takes all its ET from the root zone
            soil_evaporation_mm=0.0,
            eta_mm=t.eta_mm,
            etc_mm=t.etc_mm,
            drainage_mm=t.drainage_mm,
            runoff_mm=t.runoff_mm,
            rain_mm=t.rain_mm,
            irrigation_mm=t.irrigation_mm,
            storage_start_mm=self._storage_start,
            storage_mm=storage,
            depletion_mm=self.column.dr_mm(self.crop.zr_on(date)),
            taw_mm=self.column.taw_mm(self.crop.zr_on(date)),
            stressed=t.stressed,
            critical=self.crop.is_critical(date),
        )
        self._date = date + dt.timedelta(days=1)
        self._hour = 0.0
        self._totals = DayTotals(self._date)
        self._storage_start = storage
        return out
