"""Large sites for scale tests: the demo site grown to any number of zones.

:func:`scaled_site_text` keeps the demo site (its head works, weather station, four
zones) and adds zones ``z5`` … ``zN`` like its first: one valve each on further
8-channel relay modules on the ``head`` bus, two soil probes each (20 and 40 cm).
A field bus holds at most :data:`ZONES_PER_FIELD_BUS` zones' probes (unit ids stop at
247), so probes go on ``field``, then ``field2``, ``field3``, … (RTU over TCP on
loopback, like ``field``): serve the result with ``qanat sim --config`` or
:class:`controller.simulation.harness.Simulation`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from controller.counted import counted

__all__ = ["ZONES_PER_FIELD_BUS", "field_bus_of", "scaled_site_text"]

ZONES_PER_FIELD_BUS = 100  # 200 probes, unit ids 21..220 (113 would be the most that fit)
_FIRST_PROBE_UNIT = 21
_FIRST_RELAY_UNIT = 11  # the demo's head bus uses units 1..10
_DEMO_ZONES = 4
_CHANNELS = 8


def field_bus_of(zone: int) -> str:
    """The field bus of zone ``zone`` (1-based): ``field``, ``field2``, …"""
    i = (zone - 1) // ZONES_PER_FIELD_BUS
    return "field" if i == 0 else f"field{i + 1}"


def scaled_site_text(demo_text: str, zones: int, field_ports: Iterable[int] = ()) -> str:
    """The demo site's text with ``zones`` zones (at least its own four).

    ``field_ports`` are the loopback ports of the extra field buses (``field2``, …), as
    many as the zone count needs; a :class:`ValueError` names how many are missing.
    """
    if zones < _DEMO_ZONES:
        raise ValueError(f"a scaled site has at least the demo's {_DEMO_ZONES} zones, not {zones}")
    extra_buses = (zones - 1) // ZONES_PER_FIELD_BUS
    ports = list(field_ports)
    if len(ports) < extra_buses:
        raise ValueError(
            f"{zones} zones need "
            f"{counted(extra_buses, 'more field bus port', 'more field bus ports')}, "
            f"got {len(ports)}"
        )
    field = re.search(r"^\[\[buses\]\]\nname = \"field\"\n(?:.+\n)+", demo_text, flags=re.M)
    if field is None:
        raise ValueError("the demo site has no bus named 'field'")
    out = [demo_text.rstrip("\n"), "", "# --- generated: the demo site grown to scale ---"]
    for b in range(extra_buses):
        bus = re.sub(r"^name = \"field\"$", f'name = "field{b + 2}"', field.group(0), flags=re.M)
        out.append(re.sub(r"^port = \d+$", f"port = {ports[b]}", bus, flags=re.M).rstrip("\n"))
    relays = -(-(zones - _DEMO_ZONES) // _CHANNELS)
    for r in range(relays):
        out += [
            "[[devices]]",
            f'name = "relay{r + 2}"',
            'bus = "head"',
            f"unit = {_FIRST_RELAY_UNIT + r}",
            'profile = "waveshare-relay-8ch"',
            "poll_interval_s = 5",
        ]
    for z in range(_DEMO_ZONES + 1, zones + 1):
        bus = field_bus_of(z)
        slot = (z - 1) % ZONES_PER_FIELD_BUS
        for k in ("a", "b"):
            unit = _FIRST_PROBE_UNIT + 2 * slot + (k == "b")
            out += [
                "[[devices]]",
                f'name = "probe{z}{k}"',
                f'bus = "{bus}"',
                f"unit = {unit}",
                'profile = "renke-rs-ecth-n01"',
                "poll_interval_s = 60",
            ]
        relay, ch = divmod(z - _DEMO_ZONES - 1, _CHANNELS)
        out += [
            "[[zones]]",
            f'name = "z{z}"',
            "area_mu = 25",
            'crop = "seed_corn"',
            "planting_date = 2026-04-20",
            'soil = "loam"',
            "application_mm_h = 6.0",
            "nominal_flow_m3_h = 100",
            f'valve = "relay{relay + 2}.ch{ch + 1}"',
            f'probes = [{{ device = "probe{z}a", depth_m = 0.2 }}, '
            f'{{ device = "probe{z}b", depth_m = 0.4 }}]',
            'flow_meter = "flow1"',
            "max_run_min = 240",
        ]
    return "\n".join(out) + "\n"
