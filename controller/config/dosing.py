"""Multi-channel dosing in the site file: ``[[fertigation.channels]]`` and
``[[fertigation.recipes]]``.

A channel is one stock tank with its own injector (a dosing pump whose supply is a leased
relay output), of kind ``fertilizer`` or ``acid``. A recipe names what each channel gives
per run (kg/mu or L/mu of stock for a fertilizer, L/m³ of water for either kind) and the
EC and pH setpoints the closed loops hold. The whole-site cross-checks (devices, outputs,
setpoints against ``[safety]``) are :func:`channel_problems`; each names the channel or
recipe by key path, and its message by a code (:class:`DosingProblem`), so that the pages
can say it in their language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, model_validator

from controller.config.fields import Name, SiteModel

__all__ = [
    "MAX_CHANNELS",
    "MAX_RECIPES",
    "ChannelConfig",
    "ChannelDose",
    "DosingLoopConfig",
    "DosingProblem",
    "DosingRecipe",
    "channel_problems",
]

MAX_CHANNELS = 8
MAX_RECIPES = 32


class ChannelConfig(SiteModel):
    """One dosing channel: stock tank, injector, the injector's leased supply."""

    name: Name
    kind: Literal["fertilizer", "acid"]
    injector: str  # a device of kind injector
    power: str  # DEVICE.POINT of a leased relay output feeding the injector
    # the injector's Modbus interface is powered by ``power`` too (controller.runtime.dosers)
    modbus_via_supply: bool = False
    tank_level: str | None = None  # a device of kind tank_level
    low_level_m: float = Field(0.1, ge=0, le=10)
    # the tank's cross-section: with tank_level, the level's drop checks what was delivered
    tank_area_m2: float | None = Field(None, gt=0, le=100)
    # kg of product per L of stock: needed for amounts in kg/mu
    stock_kg_l: float | None = Field(None, gt=0, le=2)
    max_rate_l_h: float = Field(gt=0, le=2000)
    max_run_min: float = Field(gt=0, le=600)


class ChannelDose(SiteModel):
    """What one channel gives in a recipe: exactly one of the three amounts."""

    channel: str
    kg_mu: float | None = Field(None, gt=0, le=100)  # product per mu per run
    l_mu: float | None = Field(None, gt=0, le=500)  # stock per mu per run
    l_m3: float | None = Field(None, gt=0, le=50)  # stock per m³ of water

    @model_validator(mode="after")
    def _one_amount(self) -> ChannelDose:
        given = [k for k in ("kg_mu", "l_mu", "l_m3") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"channel {self.channel!r}: give exactly one of kg_mu, l_mu, l_m3")
        return self


class DosingRecipe(SiteModel):
    """A named recipe: channel amounts and the EC / pH setpoints of the closed loops.

    ``stage``: the crop stage it is made for (a label for people, such as 拔节期; a plan
    event names the recipe and gives the day).
    """

    name: Name
    stage: str | None = Field(None, min_length=1, max_length=80)
    doses: list[ChannelDose] = Field(min_length=1, max_length=MAX_CHANNELS)
    ec_ms_cm: float | None = Field(None, gt=0, le=20)
    ph: float | None = Field(None, ge=3, le=9)


class DosingLoopConfig(SiteModel):
    """``[fertigation.loop]``: the line the loops control and their trip bands.

    ``line_volume_l``: pipe volume from the injection point to the EC/pH probes (the
    transport lag is this volume / flow); ``mixing_tau_s``: the line's first-order mixing
    time constant with the probes' own; ``source_ph``: the plain water's pH (the acid
    loop's gain is scaled from it); a reading further than ``ec_band_ms_cm`` / ``ph_band``
    from its setpoint for ``out_of_band_s`` after the line settled stops dosing; so does a
    pH reading that did not move for ``ph_stuck_s`` while the acid rate did, and a tank
    whose level fell less than half what its injector was told to give over
    ``delivery_check_s`` (a clogged injector).
    """

    line_volume_l: float = Field(gt=0, le=20_000)
    mixing_tau_s: float = Field(20, gt=0, le=600)
    source_ph: float | None = Field(None, ge=4, le=10)
    ec_band_ms_cm: float = Field(0.4, gt=0, le=5)
    ph_band: float = Field(0.6, gt=0, le=3)
    out_of_band_s: float = Field(120, gt=0, le=1800)
    ph_stuck_s: float = Field(90, gt=0, le=3600)
    delivery_check_s: float = Field(300, gt=0, le=3600)


MESSAGES: Mapping[str, str] = {
    "channel_named_twice": "channel {channel!r} is named twice",
    "injector_shared": "channel {channel!r}: injector {injector!r} already doses channel {other!r}",
    "needs_tank_level": "channel {channel!r}: needs tank_level",
    "one_acid": "one acid channel, not {count}: {channels}",
    "needs_loop": "channels need [fertigation.loop] line_volume_l",
    "acid_needs_source_ph": "acid channel {channel!r} needs it",
    "source_ph_too_high": "{source_ph} is not below safety.ph_max {ph_max}: plain water "
    "would trip ph_out_of_band before the acid reaches the probe",
    "acid_needs_ph_meter": "acid channel {channel!r} needs a pH meter",
    "recipes_need_channels": "recipes need [[fertigation.channels]]",
    "recipe_named_twice": "recipe {recipe!r} is named twice",
    "unknown_channel": "recipe {recipe!r}: unknown channel {channel!r}",
    "channel_twice": "recipe {recipe!r}: channel {channel!r} twice",
    "no_stock": "channel {channel!r} has no stock_kg_l",
    "acid_in_l_m3": "acid channel {channel!r} is dosed in l_m3 (pH-held)",
    "ec_without_fertilizer": "recipe {recipe!r} doses no fertilizer channel",
    "ec_above_max": "{ec} exceeds safety.ec_max_ms_cm {ec_max}",
    "ec_not_above_source": "{ec} is not above source_ec_ms_cm {source_ec}",
    "ph_without_acid": "recipe {recipe!r} doses no acid channel",
    "ph_outside": "{ph} is outside safety.ph_min..ph_max {ph_min}..{ph_max}",
    "acid_needs_ph": "recipe {recipe!r} doses acid: give its pH setpoint",
}
"""The English of each :class:`DosingProblem` code (the pages have their own catalogs)."""


@dataclass(frozen=True, slots=True)
class DosingProblem:
    """One problem of the channels and recipes: where (``path``), which (``code``, a key of
    :data:`MESSAGES`) and its ``values`` (names as given, numbers written with ``:g``).
    Every problem of a recipe carries the recipe's name as ``recipe``."""

    path: str
    code: str
    values: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The problem in English, without its path."""
        return MESSAGES[self.code].format(**self.values)


def channel_problems(
    channels: Sequence[ChannelConfig],
    recipes: Sequence[DosingRecipe],
    loop: DosingLoopConfig | None,
    *,
    has_ph_meter: bool,
    source_ec_ms_cm: float,
    ec_max_ms_cm: float,
    ph_range: tuple[float, float],
) -> list[DosingProblem]:
    """The problems of the channels and recipes against each other and the site (the devices
    they name: :func:`controller.config.references.reference_problems`)."""
    out: list[DosingProblem] = []
    by_name: dict[str, ChannelConfig] = {}
    injectors: dict[str, str] = {}
    for i, ch in enumerate(channels):
        path = f"fertigation.channels[{i}]"
        if ch.name in by_name:
            out.append(DosingProblem(f"{path}.name", "channel_named_twice", {"channel": ch.name}))
        by_name.setdefault(ch.name, ch)
        if ch.injector in injectors:
            shared = {"channel": ch.name, "injector": ch.injector, "other": injectors[ch.injector]}
            out.append(DosingProblem(f"{path}.injector", "injector_shared", shared))
        injectors.setdefault(ch.injector, ch.name)
        if ch.tank_area_m2 is not None and ch.tank_level is None:
            out.append(
                DosingProblem(f"{path}.tank_area_m2", "needs_tank_level", {"channel": ch.name})
            )
    out += _loop_problems(channels, loop, has_ph_meter=has_ph_meter, ph_max=ph_range[1])
    if recipes and not channels:
        out.append(DosingProblem("fertigation.recipes", "recipes_need_channels"))
    seen: set[str] = set()
    for i, r in enumerate(recipes):
        path = f"fertigation.recipes[{i}]"
        if r.name in seen:
            out.append(DosingProblem(f"{path}.name", "recipe_named_twice", {"recipe": r.name}))
        seen.add(r.name)
        out += _recipe_problems(path, r, by_name, source_ec_ms_cm, ec_max_ms_cm, ph_range)
    return out


def _loop_problems(
    channels: Sequence[ChannelConfig],
    loop: DosingLoopConfig | None,
    *,
    has_ph_meter: bool,
    ph_max: float,
) -> list[DosingProblem]:
    """What the channels need of ``[fertigation.loop]`` and the pH meter."""
    out: list[DosingProblem] = []
    acids = [ch.name for ch in channels if ch.kind == "acid"]
    if len(acids) > 1:
        counted = {"count": str(len(acids)), "channels": str(acids)}
        out.append(DosingProblem("fertigation.channels", "one_acid", counted))
    if channels and loop is None:
        out.append(DosingProblem("fertigation.loop", "needs_loop"))
    if acids and (loop is None or loop.source_ph is None):
        acid = {"channel": acids[0]}
        out.append(DosingProblem("fertigation.loop.source_ph", "acid_needs_source_ph", acid))
    if loop is not None and loop.source_ph is not None and loop.source_ph >= ph_max:
        values = {"source_ph": f"{loop.source_ph:g}", "ph_max": f"{ph_max:g}"}
        out.append(DosingProblem("fertigation.loop.source_ph", "source_ph_too_high", values))
    if acids and not has_ph_meter:
        acid = {"channel": acids[0]}
        out.append(DosingProblem("fertigation.ph_meter", "acid_needs_ph_meter", acid))
    return out


def _recipe_problems(
    path: str,
    r: DosingRecipe,
    channels: dict[str, ChannelConfig],
    source_ec_ms_cm: float,
    ec_max_ms_cm: float,
    ph_range: tuple[float, float],
) -> list[DosingProblem]:
    out: list[DosingProblem] = []

    def add(where: str, code: str, **values: str) -> None:
        out.append(DosingProblem(where, code, {"recipe": r.name, **values}))

    kinds: list[str] = []
    for j, d in enumerate(r.doses):
        where = f"{path}.doses[{j}]"
        ch = channels.get(d.channel)
        if ch is None:
            add(f"{where}.channel", "unknown_channel", channel=d.channel)
            continue
        if d.channel in [x.channel for x in r.doses[:j]]:
            add(f"{where}.channel", "channel_twice", channel=d.channel)
        kinds.append(ch.kind)
        if d.kg_mu is not None and ch.stock_kg_l is None:
            add(f"{where}.kg_mu", "no_stock", channel=ch.name)
        if ch.kind == "acid" and d.l_m3 is None:
            add(where, "acid_in_l_m3", channel=ch.name)
    if r.ec_ms_cm is not None:
        ec = f"{r.ec_ms_cm:g}"
        if "fertilizer" not in kinds:
            add(f"{path}.ec_ms_cm", "ec_without_fertilizer")
        if r.ec_ms_cm > ec_max_ms_cm:
            add(f"{path}.ec_ms_cm", "ec_above_max", ec=ec, ec_max=f"{ec_max_ms_cm:g}")
        if r.ec_ms_cm <= source_ec_ms_cm:
            add(f"{path}.ec_ms_cm", "ec_not_above_source", ec=ec, source_ec=f"{source_ec_ms_cm:g}")
    if r.ph is not None:
        if "acid" not in kinds:
            add(f"{path}.ph", "ph_without_acid")
        lo, hi = ph_range
        if not lo < r.ph < hi:
            add(f"{path}.ph", "ph_outside", ph=f"{r.ph:g}", ph_min=f"{lo:g}", ph_max=f"{hi:g}")
    elif "acid" in kinds:
        add(f"{path}.ph", "acid_needs_ph")
    return out
