"""The crop's Kcb and Kc set by a camera's canopy cover: one rule for the balance and the plan.

The daily balance (:meth:`controller.agronomy.jobs.Agronomy.balance_day`) and the planner's
projection of the horizon (:mod:`controller.agronomy.planning`) both take the day's crop from
:func:`cover_step`, so that they agree on a day's ETc:

* FAO-56 eq. 97 gives Kcb from the ground cover fc and the crop height h (Kcb full the crop's
  Kcb mid, Kc min its Kcb ini, at most 0.5); the single Kc moves with it, its evaporation share
  (Kc − Kcb, FAO-56 eq. 69) kept from the calendar.
* In the late stage (:data:`SENESCING_STAGE`) the cover's Kcb is at most the calendar's: a
  senescing canopy stays green over much of the ground (eq. 98's Kd near 1 for a tall crop)
  while its ageing leaves transpire less, which the calendar's decline to Kcb end (eq. 66)
  says and the cover cannot.

For the days ahead (:func:`projected_kc`) the latest measured cover is held: each horizon day
takes eq. 97 with that cover and the day's own calendar height and stage. That is what the
balance itself does on those days until a newer photo comes (a photo sets Kcb for
``COVER_MAX_AGE`` after it was taken), so plan and balance agree on day + 1. Holding the cover
rather than the ratio of the cover's Kcb to the calendar's keeps the projection on what was
measured: in development the cover grows, so the held cover slightly underestimates the
coming days' Kcb (eq. 97's h still rises with the calendar), and the next photo corrects it;
a ratio would instead carry the calendar's growth rate, which for a crop behind its calendar
is the error the camera is there to remove.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from models.crops import Crop, kc_on_day, kcb_from_cover
from models.crops.phenology import fao_stage
from models.errors import ModelInputError
from models.waterbalance import CropStep

__all__ = ["COVER_STAGES", "SENESCING_STAGE", "CoverKcb", "cover_step", "projected_kc"]

#: The FAO-56 stages in which the cover sets Kcb (eq. 97): all of them (late: see the module).
COVER_STAGES = ("initial", "development", "mid", "late")
#: The stage in which the cover can only lower the calendar's Kcb.
SENESCING_STAGE = "late"


@dataclass(frozen=True)
class CoverKcb:
    """The day's crop after the cover rule: ``step`` (Kcb and unmulched Kc), whether the
    cover set its Kcb (``used``), and why the calendar's was kept ("" when used)."""

    step: CropStep
    used: bool
    kept_because: str = ""


def cover_step(step: CropStep, stage: str, cover: float, kcb_full: float) -> CoverKcb:
    """``step`` (the calendar's crop on a day in FAO-56 ``stage``) with Kcb from the canopy
    ``cover`` (fraction 0..1, clamped) by FAO-56 eq. 97, Kcb full ``kcb_full`` (the crop's
    Kcb mid, never below its Kcb ini) and Kc min its Kcb ini (at most 0.5); Kc (unmulched)
    moves with Kcb, Kc − Kcb kept (eq. 69), never below Kcb. The calendar's ``step`` stays
    outside :data:`COVER_STAGES`, for a crop eq. 97 cannot take, and in the
    :data:`SENESCING_STAGE` when the cover's Kcb is above the calendar's."""
    if stage not in COVER_STAGES:
        return CoverKcb(step, used=False)
    fc = min(max(cover, 0.0), 1.0)
    try:
        kcb = kcb_from_cover(
            fc,
            step.height_m,
            kcb_full_value=max(kcb_full, step.kcb_min),
            kc_min=min(step.kcb_min, 0.5),
        )
    except ModelInputError as exc:  # a crop the equation cannot take: the calendar stays
        return CoverKcb(step, used=False, kept_because=f"canopy cover {fc:.2f} not used: {exc}")
    if stage == SENESCING_STAGE and kcb > step.kcb:
        return CoverKcb(
            step,
            used=False,
            kept_because=(
                f"canopy cover {fc:.2f}: Kcb {kcb:.2f} by FAO-56 eq. 97, above the "
                f"calendar's {step.kcb:.2f} in the late stage: the calendar's kept"
            ),
        )
    changed = dataclasses.replace(step, kcb=kcb, kc=max(step.kc - step.kcb + kcb, kcb))
    return CoverKcb(changed, used=True)


def projected_kc(crop: Crop, crop_day: float, days: int, cover: float | None) -> tuple[float, ...]:
    """The single Kc (mulched, FAO-56 ch. 9) of each of ``days`` days from crop-calendar day
    ``crop_day`` (one crop day a day), with the latest camera ``cover`` (0..1) held over them
    by :func:`cover_step` (the module docstring); without a cover, the calendar's Kc
    (eq. 66). The cold stress rule of the balance
    (:meth:`controller.agronomy.jobs.Agronomy.balance_day`) is not applied ahead: it needs a
    day's Tmax and Tmin, and the forecast carries no Tmax."""
    if cover is None:
        return tuple(kc_on_day(crop, crop_day + d, mulched=True) for d in range(days))
    kc: list[float] = []
    for d in range(days):
        day = crop_day + d
        step = cover_step(CropStep.on_day(crop, day), fao_stage(crop, day)[0], cover, crop.kcb_mid)
        kc.append(step.step.kc * crop.mulch_factor)
    return tuple(kc)
