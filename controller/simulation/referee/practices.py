"""The practices a strategy is judged against, and the referee's accounting, from the scenario.

A scenario's ``[referee]`` section states the accounting every strategy shares (spring soil
water, effective rain under the film, film and drip-wetted cover, the water's salinity for the
leaching requirement) and ``[referee.practices.NAME]`` the practices:

* ``border``: floods of ``event_m3_mu`` on ``events`` dates plus ``winter_m3_mu`` of winter
  irrigation (November, before the season: charged to the year, not put in the spring soil,
  which is the same for everyone);
* ``drip``: ``count`` equal events every ``interval_days`` from ``first``, ``total_m3_mu`` in
  all;
* ``oracle``: a threshold schedule on the truth itself: whenever the root-zone depletion the
  truth reports passes ``trigger_fraction_taw`` of its TAW, the next day refills it to field
  capacity, until ``last_day``. With a high trigger it is the least water for full yield (the
  floor); with a low one (``full``) the yield reference nobody can beat.

Units: m³/mu for water a grower is charged (1 m³/mu = 1.5 mm), mm for depths on the soil.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from controller.config.site import M2_PER_MU
from controller.counted import counted
from controller.simulation.season import Scenario, ScenarioError
from models.salt import leaching_requirement

__all__ = [
    "Accounting",
    "Practice",
    "accounting",
    "leaching_fraction",
    "m3_mu_to_mm",
    "mm_to_m3_mu",
    "practices",
]

Method = Literal["border", "drip", "oracle"]


def mm_to_m3_mu(mm: float) -> float:
    """A depth (mm) over one mu as a volume (m³/mu): 1 mm = 0.6667 m³/mu."""
    return mm * M2_PER_MU / 1000.0


def m3_mu_to_mm(m3_mu: float) -> float:
    """A volume per mu (m³/mu) as a depth (mm): 1 m³/mu = 1.5 mm."""
    return m3_mu * 1000.0 / M2_PER_MU


def leaching_fraction(ec_water_ds_m: float, ece_threshold_ds_m: float) -> float:
    """FAO-29 leaching requirement LR = ECw / (5 ECe − ECw) (Ayers & Westcot 1985, eq. 7):
    the share of applied water that must pass below the roots to hold the crop's salt
    threshold. 0.6 dS/m water, maize ECe 1.7 dS/m: 0.076. The one rule of
    :func:`models.salt.leaching_requirement`, the daemon's too (a ``ValueError`` naming ECw)."""
    return leaching_requirement(ec_water_ds_m, ece_threshold_ds_m)


@dataclass(frozen=True, slots=True)
class Accounting:
    """What every strategy shares (see the module docstring); fractions 0–1."""

    planting: dt.date
    harvest: dt.date
    critical_dap: tuple[int, int]
    spring_fraction_taw: float
    rain_effective_fraction: float
    film_cover_pct: float
    drip_wetted_pct: float
    leaching_fraction: float
    ksat_mm_day: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Practice:
    """One practice of ``[referee.practices]`` (fields used by its ``method`` only)."""

    name: str
    method: Method
    winter_m3_mu: float = 0.0
    event_m3_mu: float = 0.0
    events: tuple[dt.date, ...] = ()
    trigger_fraction_taw: float = 0.0
    last_day: dt.date | None = None

    @property
    def wetted_by_drip(self) -> bool:
        """Drip and oracle water a strip; border floods the whole surface."""
        return self.method != "border"

    def schedule_mm(self) -> dict[dt.date, float]:
        """The fixed schedule (date → mm on the soil); empty for ``oracle``."""
        return {d: m3_mu_to_mm(self.event_m3_mu) for d in self.events}


def _section(scenario: Scenario) -> dict[str, Any]:
    try:
        section: dict[str, Any] = scenario.raw["referee"]
    except KeyError:
        raise ScenarioError(f"{scenario.path}: no [referee] section") from None
    return section


def _day(scenario: Scenario, key: str, text: object) -> dt.date:
    try:
        month, day = (int(v) for v in str(text).split("-"))
        return dt.date(scenario.start.year, month, day)
    except ValueError:
        raise ScenarioError(f"{scenario.path}: {key}: {text!r} is not a MM-DD date") from None


def accounting(scenario: Scenario) -> Accounting:
    """The scenario's shared accounting; :class:`ScenarioError` naming the key if bad."""
    ref = _section(scenario)
    key = "referee"
    try:
        sowing = _day(scenario, "crop.sowing", scenario.raw["crop"]["sowing"])
        fraction = float(ref["spring_fraction_taw"])
        rain = float(ref["rain_effective_fraction"])
        film = float(ref["film_cover_pct"])
        wetted = float(ref["drip_wetted_pct"])
        lf = leaching_fraction(
            float(ref["irrigation_water_ec_ds_m"]), float(ref["maize_ece_threshold_ds_m"])
        )
        ksat = {str(z): float(v) for z, v in ref["aquacrop_ksat_mm_day"].items()}
    except KeyError as exc:
        raise ScenarioError(f"{scenario.path}: {key}.{exc.args[0]}: missing") from None
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{scenario.path}: {key}: {exc}") from None
    for name, value, lo, hi in (
        ("spring_fraction_taw", fraction, 0.0, 1.0),
        ("rain_effective_fraction", rain, 0.0, 1.0),
        ("film_cover_pct", film, 0.0, 100.0),
        ("drip_wetted_pct", wetted, 1.0, 100.0),
    ):
        if not lo <= value <= hi:
            raise ScenarioError(f"{scenario.path}: {key}.{name}: {value} not in {lo}..{hi}")
    missing = sorted(set(scenario.soils) - set(ksat))
    if missing:
        raise ScenarioError(
            f"{scenario.path}: {key}.aquacrop_ksat_mm_day: no value for "
            f"{counted(len(missing), 'zone', 'zones')} {missing}"
        )
    return Accounting(
        planting=sowing,
        harvest=scenario.end,
        critical_dap=scenario.critical_dap,
        spring_fraction_taw=fraction,
        rain_effective_fraction=rain,
        film_cover_pct=film,
        drip_wetted_pct=wetted,
        leaching_fraction=lf,
        ksat_mm_day=ksat,
    )


def practices(scenario: Scenario) -> dict[str, Practice]:
    """Every ``[referee.practices.NAME]`` of the scenario, validated."""
    found: dict[str, Practice] = {}
    for name, raw in _section(scenario).get("practices", {}).items():
        key = f"referee.practices.{name}"
        try:
            found[name] = _practice(scenario, name, key, raw)
        except KeyError as exc:
            raise ScenarioError(f"{scenario.path}: {key}.{exc.args[0]}: missing") from None
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"{scenario.path}: {key}: {exc}") from None
    return found


def _practice(scenario: Scenario, name: str, key: str, raw: Mapping[str, Any]) -> Practice:
    method = raw["method"]
    if method == "border":
        return Practice(
            name,
            "border",
            winter_m3_mu=float(raw["winter_m3_mu"]),
            event_m3_mu=float(raw["event_m3_mu"]),
            events=tuple(_day(scenario, f"{key}.events", e) for e in raw["events"]),
        )
    if method == "drip":
        first = _day(scenario, f"{key}.first", raw["first"])
        count, every = int(raw["count"]), int(raw["interval_days"])
        if count < 1 or every < 1:
            raise ValueError("count and interval_days must be at least 1")
        return Practice(
            name,
            "drip",
            event_m3_mu=float(raw["total_m3_mu"]) / count,
            events=tuple(first + dt.timedelta(days=every * i) for i in range(count)),
        )
    if method == "oracle":
        trigger = float(raw["trigger_fraction_taw"])
        if not 0.0 < trigger < 1.0:
            raise ValueError(f"trigger_fraction_taw {trigger} not in (0, 1)")
        return Practice(
            name,
            "oracle",
            trigger_fraction_taw=trigger,
            last_day=_day(scenario, f"{key}.last_day", raw["last_day"]),
        )
    raise ValueError(f"method {method!r} (border, drip or oracle)")
