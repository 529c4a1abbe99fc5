"""Seasonal water quota (水权): pace the season against a zone's allotment for the year, and
when it binds, place the deficit where yield loses least.

Plain functions on floats (a few periods per zone and plan). Depths in mm over the zone,
volumes in m³, triggers as fractions of TAW.

* **Need to harvest** (:func:`need_to_harvest`): for each remaining water-management period
  the crop's ETa = ETm · (ETa/ETm)(MAD) (:func:`eta_ratio`, ETm = ETc = Kc · ET0, FAO-56
  eq. 56), less the rain expected in it (climatology, never more than its ETa), less the water
  the soil may still give (down to the last period's trigger); gross = net / efficiency;
  m³ = mm · area / 1000.
* **Pace** (:func:`pace`): projected season total = used so far (the run ledger) + the need to
  harvest; over when it exceeds the quota.
* **Deficit placement** (:func:`place_deficit`): raise the trigger of the non-critical periods,
  the one of smallest FAO-33 Ky first, never in a critical period and never past
  :data:`MAX_DEFICIT_MAD` of TAW, until the need fits what remains of the quota. A trigger past
  p lowers ETa (Ks < 1, FAO-56 eq. 84), and FAO-33 (Doorenbos & Kassam 1979) prices it:
  1 − Ya/Ym = Ky (1 − ETa/ETm). Periods multiply (Ya/Ym = Π (1 − Ky_i (1 − ETa_i/ETm_i)),
  the stage-wise form of Rao et al. 1988), so water taken where Ky is small costs least.
  When even that does not fit, the placement says by how much and which critical periods
  the quota would leave short.
* **Trim** (:func:`trim_volumes`): planned runs cut so the zone never exceeds its quota.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from models.planner.errors import PlannerInputError

__all__ = [
    "MAD_STEP",
    "MAX_DEFICIT_MAD",
    "Pace",
    "Period",
    "Placement",
    "eta_ratio",
    "need_to_harvest",
    "pace",
    "place_deficit",
    "quota_year",
    "relative_yield",
    "trim_volumes",
]

MAX_DEFICIT_MAD = 0.75  # no trigger is raised past this fraction of TAW
MAD_STEP = 0.01  # triggers are raised in steps of this fraction of TAW


@dataclass(frozen=True)
class Period:
    """A water-management period still ahead: its name, FAO-33 ``ky`` (None: the crop has no
    periods), ``critical`` (no deficit), its trigger ``mad`` and FAO-56 ``p`` (fractions of
    TAW), the crop's ETm still to come in it (``etm_mm``) and the rain expected in it."""

    name: str
    ky: float | None
    critical: bool
    mad: float
    p: float
    etm_mm: float
    rain_mm: float

    @property
    def movable(self) -> bool:
        """A deficit may be placed here: not critical and with a Ky to price it."""
        return not self.critical and self.ky is not None


def eta_ratio(mad: float, p: float, refill: float) -> float:
    """ETa/ETm over one drying cycle from the refill depletion ``refill`` to the trigger
    ``mad`` (fractions of TAW), with Ks = 1 up to p and Ks = (1 − Dr)/(1 − p) past it (FAO-56
    eq. 84). The soil gives (mad − refill) · TAW while the crop would have used
    ETm · t; with dDr/dt = Ks · ETc, t = TAW ∫ dDr / (Ks · ETc), so

        ETa/ETm = (mad − r) / [(p − r) + (1 − p) ln((1 − p)/(1 − mad))]   (mad > p ≥ r),

    and 1 when the trigger is not past p."""
    if mad <= p + 1e-12:
        return 1.0
    r = min(refill, p)
    if mad >= 1.0:
        return 0.0
    return (mad - r) / ((p - r) + (1.0 - p) * math.log((1.0 - p) / (1.0 - mad)))


def _net_mm(periods: Sequence[Period], refill: float, soil_mm: float) -> float:
    """Net irrigation need (mm): Σ max(ETa_i − rain_i, 0) − the soil's water still usable."""
    net = sum(max(pr.etm_mm * eta_ratio(pr.mad, pr.p, refill) - pr.rain_mm, 0.0) for pr in periods)
    return max(net - max(soil_mm, 0.0), 0.0)


def need_to_harvest(
    periods: Sequence[Period],
    *,
    refill: float,
    soil_mm: float,
    efficiency: float,
    area_m2: float,
) -> float:
    """Gross water (m³) the zone needs from now to harvest with the periods' triggers (module
    docstring): net mm / efficiency · area / 1000."""
    if not 0.0 < efficiency <= 1.0:
        raise PlannerInputError("efficiency", f"{efficiency} outside (0, 1]")
    return _net_mm(periods, refill, soil_mm) / efficiency * area_m2 / 1000.0


def relative_yield(periods: Sequence[Period], refill: float) -> float:
    """Expected Ya/Ym of the periods ahead (FAO-33, multiplied over periods):
    Π (1 − Ky_i (1 − ETa_i/ETm_i)); a period without Ky counts as no loss."""
    y = 1.0
    for pr in periods:
        if pr.ky is not None and pr.etm_mm > 0.0:
            y *= max(1.0 - pr.ky * (1.0 - eta_ratio(pr.mad, pr.p, refill)), 0.0)
    return y


@dataclass(frozen=True)
class Pace:
    """The season against the quota, m³: ``used`` so far, the ``need`` to harvest, the
    ``projected`` total and how far it is ``over`` the quota (0 when within)."""

    quota_m3: float
    used_m3: float
    need_m3: float

    @property
    def projected_m3(self) -> float:
        return self.used_m3 + self.need_m3

    @property
    def remaining_m3(self) -> float:
        return max(self.quota_m3 - self.used_m3, 0.0)

    @property
    def over_m3(self) -> float:
        return max(self.projected_m3 - self.quota_m3, 0.0)


def pace(quota_m3: float, used_m3: float, need_m3: float) -> Pace:
    """The pace of the season (:class:`Pace`)."""
    if quota_m3 <= 0.0 or not math.isfinite(quota_m3):
        raise PlannerInputError("quota_m3", f"{quota_m3} is not a positive volume")
    return Pace(quota_m3, max(used_m3, 0.0), max(need_m3, 0.0))


@dataclass(frozen=True)
class Placement:
    """Where the deficit went: ``periods`` with their triggers raised (``raised``: name → (MAD
    before, MAD after), in the order raised), the need before and after (m³), whether it
    ``fits`` what remains, the m³ ``short`` when not and the critical periods the quota would
    leave short (``critical_short``), and the expected Ya/Ym before and after (FAO-33)."""

    periods: tuple[Period, ...]
    raised: tuple[tuple[str, float, float], ...]
    need_before_m3: float
    need_after_m3: float
    available_m3: float
    fits: bool
    short_m3: float
    critical_short: tuple[str, ...]
    yield_before: float
    yield_after: float

    def mad_of(self, name: str) -> float | None:
        """The trigger of period ``name`` after the placement (None: not ahead)."""
        return next((pr.mad for pr in self.periods if pr.name == name), None)


def place_deficit(
    periods: Sequence[Period],
    *,
    available_m3: float,
    refill: float,
    soil_mm: float,
    efficiency: float,
    area_m2: float,
    bound: float = MAX_DEFICIT_MAD,
) -> Placement:
    """Raise non-critical triggers, smallest Ky first (ties: the later period first, the one
    a wrong forecast leaves time to correct), in :data:`MAD_STEP` steps up to ``bound``, until
    :func:`need_to_harvest` ≤ ``available_m3`` (module docstring). A critical period is never
    touched; a trigger already past ``bound`` is kept."""

    def need(prs: Sequence[Period]) -> float:
        return need_to_harvest(
            prs, refill=refill, soil_mm=soil_mm, efficiency=efficiency, area_m2=area_m2
        )

    current = list(periods)
    before = need(current)
    raised: list[tuple[str, float, float]] = []
    order = sorted(
        (i for i, pr in enumerate(current) if pr.movable and pr.mad < bound),
        key=lambda i: (current[i].ky, -i),
    )
    available = max(available_m3, 0.0)
    for i in order:
        if need(current) <= available + 1e-9:
            break
        start = current[i].mad
        steps = max(math.ceil((bound - start) / MAD_STEP - 1e-9), 0)
        for k in range(1, steps + 1):
            current[i] = replace(current[i], mad=min(start + k * MAD_STEP, bound))
            if need(current) <= available + 1e-9:
                break
        raised.append((current[i].name, start, current[i].mad))
    after = need(current)
    fits = after <= available + 1e-9
    return Placement(
        periods=tuple(current),
        raised=tuple(raised),
        need_before_m3=before,
        need_after_m3=after,
        available_m3=available,
        fits=fits,
        short_m3=0.0 if fits else after - available,
        critical_short=() if fits else _critical_short(current, available, need),
        yield_before=relative_yield(periods, refill),
        yield_after=relative_yield(current, refill),
    )


def _critical_short(
    periods: list[Period], available_m3: float, need: Callable[[Sequence[Period]], float]
) -> tuple[str, ...]:
    """The critical periods at or after the one in which the cumulative need (in time order)
    passes what is available: the water runs out before or during them."""
    names: list[str] = []
    for k, pr in enumerate(periods):
        if need(periods[: k + 1]) > available_m3 + 1e-9 and pr.critical:
            names.append(pr.name)
    return tuple(names)


def trim_volumes(volumes_m3: Sequence[float], remaining_m3: float) -> list[float]:
    """The planned runs' volumes (in order) cut so their sum never exceeds ``remaining_m3``:
    each run keeps what fits after those before it, the rest become 0."""
    left = max(remaining_m3, 0.0)
    out = []
    for v in volumes_m3:
        take = min(max(v, 0.0), left)
        out.append(take)
        left -= take
    return out


def quota_year(today: dt.date, start_mmdd: str) -> tuple[dt.date, dt.date]:
    """The quota year holding ``today``: its first day and the first day of the next, for a
    year starting on ``start_mmdd`` ("MM-DD", a day every year has)."""
    month, day = int(start_mmdd[:2]), int(start_mmdd[3:])
    start = dt.date(today.year, month, day)
    if start > today:
        start = dt.date(today.year - 1, month, day)
    return start, dt.date(start.year + 1, month, day)
