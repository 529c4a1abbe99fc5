"""The simulated field's *true* soil water: a layered bucket per zone, FAO-56 extraction.

This is the truth the season suite measures the controller against; its soil parameters may
differ from what the site config believes (the controller uses FAO-56 Table 19 textures).
drivers/ imports nothing from models/: the crop's daily Kc, root depth and depletion fraction
p, and the daily reference ET, are handed in as plain numbers (:class:`CropTruth`, computed by
``controller.simulation.season`` with models/).

Per zone, layers of given bottoms (m) hold volumetric water θ:

* water in (drip or rain, mm) enters the top layer; what a layer cannot hold above
  saturation passes to the next at once; what the whole column cannot hold runs off;
* drainage: water above field capacity leaves a layer for the next with time constant
  ``drain_tau_h`` (a first-order free drainage); the bottom layer's drainage is deep
  percolation;
* root-zone depletion Dr = Σ (θfc − θ) × thickness over the root depth Zr (mm, FAO-56 eq. 85
  on layers), TAW = (θfc − θwp) × Zr (eq. 82), RAW = p TAW (eq. 83), Ks = (TAW − Dr) /
  ((1 − p) TAW) clipped to [0, 1] (eq. 84);
* crop ET: ETc = Kc ET0 (eq. 56) spread over the day like the sun (half-sine 06:00–18:00),
  actual ETa = Ks ETc (eq. 80), taken from the root-zone layers in proportion to their
  water above wilting point.

Units: m for depths and thicknesses, mm for water, volumetric fractions for θ.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["CropTruth", "DayTotals", "SoilColumn", "SoilTruth", "solar_day_fraction"]

DAY_START_H, DAY_END_H = 6.0, 18.0


def solar_day_fraction(h0: float, h1: float) -> float:
    """Fraction of a day's crop ET between local hours ``h0`` ≤ ``h1`` (half-sine 06–18 h)."""

    def cum(h: float) -> float:
        h = min(max(h, DAY_START_H), DAY_END_H)
        return (1 - math.cos(math.pi * (h - DAY_START_H) / (DAY_END_H - DAY_START_H))) / 2

    return cum(h1) - cum(h0)


@dataclass(frozen=True, slots=True)
class SoilTruth:
    """The true soil of a zone: θ at field capacity, wilting point and saturation, layer
    bottoms (m, increasing) and the drainage time constant (h)."""

    theta_fc: float
    theta_wp: float
    theta_sat: float
    layer_bottoms_m: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.2)
    drain_tau_h: float = 24.0

    def __post_init__(self) -> None:
        if not 0 < self.theta_wp < self.theta_fc < self.theta_sat < 1:
            raise ValueError(
                f"soil: need 0 < theta_wp < theta_fc < theta_sat < 1, got {self.theta_wp}, "
                f"{self.theta_fc}, {self.theta_sat}"
            )
        b = self.layer_bottoms_m
        if not b or b[0] <= 0 or any(x >= y for x, y in itertools.pairwise(b)):
            raise ValueError(f"soil.layer_bottoms_m: must be positive and increasing, got {b}")
        if not self.drain_tau_h > 0:
            raise ValueError(f"soil.drain_tau_h: must be positive, got {self.drain_tau_h}")


@dataclass(frozen=True, slots=True)
class CropTruth:
    """A zone's crop as plain daily numbers from planting: Kc (mulch included), root depth (m)
    and depletion fraction p, index = days after planting (the last value holds after)."""

    planting: dt.date
    kc: tuple[float, ...]
    root_depth_m: tuple[float, ...]
    p: tuple[float, ...]
    critical: tuple[bool, ...] = ()

    def _at(self, values: Sequence[float], date: dt.date) -> float:
        dap = (date - self.planting).days
        return float(values[min(max(dap, 0), len(values) - 1)])

    def kc_on(self, date: dt.date) -> float:
        return 0.0 if date < self.planting else self._at(self.kc, date)

    def zr_on(self, date: dt.date) -> float:
        return self._at(self.root_depth_m, date)

    def p_on(self, date: dt.date) -> float:
        return self._at(self.p, date)

    def is_critical(self, date: dt.date) -> bool:
        dap = (date - self.planting).days
        return 0 <= dap < len(self.critical) and self.critical[dap]


@dataclass(slots=True)
class DayTotals:
    """One zone-day of the truth (mm unless named): what went in, out, and the stress."""

    date: dt.date
    irrigation_mm: float = 0.0
    rain_mm: float = 0.0
    etc_mm: float = 0.0
    eta_mm: float = 0.0
    drainage_mm: float = 0.0
    runoff_mm: float = 0.0
    ks_min: float = 1.0
    dr_end_mm: float = 0.0
    taw_mm: float = 0.0
    raw_mm: float = 0.0

    @property
    def stressed(self) -> bool:
        """The day's actual ET fell short of its unstressed ETc by more than 1 % (Ks < 1)."""
        return self.etc_mm > 0 and self.eta_mm < 0.99 * self.etc_mm


@dataclass
class SoilColumn:
    """One zone's layered soil; start at ``initial_fraction`` of the way from θwp to θfc."""

    soil: SoilTruth
    initial_fraction: float = 1.0
    theta: list[float] = field(init=False)
    thickness_m: list[float] = field(init=False)

    def __post_init__(self) -> None:
        s = self.soil
        tops = (0.0, *s.layer_bottoms_m[:-1])
        self.thickness_m = [b - t for t, b in zip(tops, s.layer_bottoms_m, strict=True)]
        start = s.theta_wp + self.initial_fraction * (s.theta_fc - s.theta_wp)
        self.theta = [start] * len(self.thickness_m)

    @property
    def depth_m(self) -> float:
        return self.soil.layer_bottoms_m[-1]

    def theta_at(self, depth_m: float) -> float:
        """θ of the layer holding ``depth_m``."""
        for i, bottom in enumerate(self.soil.layer_bottoms_m):
            if depth_m <= bottom:
                return self.theta[i]
        return self.theta[-1]

    def _root_share(self, zr_m: float) -> list[float]:
        """Fraction of each layer inside the root zone [0, Zr]."""
        out, top = [], 0.0
        for th in self.thickness_m:
            out.append(min(max((zr_m - top) / th, 0.0), 1.0))
            top += th
        return out

    def taw_mm(self, zr_m: float) -> float:
        """TAW = 1000 (θfc − θwp) Zr, mm (FAO-56 eq. 82)."""
        return 1000.0 * (self.soil.theta_fc - self.soil.theta_wp) * min(zr_m, self.depth_m)

    def dr_mm(self, zr_m: float) -> float:
        """Root-zone depletion below field capacity, mm (≥ 0; wetter than θfc counts as 0)."""
        fc = self.soil.theta_fc
        dr = sum(
            (fc - th) * t * share * 1000.0
            for th, t, share in zip(
                self.theta, self.thickness_m, self._root_share(zr_m), strict=True
            )
        )
        return max(dr, 0.0)

    def ks(self, zr_m: float, p: float) -> float:
        """Ks = (TAW − Dr) / ((1 − p) TAW), in [0, 1] (FAO-56 eq. 84)."""
        taw = self.taw_mm(zr_m)
        if taw <= 0:
            return 1.0
        return min(max((taw - self.dr_mm(zr_m)) / ((1 - p) * taw), 0.0), 1.0)

    def add_water(self, mm: float) -> float:
        """Water into the top layer, overflow above saturation downwards; returns runoff, mm."""
        sat = self.soil.theta_sat
        left = mm
        for i, t in enumerate(self.thickness_m):
            room = (sat - self.theta[i]) * t * 1000.0
            take = min(room, left)
            self.theta[i] += take / (t * 1000.0)
            left -= take
            if left <= 0:
                return 0.0
        return left

    def drain(self, dt_s: float) -> float:
        """Free drainage above field capacity layer to layer over ``dt_s``; returns deep
        percolation out of the bottom, mm."""
        fc = self.soil.theta_fc
        k = 1 - math.exp(-dt_s / (self.soil.drain_tau_h * 3600.0))
        carry = 0.0
        for i, t in enumerate(self.thickness_m):
            self.theta[i] += carry / (t * 1000.0)
            excess = max(self.theta[i] - fc, 0.0) * t * 1000.0
            carry = excess * k
            self.theta[i] -= carry / (t * 1000.0)
        return carry

    def extract(self, demand_mm: float, zr_m: float, p: float) -> float:
        """Take ETa = Ks × demand from the root zone (layers by water above θwp); returns ETa."""
        if demand_mm <= 0:
            return 0.0
        eta = self.ks(zr_m, p) * demand_mm
        wp = self.soil.theta_wp
        avail = [
            max(th - wp, 0.0) * t * share * 1000.0
            for th, t, share in zip(
                self.theta, self.thickness_m, self._root_share(zr_m), strict=True
            )
        ]
        total = sum(avail)
        if total <= 0:
            return 0.0
        eta = min(eta, total)
        for i, a in enumerate(avail):
            self.theta[i] -= eta * a / total / (self.thickness_m[i] * 1000.0)
        return eta


def step_zone(
    column: SoilColumn,
    crop: CropTruth,
    totals: DayTotals,
    *,
    et0_day_mm: float,
    h0: float,
    h1: float,
    water_mm: float,
    rain_mm: float,
) -> None:
    """Advance one zone over local hours [h0, h1) of ``totals.date``, adding to its totals."""
    date = totals.date
    zr, p = crop.zr_on(date), crop.p_on(date)
    runoff = column.add_water(water_mm + rain_mm)
    demand = crop.kc_on(date) * et0_day_mm * solar_day_fraction(h0, h1)  # eq. 56, mm
    if demand > 0:
        totals.ks_min = min(totals.ks_min, column.ks(zr, p))
    eta = column.extract(demand, zr, p)  # eq. 80
    dp = column.drain((h1 - h0) * 3600.0)
    totals.irrigation_mm += water_mm
    totals.rain_mm += rain_mm
    totals.runoff_mm += runoff
    totals.etc_mm += demand
    totals.eta_mm += eta
    totals.drainage_mm += dp
    totals.dr_end_mm = column.dr_mm(zr)
    totals.taw_mm = column.taw_mm(zr)
    totals.raw_mm = p * totals.taw_mm
