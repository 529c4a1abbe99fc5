"""The season's root-zone salt per zone, and the leaching water it needs after the season.

For each zone, from its planting date to the day asked (local dates), :mod:`models.salt` is
run over the days:

* **salt in**: the water of the zone's runs started that day, as metered (every end state:
  the water went in either way), spread over the zone's area, at the irrigation water's EC;
* **salt out**: the stored daily water balance's deep percolation (the drainage below the
  roots) leaving with the root-zone solution;
* the root zone: the soil the crop's roots reach at full development (the zone model's
  profile), its water at field capacity; at planting at ``[site] soil_ece_spring_ds_m``, or
  the steady state of FAO-29's guidelines (1.5 × ECw) when no soil test is given.

The irrigation water's EC (dS/m = mS/cm): ``[site] irrigation_water_ec_ds_m`` when set (a
deliberate statement, e.g. a lab analysis, wins); otherwise the mean of the fertigation EC
meter's good readings taken while runs carrying no fertilizer watered this season (the line's
own water, measured); neither: no salt balance. Only **ended** plain-water runs count: a run's
fertilizer is recorded when it ends, so a fertigation run in progress cannot yet be told from
plain water by it, and its injection readings would pass for the water's own EC (the figure
would jump while it runs and fall back after); and a run ended without its fertilizer recorded
(``interrupted`` by a restart after a crash mid-injection) still injected. So a run is left
out when it carries fertilizer or its recorded phase is a fertigation one (prewet, inject,
flush: a run with a recipe starts in prewet and never goes back to water), whatever its
end. The meter's mean is reported beside a configured value so the two
can be compared.

**Leaching needed** (mm, m³/mu): the salt the season left (in − out), carried out at the
drainage-water EC of the FAO-29 leaching requirement (eq. 7, ECdw = ECw / LR) — with no
drainage in the season exactly LR × the season's water, the rule the referee charges. It
replaces a winter irrigation sized by habit: the water the salt needs, not 100 m³/mu.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from controller.config.site import M2_PER_MU, SiteConfig, ZoneConfig
from controller.config.soil import zone_soil
from controller.store import FERTIGATION_PHASES, Store
from models.crops import crop
from models.salt import (
    SaltInputError,
    leaching_requirement,
    leaching_water_mm,
    salt_season,
    spring_ece_ds_m,
)

__all__ = ["MIN_METER_READINGS", "WaterEC", "ZoneSalt", "water_ec", "zone_salt"]

MIN_METER_READINGS = 3  # fewer plain-water readings of the EC meter are not a season's measure


@dataclass(frozen=True, slots=True)
class WaterEC:
    """The irrigation water's EC used (dS/m) and where it came from (``"site"``: the site
    key; ``"meter"``: the fertigation EC meter), with the meter's plain-water mean of the
    season and its reading count when it has one."""

    ec_ds_m: float
    source: str
    meter_ds_m: float | None = None
    meter_readings: int = 0


@dataclass(frozen=True, slots=True)
class ZoneSalt:
    """One zone's salt since planting (module docstring). Depths in mm over the zone, salt in
    g/m², EC in dS/m; ``problem`` says why no leaching figure could be made (then the
    figures are 0)."""

    zone: str
    ec_water_ds_m: float
    ec_water_source: str
    ece_threshold_ds_m: float
    leaching_requirement: float
    season_water_mm: float
    drainage_mm: float
    fc_water_mm: float
    ece_start_ds_m: float
    ece_now_ds_m: float
    salt_in_g_m2: float
    salt_out_g_m2: float
    leaching_mm: float
    leaching_m3_per_mu: float
    ec_meter_ds_m: float | None = None
    problem: str = ""

    def describe(self) -> str:
        """The ledger's "leaching needed" line, in words with its numbers (English)."""
        if self.problem:
            return f"{self.zone}: leaching not computed: {self.problem}"
        source = "site file" if self.ec_water_source == "site" else "EC meter"
        return (
            f"{self.zone}: leaching needed {self.leaching_mm:.0f} mm "
            f"({self.leaching_m3_per_mu:.0f} m³/mu): ECw {self.ec_water_ds_m:.2f} dS/m "
            f"({source}), LR {self.leaching_requirement:.3f} (FAO-29 eq. 7), season water "
            f"{self.season_water_mm:.0f} mm, drained {self.drainage_mm:.0f} mm, root-zone ECe "
            f"{self.ece_now_ds_m:.2f} dS/m now against the crop's {self.ece_threshold_ds_m:g}"
        )


def water_ec(site: SiteConfig, store: Store, since: dt.date, today: dt.date) -> WaterEC | None:
    """The irrigation water's EC for the season from ``since`` to ``today`` (local dates),
    or None when neither the site file nor the EC meter gives one (module docstring)."""
    configured = site.site.irrigation_water_ec_ds_m
    meter, count = _meter_mean(site, store, since, today)
    if configured is not None:
        return WaterEC(configured, "site", meter, count)
    if meter is not None:
        return WaterEC(meter, "meter", meter, count)
    return None


def _meter_mean(
    site: SiteConfig, store: Store, since: dt.date, today: dt.date
) -> tuple[float | None, int]:
    """The fertigation EC meter's mean (mS/cm = dS/m) over the good readings taken while
    ended plain-water runs watered, and how many there were; (None, n) below the minimum.
    A run still going, one with fertilizer or one whose recorded phase is a fertigation one
    is left out, whatever its end (module docstring)."""
    f = site.fertigation
    if f is None:
        return None, 0
    tz = site.site.tz
    start = dt.datetime.combine(since, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    values: list[float] = []
    for run in store.runs(None, start, end):
        if run.started_at is None or run.ended_at is None:
            continue
        if run.fertilizer or run.phase in FERTIGATION_PHASES:
            continue
        values += [v for _, v in store.good_values(f.ec_meter, "ec", run.started_at, run.ended_at)]
    if len(values) < MIN_METER_READINGS:
        return None, len(values)
    return sum(values) / len(values), len(values)


def zone_salt(
    site: SiteConfig, store: Store, zone: ZoneConfig, today: dt.date, water: WaterEC
) -> ZoneSalt:
    """The zone's salt balance from planting to ``today`` (local date) with ``water``'s EC."""
    tz = site.site.tz
    since = zone.planting_date
    c = crop(zone.crop)
    area_m2 = zone.area_m2_value
    start = dt.datetime.combine(since, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    water_mm: dict[dt.date, float] = defaultdict(float)
    for run in store.runs(zone.name, start, end):
        if run.started_at is not None:
            water_mm[run.started_at.astimezone(tz).date()] += run.applied_m3 / area_m2 * 1000.0
    balance = store.water_balance(zone.name, since, today)
    drained = {row.date: row.deep_percolation_mm for row in balance}
    days = [since + dt.timedelta(days=k) for k in range((today - since).days + 1)]
    depth_m = c.root_depth_max_m
    fc_mm = zone_soil(zone, depth_m).field_capacity_mm(0.0, depth_m)
    threshold = c.ece_threshold_ds_m
    water_by_day = [water_mm.get(d, 0.0) for d in days]
    problem = ""
    lr = leach_mm = 0.0
    try:  # a bad stored figure or a measured ECw the crop cannot take: say so, never raise
        ece_start = site.site.soil_ece_spring_ds_m
        if ece_start is None:
            ece_start = spring_ece_ds_m(water.ec_ds_m)
        season = salt_season(
            water_by_day, [drained.get(d, 0.0) for d in days], water.ec_ds_m, fc_mm, ece_start
        )
        if threshold is None:
            problem = f"crop {zone.crop!r} has no salt tolerance in the crop library"
        else:
            lr = leaching_requirement(water.ec_ds_m, threshold)
            leach_mm = leaching_water_mm(season.salt_gain_g_m2, water.ec_ds_m, lr)
    except SaltInputError as exc:
        problem = str(exc)
        season = salt_season([], [], 0.0, fc_mm, 0.0)  # no figures: zeros
    return ZoneSalt(
        zone=zone.name,
        ec_water_ds_m=water.ec_ds_m,
        ec_water_source=water.source,
        ece_threshold_ds_m=threshold or 0.0,
        leaching_requirement=lr,
        season_water_mm=season.irrigation_mm,
        drainage_mm=season.drainage_mm,
        fc_water_mm=fc_mm,
        ece_start_ds_m=season.ece_start_ds_m,
        ece_now_ds_m=season.ece_end_ds_m,
        salt_in_g_m2=season.salt_in_g_m2,
        salt_out_g_m2=season.salt_out_g_m2,
        leaching_mm=leach_mm,
        leaching_m3_per_mu=leach_mm * M2_PER_MU / 1000.0,
        ec_meter_ds_m=water.meter_ds_m,
        problem=problem,
    )
