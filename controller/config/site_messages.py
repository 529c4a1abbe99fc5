"""The English of the site check's coded problems of zones, crops and the fertigation plan
(the dosing ones are :data:`controller.config.dosing.MESSAGES`).

These are the problems a page's edit can cause (a zone's crop, mode or planting date, the
plan's events, a crop's tuning); each is said by a code, so that the pages can say it from
their own catalogs (``site_check.<code>``) while the site file and the CLI keep these words.
Every problem of a zone carries the zone's name as ``zone``. The ``zone.one_area`` and
``zone.soil_*`` codes are the zone schema's own checks
(:class:`controller.config.schema_problems.CodedValueError`).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MESSAGES"]

MESSAGES: Mapping[str, str] = {
    "zone.unknown_crop": "unknown crop {crop!r} (one of {crops})",
    "zone.unknown_soil": "unknown soil {soil!r} (one of {soils})",
    "zone.gdd_needs_maize": "'gdd' needs a maize crop ({crops}), not {crop!r}",
    "zone.gdd_needs_station": "'gdd' needs a weather station (weather.station) for Tmax and Tmin",
    "zone.cold_kc_needs_maize": "true needs a maize crop ({crops}), not {crop!r}",
    "zone.cold_kc_needs_station": (
        "true needs a weather station (weather.station) for Tmax and Tmin"
    ),
    "zone.one_area": "give exactly one of area_mu or area_m2",
    "zone.soil_pair": "give both soil_fc_m3m3 and soil_wp_m3m3, or neither",
    "zone.soil_margin": "soil_fc_m3m3 {fc} must exceed soil_wp_m3m3 {wp} by {margin}",
    "plan.unknown_zone": "unknown zone {zone!r}",
    "plan.zone_manual": "zone {zone!r} is manual: no run is planned",
    "plan.zone_twice": "zone {zone!r} is listed twice",
    "plan.no_tank_holds": "no fertigation.tanks holds {nutrient}",
    "plan.unknown_recipe": "unknown recipe {recipe!r} (fertigation.recipes)",
    "plan.every_zone_manual": "every zone is manual: give the zones",
    "plan.day_taken": "zone {zone!r} already has fertigation.events[{other}] on {day}",
    "plan.unknown_tank": "unknown tank {tank!r}",
    "plan.ec_above_max": "{ec} mS/cm exceeds safety.ec_max_ms_cm {ec_max}",
    "plan.ec_not_above_source": "{ec} mS/cm is not above source_ec_ms_cm {source_ec}",
    "crops.unknown_crop": "unknown crop {crop!r} (one of {crops})",
}
"""The English of each code; ``{name!r}`` quotes a name as the site file's messages do."""
