"""The pH of an alkaline irrigation water as strong acid is dosed into it.

A closed carbonate system at 25 °C (a pressurised pipe: no CO2 leaves the water), the
textbook model of Stumm & Morgan, *Aquatic Chemistry* (3rd ed., 1996), ch. 4:

* fractions of total carbonate ``C_T`` (eq. 4.9–4.11): with ``h = [H+]``,
  ``α1 = K1·h / (h² + K1·h + K1·K2)``, ``α2 = K1·K2 / (h² + K1·h + K1·K2)``;
* alkalinity (eq. 4.31): ``Alk = C_T·(α1 + 2·α2) + Kw/h − h`` (eq/L);
* a strong acid of ``a`` eq/L lowers the alkalinity by ``a`` and leaves ``C_T`` alone, so
  the dosed water's pH is the root of ``Alk(h) = Alk0 − a``, found by bisection on pH
  (``Alk`` rises monotonically with pH).

``K1 = 10^-6.35``, ``K2 = 10^-10.33``, ``Kw = 10^-14`` (25 °C). The water is given by its
pH and alkalinity; Hexi corridor groundwater (pH ~8, 3–5 meq/L bicarbonate) is the case
this was drawn for. Nitric acid 60 % w/w (1.37 kg/L, 63.01 g/mol) is 13.0 eq/L.
Assumptions: ionic strength and temperature are ignored (activities = concentrations);
fertilizer stocks do not change the pH.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["NITRIC_60_EQ_L", "AlkalineWater"]

PK1 = 6.35  # H2CO3* ⇌ HCO3- (25 °C)
PK2 = 10.33  # HCO3- ⇌ CO3-- (25 °C)
KW = 1e-14
NITRIC_60_EQ_L = 0.60 * 1.37 * 1000 / 63.01  # eq of H+ per L of 60 % nitric acid (13.0)


def _alkalinity_eq_l(ph: float, ct_mol_l: float) -> float:
    """Alkalinity (eq/L) of a water of total carbonate ``ct_mol_l`` at ``ph`` (eq. 4.31)."""
    h = 10.0**-ph
    k1, k2 = 10.0**-PK1, 10.0**-PK2
    d = h * h + k1 * h + k1 * k2
    alpha1, alpha2 = k1 * h / d, k1 * k2 / d
    return ct_mol_l * (alpha1 + 2 * alpha2) + KW / h - h


@dataclass(frozen=True, slots=True)
class AlkalineWater:
    """A source water: its pH and its alkalinity in meq/L."""

    ph: float = 8.0
    alkalinity_meq_l: float = 3.5

    @property
    def ct_mol_l(self) -> float:
        """Total carbonate (mol/L) that gives this pH and alkalinity."""
        alk = self.alkalinity_meq_l / 1000
        h = 10.0**-self.ph
        k1, k2 = 10.0**-PK1, 10.0**-PK2
        d = h * h + k1 * h + k1 * k2
        return (alk - KW / h + h) / (k1 * h / d + 2 * k1 * k2 / d)

    def ph_after(self, acid_eq_l: float) -> float:
        """pH after ``acid_eq_l`` eq/L of strong acid (negative is not allowed)."""
        if acid_eq_l < 0 or not math.isfinite(acid_eq_l):
            raise ValueError(f"acid {acid_eq_l!r} eq/L: must be finite and ≥ 0")
        target = self.alkalinity_meq_l / 1000 - acid_eq_l
        ct = self.ct_mol_l
        lo, hi = 0.0, 14.0
        for _ in range(60):  # 14 / 2^60: far below any probe's resolution
            mid = (lo + hi) / 2
            if _alkalinity_eq_l(mid, ct) < target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2
