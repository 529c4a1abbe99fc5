"""A multi-channel dosing site: the demo site with N, P, K and acid channels (site file text)."""

from __future__ import annotations

import re
from pathlib import Path

from controller.config.site import SiteConfig, load_site
from tests.helpers.site import DEMO_SITE, quick_site

__all__ = [
    "CHANNELS_TOML",
    "RIG_RECIPES",
    "channel_only",
    "channel_site_text",
    "quick_channel_site",
]

PH_MAX, PH_MAX_ALKALINE = "ph_max = 8.0\n", "ph_max = 8.5\n"
CHANNELS_TOML = """
[[devices]]
name = "relay2"
bus = "head"
unit = 11
profile = "waveshare-relay-8ch"

[[devices]]
name = "dose_n"
bus = "head"
unit = 12
profile = "prominent-gamma-x"

[[devices]]
name = "dose_p"
bus = "head"
unit = 13
profile = "prominent-gamma-x"

[[devices]]
name = "dose_k"
bus = "head"
unit = 14
profile = "prominent-gamma-x"

[[devices]]
name = "dose_acid"
bus = "head"
unit = 15
profile = "prominent-gamma-x"

[fertigation.loop]
line_volume_l = 150
mixing_tau_s = 20
source_ph = 8.0

[[fertigation.channels]]
name = "N"
kind = "fertilizer"
injector = "dose_n"
power = "relay2.ch1"
tank_level = "tank_n"
tank_area_m2 = 1.13
stock_kg_l = 0.5
max_rate_l_h = 120
max_run_min = 90

[[fertigation.channels]]
name = "P"
kind = "fertilizer"
injector = "dose_p"
power = "relay2.ch2"
tank_level = "tank_p"
tank_area_m2 = 1.13
stock_kg_l = 0.25
max_rate_l_h = 120
max_run_min = 90

[[fertigation.channels]]
name = "K"
kind = "fertilizer"
injector = "dose_k"
power = "relay2.ch3"
tank_level = "tank_k"
tank_area_m2 = 1.13
stock_kg_l = 0.3
max_rate_l_h = 120
max_run_min = 90

[[fertigation.channels]]
name = "acid"
kind = "acid"
injector = "dose_acid"
power = "relay2.ch4"
max_rate_l_h = 20
max_run_min = 90

[[fertigation.recipes]]
name = "jointing"
ec_ms_cm = 1.6
ph = 6.3
doses = [
  { channel = "N", kg_mu = 1.5 },
  { channel = "P", kg_mu = 0.75 },
  { channel = "K", l_mu = 2.0 },
  { channel = "acid", l_m3 = 0.14 },
]
"""


def channel_site_text(extra: str = "", replace: tuple[str, str] | None = None) -> str:
    """The demo site with the channels above, ``extra`` appended, ``replace`` applied."""
    # alkaline water (pH 8.0) needs room above it before the acid reaches the probe
    text = DEMO_SITE.read_text(encoding="utf-8").replace(PH_MAX, PH_MAX_ALKALINE)
    text += CHANNELS_TOML + extra
    if replace is not None:
        old, new = replace
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


# Recipes whose EC is what their stocks make in the simulated station's water
# (controller.simulation.harness: 0.6 mS/cm + 1.2 mS/cm per g/L of product, acid 0.3 per L/m³)
RIG_RECIPES = """
[[fertigation.recipes]]
name = "rig"
ec_ms_cm = 1.53
doses = [
  { channel = "N", l_m3 = 1.0 },
  { channel = "P", l_m3 = 0.5 },
  { channel = "K", l_m3 = 0.5 },
]

[[fertigation.recipes]]
name = "rig-acid"
ec_ms_cm = 1.24
ph = 6.3
doses = [
  { channel = "N", l_m3 = 1.0 },
  { channel = "acid", l_m3 = 0.14 },
]
"""


def quick_channel_site(tmp_path: Path, extra: str = "") -> SiteConfig:
    """:func:`tests.helpers.site.quick_site` with the channels above and the rig's recipes."""
    quick_site(tmp_path)
    path = tmp_path / "site.toml"
    text = path.read_text(encoding="utf-8").replace(PH_MAX, PH_MAX_ALKALINE)
    text += CHANNELS_TOML + RIG_RECIPES + extra
    path.write_text(text, encoding="utf-8")
    return load_site(path)


SINGLE_INJECTOR = re.compile(r'^injector = "doser1"\n^injector_power = "relay1.ch5".*?\n', re.M)
TANKS = re.compile(r"^tanks = \[\n.*?^\]\n", re.M | re.S)
EVENT = re.compile(r"^\[\[fertigation\.events\]\]\n(?:[^\[\n].*\n|\n)*", re.M)


def channel_only(text: str, recipe: str = "jointing") -> str:
    """A channel site's text without the single injector, its tanks and its kg events; one
    event doses ``recipe`` instead."""
    for pattern in (SINGLE_INJECTOR, TANKS, EVENT):
        assert pattern.search(text), pattern.pattern
        text = pattern.sub("", text)
    event = (
        f'[[fertigation.events]]\nlabel = "拔节期"\nday_after_planting = 35\nrecipe = "{recipe}"\n'
    )
    return text.replace("[weather]", event + "\n[weather]", 1)
