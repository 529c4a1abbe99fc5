"""Stage-wise depletion targets: when a zone is irrigated and how far it is refilled.

Plain functions on floats (a few per zone and day: no kernel pays here). Depths in mm,
fractions of TAW.

* **Trigger** (:func:`day_target`): the crop's water-management period of the day
  (:class:`models.crops.Stage`) gives its management allowed depletion (MAD). In a *critical*
  period the trigger never passes FAO-56's p adjusted for ETc (Table 22 footnote), so
  Ks = 1 (eq. 84) and the crop is never short; elsewhere the period's MAD may exceed p: a
  managed deficit where FAO-33's yield response factor Ky is small
  (1 − Ya/Ym = Ky (1 − ETa/ETm), Doorenbos & Kassam 1979). A crop without periods keeps p.
  A floor keeps triggers above the refill target, but never lifts a critical trigger past p.
* **Refill** (:func:`refill_target`): a run refills the root zone to a target depletion, not
  to field capacity: the base target, plus room for the rain expected in the next
  :data:`RAIN_ROOM_DAYS` days (so rain is stored, not drained), and in the season's last
  period, if larger, the depletion from which the crop's remaining ETc to harvest ends the
  season at the period's MAD (the soil used, not left full). Always :data:`TRIGGER_GAP` of
  TAW below the horizon's lowest trigger (even below the base when a trigger is held to a low
  p), never below 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.crops import Stage, depletion_fraction

__all__ = [
    "RAIN_ROOM_DAYS",
    "TRIGGER_GAP",
    "DayTarget",
    "Refill",
    "day_target",
    "deficit_ks",
    "refill_target",
]

RAIN_ROOM_DAYS = 3  # days of expected rain a refill leaves room for
TRIGGER_GAP = 0.05  # the refill target stays this fraction of TAW below the lowest trigger


@dataclass(frozen=True)
class DayTarget:
    """The trigger of one day: ``mad_fraction`` of TAW, FAO-56 ``p_fraction`` beside it, the
    period (``stage`` name, ``ky``, ``critical``), and ``deficit``: the trigger lies past p."""

    mad_fraction: float
    p_fraction: float
    stage: str
    ky: float | None
    critical: bool

    @property
    def deficit(self) -> bool:
        return self.mad_fraction > self.p_fraction + 1e-9


def day_target(
    stage: Stage | None, p_table: float, etc_mm_day: float, floor_fraction: float
) -> DayTarget:
    """The day's trigger (module docstring): the period's MAD, never below ``floor_fraction``,
    but in a critical period never past p (Table 22 footnote, p = p_table + 0.04 (5 − ETc)),
    even when p lies below the floor: there Ks = 1 comes first."""
    p = depletion_fraction(p_table, etc_mm_day)
    if stage is None:
        return DayTarget(max(p, floor_fraction), p, "", None, False)
    mad = max(stage.mad, floor_fraction)
    if stage.critical:
        mad = min(mad, p)
    return DayTarget(mad, p, stage.name, stage.ky, stage.critical)


def deficit_ks(mad_fraction: float, p_fraction: float) -> float:
    """Ks when depletion reaches the trigger: (1 − MAD) / (1 − p), eq. 84 with Dr = MAD · TAW;
    1 when the trigger is not past p. FAO-33: ETa/ETm ≥ Ks, so the yield loss in the period
    is at most Ky (1 − Ks)."""
    if mad_fraction <= p_fraction:
        return 1.0
    if p_fraction >= 1.0:  # a trigger past TAW: nothing left to transpire
        return 0.0
    return min(max((1.0 - mad_fraction) / (1.0 - p_fraction), 0.0), 1.0)


@dataclass(frozen=True)
class Refill:
    """The refill target (``fraction`` of TAW) and its parts in mm: the base, the room left for
    ``rain_mm`` expected, the season-end depletion (None outside the last period) and the cap
    below the trigger."""

    fraction: float
    base_mm: float
    rain_mm: float
    season_end_mm: float | None
    cap_mm: float

    def why(self) -> str:
        """The refill in words, with its numbers (for the decision's sentence)."""
        parts = []
        if self.rain_mm > 0.05:
            parts.append(f"{self.rain_mm:.0f} mm of rain expected")
        if self.season_end_mm is not None:
            parts.append(f"season end: the crop uses the soil to {self.season_end_mm:.0f} mm")
        text = f"refill to {self.fraction:.0%} of TAW depleted"
        return text + (f" ({'; '.join(parts)})" if parts else "")


def refill_target(
    *,
    taw_mm: float,
    base_fraction: float,
    lowest_trigger_fraction: float,
    expected_rain_mm: float,
    last_period_mad: float | None = None,
    remaining_etc_mm: float = 0.0,
) -> Refill:
    """The depletion a run refills to (module docstring).

    ``expected_rain_mm``: effective rain expected over the next :data:`RAIN_ROOM_DAYS` days;
    ``last_period_mad``: the trigger of the season's last period when the plan is in it (None
    otherwise), ``remaining_etc_mm`` the crop's ETc from now to harvest. The target stays
    :data:`TRIGGER_GAP` below ``lowest_trigger_fraction`` (the lowest trigger of the horizon),
    within [0, TAW], even where that is below the base (a trigger held to a low p).
    """
    if taw_mm <= 0.0:
        return Refill(base_fraction, 0.0, 0.0, None, 0.0)
    base_mm = base_fraction * taw_mm
    cap_mm = min(max((lowest_trigger_fraction - TRIGGER_GAP) * taw_mm, 0.0), taw_mm)
    target_mm = base_mm + max(expected_rain_mm, 0.0)
    end_mm = None
    if last_period_mad is not None:
        end_mm = max(last_period_mad * taw_mm - max(remaining_etc_mm, 0.0), 0.0)
        target_mm = max(target_mm, end_mm)
    target_mm = min(target_mm, cap_mm)
    return Refill(target_mm / taw_mm, base_mm, max(expected_rain_mm, 0.0), end_mm, cap_mm)
