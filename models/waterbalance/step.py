"""One zone, one step: the FAO-56 root-zone water balance in plain Python (the reference).

The daemon calls :func:`advance` once per zone per day (or hour); the numba kernel in
``kernel.py`` advances many zones over many steps and is held equal to this by tests.

Order within a step follows FAO-56 (and pyfao56 ``Model._advance``): crop state, evaporation
(ch. 7), then the root zone (ch. 8) with Ks from the depletion at the start of the step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from models.crops import Crop, height_m, kc_on_day, root_depth_m
from models.soils import SoilProfile
from models.waterbalance import equations as eq
from models.waterbalance.errors import WaterBalanceInputError

__all__ = ["CropStep", "StepInputs", "StepResult", "ZoneSetup", "ZoneState", "advance"]

Method = Literal["dual", "single"]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise WaterBalanceInputError(message)


def _finite_at_least(name: str, value: float, low: float) -> None:
    _require(math.isfinite(value) and value >= low, f"{name}: {value} must be finite and ≥ {low}")


@dataclass(frozen=True)
class ZoneSetup:
    """What does not change from step to step in a zone.

    ``method``: "dual" (Kcb + Ke, FAO-56 ch. 7) or "single" (Kc, ch. 6).
    ``efficiency``: application efficiency, net irrigation = gross × efficiency; the rest is
    lost (drift, evaporation from the system, runoff at the emitters) and never enters the soil.
    ``fw_irrigation``: fraction of the surface the zone's irrigation system wets (Table 20: drip
    0.3-0.4, sprinkler 1.0).
    Effective rain (see ``equations.rain_partition``): rain above ``runoff_threshold_mm`` in one
    step runs off; ``effective_rain_fraction`` of the rest infiltrates, the remainder runs off.
    Defaults (all rain effective, no threshold) are those of pyfao56 without its curve number.
    ``subsoil_depletion_fraction``: depletion, as a fraction of its TAW, of the soil below the
    roots, which enters the root zone as the roots grow (0: at field capacity, FAO-56's
    tacit assumption; the sowing-day state when the spring soil was not refilled).
    """

    soil: SoilProfile
    method: Method = "dual"
    efficiency: float = 1.0
    fw_irrigation: float = 1.0
    effective_rain_fraction: float = 1.0
    runoff_threshold_mm: float = math.inf
    subsoil_depletion_fraction: float = 0.0

    def __post_init__(self) -> None:
        _require(self.method in ("dual", "single"), f"method: {self.method!r} not dual/single")
        _require(0.0 < self.efficiency <= 1.0, f"efficiency: {self.efficiency} not in (0, 1]")
        _require(
            0.0 < self.fw_irrigation <= 1.0, f"fw_irrigation: {self.fw_irrigation} not in (0, 1]"
        )
        _require(
            0.0 <= self.effective_rain_fraction <= 1.0,
            f"effective_rain_fraction: {self.effective_rain_fraction} not in [0, 1]",
        )
        _require(
            self.runoff_threshold_mm >= 0.0, f"runoff_threshold_mm: {self.runoff_threshold_mm} < 0"
        )
        _require(
            0.0 <= self.subsoil_depletion_fraction <= 1.0,
            f"subsoil_depletion_fraction: {self.subsoil_depletion_fraction} not in [0, 1]",
        )

    @property
    def tew_mm(self) -> float:
        """Total evaporable water of the zone's soil, mm (eq. 73)."""
        return self.soil.tew_mm()


@dataclass(frozen=True)
class CropStep:
    """The crop on this step: Kcb and Kc (unmulched), root depth Zr (m), height h (m),
    Kcb of bare soil for eq. 76 (Kc min), p at ETc 5 mm/d and the mulch factor on evaporation."""

    kcb: float
    kc: float
    root_depth_m: float
    height_m: float
    kcb_min: float
    p_table: float
    mulch_factor: float = 1.0

    @classmethod
    def on_day(cls, crop: Crop, dap: float) -> CropStep:
        """Crop values ``dap`` days after planting (fractional for sub-daily steps)."""
        return cls(
            kcb=kc_on_day(crop, dap, basal=True),
            kc=kc_on_day(crop, dap),
            root_depth_m=root_depth_m(crop, dap),
            height_m=height_m(crop, dap),
            kcb_min=crop.kcb_ini,
            p_table=crop.p,
            mulch_factor=crop.mulch_factor,
        )


@dataclass(frozen=True)
class StepInputs:
    """Weather and water of one step (depths in mm over the step).

    ``et_ref_day_mm``: the day's reference ET for the p adjustment (Table 22 is per day);
    None for daily steps, where it equals ``et_ref_mm``. ``irrigation_fw`` overrides the zone's
    fw for this event (pyfao56 irrigation files carry fw per event).
    """

    et_ref_mm: float
    rain_mm: float = 0.0
    irrigation_gross_mm: float = 0.0
    u2_m_s: float = 2.0
    rhmin_pct: float = 45.0
    et_ref_day_mm: float | None = None
    irrigation_fw: float | None = None

    def __post_init__(self) -> None:
        _finite_at_least("et_ref_mm", self.et_ref_mm, 0.0)
        _finite_at_least("rain_mm", self.rain_mm, 0.0)
        _finite_at_least("irrigation_gross_mm", self.irrigation_gross_mm, 0.0)
        _finite_at_least("u2_m_s", self.u2_m_s, 0.0)
        _finite_at_least("rhmin_pct", self.rhmin_pct, 0.0)
        if self.et_ref_day_mm is not None:
            _finite_at_least("et_ref_day_mm", self.et_ref_day_mm, 0.0)
        if self.irrigation_fw is not None:
            _require(
                0.0 < self.irrigation_fw <= 1.0,
                f"irrigation_fw: {self.irrigation_fw} not in (0, 1]",
            )


@dataclass(frozen=True)
class ZoneState:
    """Water state of a zone at the end of a step.

    ``dr_mm``: root-zone depletion below field capacity; ``de_mm``: evaporation-layer depletion;
    ``fw``: fraction wetted by the last wetting; ``taw_mm``: TAW of the root zone Dr refers to.
    """

    dr_mm: float
    de_mm: float
    fw: float
    taw_mm: float

    def __post_init__(self) -> None:
        _require(
            self.taw_mm > 0.0 and math.isfinite(self.taw_mm), f"taw_mm: {self.taw_mm} must be > 0"
        )
        _require(
            0.0 <= self.dr_mm <= self.taw_mm + 1e-9,
            f"dr_mm: {self.dr_mm} not in [0, TAW {self.taw_mm}]",
        )
        _require(self.de_mm >= 0.0 and math.isfinite(self.de_mm), f"de_mm: {self.de_mm} < 0")
        _require(0.0 < self.fw <= 1.0, f"fw: {self.fw} not in (0, 1]")

    @classmethod
    def at_planting(
        cls, setup: ZoneSetup, root_depth_m: float, theta0: float | None = None
    ) -> ZoneState:
        """Initial state: root zone at a uniform water content ``theta0`` (m³/m³; None = field
        capacity), Dr = 1000 (θfc − θ0) Zr (eq. 87), evaporation layer dry (De = TEW, FAO-56
        p. 153 after a dry spell) and fw = 1."""
        taw = setup.soil.taw_mm(root_depth_m)
        if theta0 is None:
            dr = 0.0
        else:
            dr = setup.soil.field_capacity_mm(0.0, root_depth_m) - 1000.0 * theta0 * root_depth_m
            dr = min(max(dr, 0.0), taw)
        return cls(dr_mm=dr, de_mm=setup.tew_mm, fw=1.0, taw_mm=taw)


@dataclass(frozen=True)
class StepResult:
    """Everything computed in a step (depths in mm over the step), for storing and explaining.

    The balance closes: rain + irrigation_gross − runoff − irrigation_loss − ETa − DP
    + root_zone_change = (TAW − Dr)_end − (TAW − Dr)_start, where ``root_zone_change_mm`` is the
    available water that entered the root zone as roots grew (new soil at field capacity).
    With the single method ``ke`` and ``evaporation_mm`` are 0 and ETa is all counted as
    transpiration (single Kc does not separate them).
    """

    state: ZoneState
    kcb: float
    ke: float
    kc: float
    kcmax: float
    fc: float
    few: float
    kr: float
    ks: float
    p: float
    taw_mm: float
    raw_mm: float
    etc_mm: float
    eta_mm: float
    evaporation_mm: float
    transpiration_mm: float
    dp_mm: float
    dpe_mm: float
    rain_effective_mm: float
    runoff_mm: float
    irrigation_net_mm: float
    irrigation_loss_mm: float
    root_zone_change_mm: float


@dataclass(frozen=True)
class _Evaporation:
    kcmax: float
    fc: float
    fw: float
    few: float
    kr: float
    ke: float


def _evaporation(
    state: ZoneState, setup: ZoneSetup, crop: CropStep, day: StepInputs
) -> _Evaporation:
    """Soil evaporation coefficient and its inputs (FAO-56 ch. 7, eq. 71-76)."""
    kcmax = eq.kc_max(crop.kcb, eq.climate_term(day.u2_m_s, day.rhmin_pct), crop.height_m)
    fc = eq.canopy_cover(crop.kcb, crop.kcb_min, kcmax, crop.height_m)  # eq. 76
    fw_event = setup.fw_irrigation if day.irrigation_fw is None else day.irrigation_fw
    fw = eq.wetted_fraction(state.fw, day.irrigation_gross_mm, day.rain_mm, fw_event)
    few = eq.exposed_wetted_fraction(fc, fw)  # eq. 75
    kr = eq.evaporation_reduction(state.de_mm, setup.tew_mm, setup.soil.rew_mm)  # eq. 74
    ke = eq.evaporation_coefficient(kr, kcmax, crop.kcb, few, crop.mulch_factor)  # eq. 71
    return _Evaporation(kcmax, fc, fw, few, kr, ke)


def advance(state: ZoneState, setup: ZoneSetup, crop: CropStep, day: StepInputs) -> StepResult:
    """Advance one zone by one step (FAO-56 eq. 69-88); returns the new state and all terms."""
    dual = setup.method == "dual"
    # Water in: effective rain and net irrigation, mm
    rain_eff, runoff = eq.rain_partition(
        day.rain_mm, setup.effective_rain_fraction, setup.runoff_threshold_mm
    )
    irr_net = day.irrigation_gross_mm * setup.efficiency  # net = gross × efficiency
    irr_loss = day.irrigation_gross_mm - irr_net
    # Soil evaporation (dual only), FAO-56 ch. 7
    if dual:
        evap = _evaporation(state, setup, crop, day)
        kc = crop.kcb + evap.ke  # eq. 69
    else:
        evap = _Evaporation(kcmax=0.0, fc=0.0, fw=state.fw, few=1.0, kr=0.0, ke=0.0)
        kc = crop.kc * crop.mulch_factor  # single Kc, mulch per FAO-56 ch. 9
    evaporation = evap.ke * day.et_ref_mm  # eq. 69, mm
    etc = kc * day.et_ref_mm  # eq. 69 / 56, mm
    # Root zone size, mm: eq. 82; depletion carries over, new soil enters at the subsoil's
    # depletion (field capacity unless the setup says otherwise)
    taw = setup.soil.taw_mm(crop.root_depth_m)
    new_soil_dr = setup.subsoil_depletion_fraction * max(taw - state.taw_mm, 0.0)
    dr_prev = min(state.dr_mm + new_soil_dr, taw)
    root_zone_change = (taw - dr_prev) - (state.taw_mm - state.dr_mm)
    # Stress, FAO-56 eq. 83-84 with p adjusted to the day's ETc (Table 22)
    et_ref_day = day.et_ref_mm if day.et_ref_day_mm is None else day.et_ref_day_mm
    p = eq.depletion_fraction(crop.p_table, kc * et_ref_day)
    raw = eq.readily_available_water(p, taw)  # eq. 83
    ks = eq.water_stress(dr_prev, taw, raw)  # eq. 84
    transpiration = ks * (kc - evap.ke) * day.et_ref_mm  # eq. 80 (Ks Kcb ETo; single: Ks Kc ETo)
    eta = transpiration + evaporation  # eq. 80, mm
    # Root zone balance, eq. 85-88
    dp = eq.deep_percolation(dr_prev, rain_eff, irr_net, eta)  # eq. 88
    dr = dr_prev - rain_eff - irr_net + eta + dp  # eq. 85
    if dr > taw:
        # The soil cannot give more than it holds: cut evaporation first, then transpiration.
        short = dr - taw
        cut_e = min(evaporation, short)
        evaporation -= cut_e
        transpiration = max(transpiration - (short - cut_e), 0.0)
        eta = transpiration + evaporation
        dr = taw
    dr = max(dr, 0.0)  # eq. 86
    # Evaporation layer, eq. 77-79 (dual only)
    if dual:
        de, dpe = eq.evaporation_layer(
            state.de_mm, rain_eff, irr_net, evap.fw, evaporation, evap.few, setup.tew_mm
        )
    else:
        de, dpe = state.de_mm, 0.0
    new_state = ZoneState(dr_mm=dr, de_mm=de, fw=evap.fw, taw_mm=taw)
    return StepResult(
        state=new_state,
        kcb=crop.kcb if dual else 0.0,
        ke=evap.ke,
        kc=kc,
        kcmax=evap.kcmax,
        fc=evap.fc,
        few=evap.few,
        kr=evap.kr,
        ks=ks,
        p=p,
        taw_mm=taw,
        raw_mm=raw,
        etc_mm=etc,
        eta_mm=eta,
        evaporation_mm=evaporation,
        transpiration_mm=transpiration,
        dp_mm=dp,
        dpe_mm=dpe,
        rain_effective_mm=rain_eff,
        runoff_mm=runoff,
        irrigation_net_mm=irr_net,
        irrigation_loss_mm=irr_loss,
        root_zone_change_mm=root_zone_change,
    )
