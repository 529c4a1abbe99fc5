"""The trigger while the canopy is known to expand: held at the floor, so that less water in
development does not cost canopy growth.

Maize slows its canopy expansion long before its stomata close: AquaCrop's maize (Steduto,
Hsiao, Raes & Fereres 2009, Agron. J. 101: 426-437; the crop file's p upper for expansion)
from 14 % depletion of the root zone's TAW, stopping at 72 %. The crop's staged triggers
(0.45 in establishment, 0.40 in the vegetative period, fraction of TAW) let the root zone dry
past that while the canopy grows. On the calendar alone the daemon does not know the canopy is
growing now (a late crop's calendar runs ahead of it; a calendar that overestimates ETc keeps
the soil wetter than it plans). When monitoring says it is, the trigger of each horizon day is
no higher than :data:`EXPANSION_TRIGGER` (the planner's floor, 20 % of TAW; the refill target
is 15 %):

* an observed stage (the crop clock's source ``observation``) with the crop in its FAO-56
  development stage (after ~10 % cover, before effective full cover; in the initial stage a
  trigger this tight, measured on the late crop, left the true root zone drier, not wetter);
* a camera's cover within :data:`EXPANDING_COVER`, FAO-56's development stage by its own
  definition (ch. 6, Fig. 22: from about 10 % ground cover to effective full cover, 70-80 %
  for row crops), while the crop clock is not in the late stage (a senescing canopy's cover
  falls through the same range).
"""

from __future__ import annotations

from collections.abc import Sequence

from controller.agronomy.cropstate import CropState
from controller.agronomy.targets import TRIGGER_FLOOR

__all__ = ["EXPANDING_COVER", "EXPANSION_TRIGGER", "expanding_canopy", "expansion_note"]

EXPANSION_TRIGGER = TRIGGER_FLOOR  # fraction of TAW
#: FAO-56's development stage in ground cover: ~10 % to effective full cover (~80 %).
EXPANDING_COVER = (0.10, 0.80)
_GROWING_STAGES = ("development",)


def expanding_canopy(crop: CropState, cover: float | None) -> str | None:
    """Why monitoring says the zone's canopy is expanding (the module docstring's rules), or
    None. ``cover``: the camera's latest canopy cover (0..1), None without one."""
    if crop.source == "observation" and crop.stage in _GROWING_STAGES:
        seen = f"{crop.anchor} observed on {crop.anchor_date}"
        return f"canopy expanding ({seen}, FAO-56 {crop.stage})"
    low, full = EXPANDING_COVER
    if cover is not None and low <= cover < full and crop.stage != "late":
        return f"canopy expanding (camera cover {cover:.2f}, {low:.0%} to {full:.0%})"
    return None


def expansion_note(why: str | None, before: Sequence[float], held: Sequence[float]) -> str:
    """The decision's note when ``why`` (from :func:`expanding_canopy`) lowered a trigger
    (fractions of TAW, ``before`` and ``held`` per horizon day); else ""."""
    if why is None or tuple(before) == tuple(held):
        return ""
    return (
        f"{why}: trigger held at {EXPANSION_TRIGGER:.0%} of TAW (was {max(before):.0%}; "
        "maize slows canopy growth from 14 % depletion)"
    )
