"""The site file's ``[[pulse_meters]]``: water meters read through a pulse-counter module.

A water meter with a pulse output (a reed switch or open collector, one pulse per
``litres_per_pulse`` litres) wired to an input of a ``pulse_counter`` device (a Modbus DI
counter module, ``drivers/profiles/isma-sfar-1m-4di.toml``). The meter's ``name`` is what
``zones[].flow_meter`` and ``head.flow_meter`` name, as they name a ``flow_meter`` device;
:mod:`controller.runtime.pulses` turns the counter into that meter's ``total`` (m³) and
``flow_rate`` (m³/h).

Types and ranges here; :func:`check_pulse_meters` cross-checks them against the devices
(``pulse_meters[0].counter: device 'dio1' has no point 'count9' (site.toml)``), called by
:func:`controller.config.site.load_site`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import Field

from controller.config.fields import Name, SiteModel
from drivers.profile import DataType, Profile, Table

__all__ = ["COUNTER_TYPES", "PulseMeterConfig", "check_pulse_meters", "counter_modulus"]

# A counter is an unsigned integer of one or two registers; it wraps at 2^16 or 2^32.
COUNTER_TYPES = {DataType.UINT16: 16, DataType.UINT32: 32}


class PulseMeterConfig(SiteModel):
    """One pulse water meter (``[[pulse_meters]]``).

    ``counter``: ``DEVICE.POINT`` of the counter register(s) (a profile point in unit
    ``pulses``, uint16 or uint32). ``litres_per_pulse``: the
    meter's pulse value (L, from its plate). ``no_pulse_s``: while the pump runs, no pulse
    for this long stops the water (``pulse_missing``); it must exceed the time between two
    pulses at the smallest flow the meter measures. ``max_flow_m3_h``: the most the meter
    can pass; a counter step larger than this over its poll interval is not water (a reset
    or a jump) and is not counted.
    """

    name: Name
    counter: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}\.[A-Za-z0-9_-]{1,32}$")
    litres_per_pulse: float = Field(gt=0, le=10_000)
    no_pulse_s: float = Field(gt=0, le=3600)
    max_flow_m3_h: float = Field(gt=0, le=5000)
    description: str = Field("", max_length=200)

    @property
    def device(self) -> str:
        return self.counter.partition(".")[0]

    @property
    def point(self) -> str:
        return self.counter.partition(".")[2]

    @property
    def m3_per_pulse(self) -> float:
        return self.litres_per_pulse / 1000.0


def counter_modulus(profile: Profile, point: str) -> int:
    """The value at which ``point`` of ``profile`` wraps to 0 (2^16 or 2^32)."""
    return 1 << COUNTER_TYPES[profile.point(point).type]


def check_pulse_meters(
    meters: Sequence[PulseMeterConfig],
    device_names: Sequence[str],
    profiles: Mapping[str, Profile],
    poll_interval_s: Mapping[str, float],
    add: Callable[[str, str], None],
) -> None:
    """Cross-check ``meters`` against the devices; report each problem through ``add``."""
    names: dict[str, int] = {}
    counters: dict[str, int] = {}
    for i, m in enumerate(meters):
        path = f"pulse_meters[{i}]"
        if m.name in names:
            add(f"{path}.name", f"duplicate name {m.name!r} (also pulse_meters[{names[m.name]}])")
        elif m.name in device_names:
            add(f"{path}.name", f"{m.name!r} is also a device: a meter's name names one thing")
        names.setdefault(m.name, i)
        if m.counter in counters:
            add(f"{path}.counter", f"{m.counter} is already pulse_meters[{counters[m.counter]}]")
        counters.setdefault(m.counter, i)
        _check_counter(path, m, device_names, profiles, poll_interval_s, add)


def _check_counter(
    path: str,
    m: PulseMeterConfig,
    device_names: Sequence[str],
    profiles: Mapping[str, Profile],
    poll_interval_s: Mapping[str, float],
    add: Callable[[str, str], None],
) -> None:
    if m.device not in device_names:
        add(f"{path}.counter", f"unknown device {m.device!r}")
        return
    profile = profiles.get(m.device)
    if profile is None:
        return  # its unknown profile is already reported
    if profile.kind != "pulse_counter":
        add(f"{path}.counter", f"device {m.device!r} is a {profile.kind}, expected pulse_counter")
        return
    if not profile.has_point(m.point):
        known = ", ".join(p.name for p in profile.points)
        add(f"{path}.counter", f"device {m.device!r} has no point {m.point!r} ({known})")
        return
    pt = profile.point(m.point)
    if (
        pt.type not in COUNTER_TYPES
        or pt.table not in (Table.HOLDING, Table.INPUT)
        or pt.unit != "pulses"
    ):
        add(
            f"{path}.counter",
            f"{m.counter} is not a counter (a uint16 or uint32 register point in unit "
            f"'pulses'; it is {pt.table} {pt.type} in {pt.unit!r})",
        )
        return
    if pt.scale != 1.0 or pt.offset != 0.0:
        add(f"{path}.counter", f"{m.counter} is scaled: a counter must read whole pulses")
    poll_s = poll_interval_s.get(m.device, 0.0)
    if m.no_pulse_s <= poll_s:
        add(
            f"{path}.no_pulse_s",
            f"{m.no_pulse_s:g} s is not longer than the poll interval of device "
            f"{m.device!r} ({poll_s:g} s): a pulse could never be seen in time",
        )
    # The counter must not wrap twice between two polls at the meter's largest flow, or a
    # wrap could not be told from a small step.
    pulses_per_poll = m.max_flow_m3_h / 3.6 * poll_s / m.litres_per_pulse
    if pulses_per_poll >= counter_modulus(profile, m.point) / 2:
        add(
            f"{path}.litres_per_pulse",
            f"{m.litres_per_pulse:g} L/pulse at max_flow_m3_h {m.max_flow_m3_h:g} gives "
            f"{pulses_per_poll:.0f} pulses per poll: the {pt.type} counter could wrap unseen",
        )
