"""Multi-channel dosing in the site file: ``[[fertigation.channels]]`` and
``[[fertigation.recipes]]``.

A channel is one stock tank with its own injector (a dosing pump whose supply is a leased
relay output), of kind ``fertilizer`` or ``acid``. A recipe names what each channel gives
per run (kg/mu or L/mu of stock for a fertilizer, L/m³ of water for either kind) and the
EC and pH setpoints the closed loops hold. The whole-site cross-checks (devices, outputs,
setpoints against ``[safety]``) are :func:`channel_problems`; they return key paths that
name the channel or recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import Field, model_validator

from controller.config.fields import Name, SiteModel

__all__ = [
    "MAX_CHANNELS",
    "MAX_RECIPES",
    "ChannelConfig",
    "ChannelDose",
    "DosingLoopConfig",
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


DeviceCheck = Callable[[str, str, tuple[str, ...]], object]


def channel_problems(
    channels: Sequence[ChannelConfig],
    recipes: Sequence[DosingRecipe],
    loop: DosingLoopConfig | None,
    *,
    has_ph_meter: bool,
    source_ec_ms_cm: float,
    ec_max_ms_cm: float,
    ph_range: tuple[float, float],
    device_of_kind: DeviceCheck,
) -> list[tuple[str, str]]:
    """(key path, problem) of the channels and recipes against each other and the site.

    ``device_of_kind(path, name, kinds)`` reports an unknown device or one of another kind
    itself (the site checker's own rule).
    """
    out: list[tuple[str, str]] = []
    by_name: dict[str, ChannelConfig] = {}
    injectors: dict[str, str] = {}
    for i, ch in enumerate(channels):
        path = f"fertigation.channels[{i}]"
        if ch.name in by_name:
            out.append((f"{path}.name", f"channel {ch.name!r} is named twice"))
        by_name.setdefault(ch.name, ch)
        device_of_kind(f"{path}.injector", ch.injector, ("injector",))
        if ch.injector in injectors:
            out.append(
                (
                    f"{path}.injector",
                    f"channel {ch.name!r}: injector {ch.injector!r} already doses "
                    f"channel {injectors[ch.injector]!r}",
                )
            )
        injectors.setdefault(ch.injector, ch.name)
        if ch.tank_level is not None:
            device_of_kind(f"{path}.tank_level", ch.tank_level, ("tank_level",))
        if ch.tank_area_m2 is not None and ch.tank_level is None:
            out.append((f"{path}.tank_area_m2", f"channel {ch.name!r}: needs tank_level"))
    acids = [ch.name for ch in channels if ch.kind == "acid"]
    if len(acids) > 1:
        out.append(("fertigation.channels", f"one acid channel, not {len(acids)}: {acids}"))
    if channels and loop is None:
        out.append(("fertigation.loop", "channels need [fertigation.loop] line_volume_l"))
    if acids and (loop is None or loop.source_ph is None):
        out.append(("fertigation.loop.source_ph", f"acid channel {acids[0]!r} needs it"))
    if loop is not None and loop.source_ph is not None and loop.source_ph >= ph_range[1]:
        out.append(
            (
                "fertigation.loop.source_ph",
                f"{loop.source_ph:g} is not below safety.ph_max {ph_range[1]:g}: plain water "
                "would trip ph_out_of_band before the acid reaches the probe",
            )
        )
    if acids and not has_ph_meter:
        out.append(("fertigation.ph_meter", f"acid channel {acids[0]!r} needs a pH meter"))
    if recipes and not channels:
        out.append(("fertigation.recipes", "recipes need [[fertigation.channels]]"))
    seen: set[str] = set()
    for i, r in enumerate(recipes):
        path = f"fertigation.recipes[{i}]"
        if r.name in seen:
            out.append((f"{path}.name", f"recipe {r.name!r} is named twice"))
        seen.add(r.name)
        out += _recipe_problems(path, r, by_name, source_ec_ms_cm, ec_max_ms_cm, ph_range)
    return out


def _recipe_problems(
    path: str,
    r: DosingRecipe,
    channels: dict[str, ChannelConfig],
    source_ec_ms_cm: float,
    ec_max_ms_cm: float,
    ph_range: tuple[float, float],
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    kinds: list[str] = []
    for j, d in enumerate(r.doses):
        where = f"{path}.doses[{j}]"
        ch = channels.get(d.channel)
        if ch is None:
            out.append((f"{where}.channel", f"recipe {r.name!r}: unknown channel {d.channel!r}"))
            continue
        if d.channel in [x.channel for x in r.doses[:j]]:
            out.append((f"{where}.channel", f"recipe {r.name!r}: channel {d.channel!r} twice"))
        kinds.append(ch.kind)
        if d.kg_mu is not None and ch.stock_kg_l is None:
            out.append((f"{where}.kg_mu", f"channel {ch.name!r} has no stock_kg_l"))
        if ch.kind == "acid" and d.l_m3 is None:
            out.append((f"{where}", f"acid channel {ch.name!r} is dosed in l_m3 (pH-held)"))
    if r.ec_ms_cm is not None:
        if "fertilizer" not in kinds:
            out.append((f"{path}.ec_ms_cm", f"recipe {r.name!r} doses no fertilizer channel"))
        if r.ec_ms_cm > ec_max_ms_cm:
            out.append(
                (f"{path}.ec_ms_cm", f"{r.ec_ms_cm:g} exceeds safety.ec_max_ms_cm {ec_max_ms_cm:g}")
            )
        if r.ec_ms_cm <= source_ec_ms_cm:
            out.append(
                (
                    f"{path}.ec_ms_cm",
                    f"{r.ec_ms_cm:g} is not above source_ec_ms_cm {source_ec_ms_cm:g}",
                )
            )
    if r.ph is not None:
        if "acid" not in kinds:
            out.append((f"{path}.ph", f"recipe {r.name!r} doses no acid channel"))
        lo, hi = ph_range
        if not lo < r.ph < hi:
            out.append((f"{path}.ph", f"{r.ph:g} is outside safety.ph_min..ph_max {lo:g}..{hi:g}"))
    elif "acid" in kinds:
        out.append((f"{path}.ph", f"recipe {r.name!r} doses acid: give its pH setpoint"))
    return out
