"""A zone's soil and crop coefficient as the balance, the planner and the learning use them.

The soil: the texture's FAO-56 Table 19 θfc and θwp, unless an admin approved the zone's
effective values fitted from its dry-downs (``soil_fc_m3m3``, ``soil_wp_m3m3``: site
overrides, the soil page); one layer down to ``depth_m``. The crop: the library's, every Kc
and Kcb multiplied by the zone's ``kc_factor`` (1 unless approved), so the balance's ETc,
the planner's projection (the learned forecast's Kc included), the stage targets and the
quota all see the same corrected Kc. Every place that needs them asks here, so an approval
reaches all of them at once.
"""

from __future__ import annotations

import dataclasses

from controller.config.site import ZoneConfig
from models.crops import Crop
from models.soils import Layer, SoilProfile, texture

__all__ = ["configured_soil", "zone_crop", "zone_soil"]


def configured_soil(zone: ZoneConfig) -> tuple[float, float]:
    """The zone's (θfc, θwp) in m³/m³ in use now: approved values, else its texture's."""
    if zone.soil_fc_m3m3 is not None and zone.soil_wp_m3m3 is not None:
        return zone.soil_fc_m3m3, zone.soil_wp_m3m3
    t = texture(zone.soil)
    return t.theta_fc, t.theta_wp


def zone_soil(zone: ZoneConfig, depth_m: float) -> SoilProfile:
    """The zone's soil profile to ``depth_m`` (m) with :func:`configured_soil`'s values (the
    texture's saturation and readily evaporable water, REW kept below TEW, eq. 73)."""
    t = texture(zone.soil)
    if zone.soil_fc_m3m3 is None or zone.soil_wp_m3m3 is None:
        return SoilProfile.uniform(t, depth_m)
    fc, wp = zone.soil_fc_m3m3, zone.soil_wp_m3m3
    sat = min(max(t.theta_sat, fc + 0.05), 1.0)
    ze_m = 0.10
    tew_mm = 1000.0 * (fc - 0.5 * wp) * ze_m
    return SoilProfile(
        (Layer(0.0, depth_m, fc, wp, sat),), ze_m, min(t.rew_mm, REW_SHARE_MAX * tew_mm)
    )


REW_SHARE_MAX = 0.8  # of TEW: REW must stay below it (FAO-56 eq. 73, Table 19)


def zone_crop(crop: Crop, zone: ZoneConfig) -> Crop:
    """``crop`` with every Kc and Kcb multiplied by the zone's ``kc_factor`` (FAO-56 eq. 56:
    ETc = Kc · ET0 with the zone's own Kc)."""
    f = zone.kc_factor
    if f == 1.0:
        return crop
    return dataclasses.replace(
        crop,
        kc_ini=crop.kc_ini * f,
        kc_mid=crop.kc_mid * f,
        kc_end=crop.kc_end * f,
        kcb_ini=crop.kcb_ini * f,
        kcb_mid=crop.kcb_mid * f,
        kcb_end=crop.kcb_end * f,
    )
