"""A flow meter that answers but no longer measures: its totalizer stands still while its own
flow rate says water passes.

A meter's firmware that hangs, a gateway that keeps serving a register it no longer refreshes,
a stuck input: the meter still answers, every reading is ``ok`` and in range, so neither
``flow_meter_stale`` nor ``dry_run`` sees anything, and a burst behind it would never trip.
The flow rate alone cannot tell it: a steady flow may repeat to the last digit (the simulated
meters add reading noise, a real one at a steady pump need not). The positive totalizer can:
it integrates what the meter measures, so while the meter reports a rate Q (m³/h) its
totalizer must rise by Q × t / 3600 (m³) over t seconds, give or take one of its resolution
steps. A totalizer read unchanged over :data:`FROZEN_MIN_POLLS` fresh polls while the water
the rate claims between those polls comes to :data:`FROZEN_STEPS` of its steps is frozen.
The water claimed between two polls that read the same total is the lower of their two rates
× the (monotonic) seconds between them: the rate between polls is not known, and a flow that
stopped between them (the next poll reads 0 and a total that moved no more) claims nothing.

The step (:func:`totalizer_step_m3`): with a fresh ``total_fraction`` (the TUF-2000M splits
its accumulator into an integer and a REAL4 fraction), :data:`FRACTION_STEP_M3` (10 L) × the
fraction's scale, coarser than any fraction register resolves (a float32 below 1 resolves
under 0.1 mL), so a meter that refreshes its fraction in coarse steps is not taken for frozen;
an integer ``total`` alone: its scale (1 m³ at the factory setting, which makes the rule slow
there: 5 m³); a float ``total``: its float32 spacing at the value read.

Which meters and when is the supervisor's to say (:meth:`controller.runtime.safety.Supervisor`,
rule ``flow_meter_frozen``): the meters water should pass, once the pump has run past the
pipe's fill. Pulse meters are not judged here: their silence is ``pulse_missing``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from controller.config.site import SiteConfig
from controller.runtime.live import LiveState, control_max_age_s
from controller.runtime.metering import Totalizer, read_totalizer
from drivers.profile import DataType

__all__ = [
    "FRACTION_STEP_M3",
    "FROZEN_MIN_POLLS",
    "FROZEN_STEPS",
    "FrozenMeters",
    "first_judged",
    "fresh_reading",
    "totalizer_step_m3",
]

# Steps of its resolution the reported rate must have moved the totalizer by: one is lost to
# rounding, one to the meter refreshing its registers out of step with our polls; five leave
# a margin so a healthy meter at the edge of its resolution never stops the water.
FROZEN_STEPS = 5
# Fresh polls that must all read the same total: a meter polled every few seconds is not
# judged on one or two repeats.
FROZEN_MIN_POLLS = 5
# The resolution assumed of a totalizer's fraction register (m³ per unit of its scale): a
# meter's display shows 0.001 m³; ten times that leaves room for a firmware that refreshes the
# fraction coarser than it shows (not measured on a real TUF-2000M).
FRACTION_STEP_M3 = 0.01
_FLOAT32_MANTISSA_BITS = 24


def totalizer_step_m3(site: SiteConfig, device: str, total: Totalizer) -> float:
    """The smallest rise (m³) the totalizer of ``device`` shows (module docstring)."""
    profile = site.profiles[device]
    if total.with_fraction:
        return FRACTION_STEP_M3 * abs(profile.point("total_fraction").scale)
    point = profile.point("total")
    scale = abs(point.scale)
    if point.type is DataType.FLOAT32:
        raw = abs(total.value_m3 / point.scale) if point.scale else 0.0
        exponent = math.frexp(raw)[1] if raw else 0
        return scale * 2.0 ** (exponent - _FLOAT32_MANTISSA_BITS)
    return scale


def fresh_reading(
    live: LiveState, site: SiteConfig, meter: str, now: datetime
) -> tuple[Totalizer, float] | None:
    """``meter``'s positive totalizer and its rate (m³/h, a negative read as 0), both fresh by
    the control rule; ``None`` when either is not (a gap is ``flow_meter_stale``'s)."""
    total = read_totalizer(live, site, meter, now)
    flow_m3_h = live.value(meter, "flow_rate", now, control_max_age_s(site))
    if total is None or flow_m3_h is None:
        return None
    return total, max(0.0, flow_m3_h)


def first_judged(
    kept: dict[str, Any], flowing: Iterable[str], judge: Callable[[str], str | None]
) -> str | None:
    """``judge`` each meter in ``flowing`` in name order; the first message it gives, else
    ``None``. What ``kept`` holds of meters not in ``flowing`` is forgotten first."""
    meters = sorted(set(flowing))
    for meter in list(kept):
        if meter not in meters:
            del kept[meter]
    for meter in meters:
        why = judge(meter)
        if why is not None:
            return why
    return None


@dataclass(slots=True)
class _Watch:
    """One meter's totalizer since it last moved."""

    total_m3: float  # the value it stands at
    read_at: datetime  # the time of the latest reading of that value
    mono_s: float  # monotonic time that reading was first seen
    flow_m3_h: float  # the rate read with it
    polls: int = 0  # fresh readings since that repeated the value
    expected_m3: float = 0.0  # the water the rates claimed between those readings (m³)


class FrozenMeters:
    """Watches the totalizers of the meters water should pass; one check a control tick."""

    def __init__(self, site: SiteConfig, live: LiveState) -> None:
        self.site = site
        self.live = live
        self._watches: dict[str, _Watch] = {}

    def check(self, flowing: Iterable[str], now: datetime, mono_s: float) -> str | None:
        """Judge each meter in ``flowing`` (water should pass it now); the message naming the
        first found frozen, else ``None``. Meters no longer flowing are forgotten."""
        return first_judged(self._watches, flowing, lambda m: self._judge(m, now, mono_s))

    def _judge(self, meter: str, now: datetime, mono_s: float) -> str | None:
        max_age_s = control_max_age_s(self.site)
        reading = fresh_reading(self.live, self.site, meter, now)
        if reading is None:  # not read fresh: flow_meter_stale's to judge
            self._watches.pop(meter, None)
            return None
        total, flow_m3_h = reading
        watch = self._watches.get(meter)
        if watch is None or total.value_m3 != watch.total_m3:
            self._watches[meter] = _Watch(total.value_m3, total.time, mono_s, flow_m3_h)
            return None
        if total.time == watch.read_at:
            return None  # no new poll: nothing more is known
        elapsed_s = min(max(0.0, mono_s - watch.mono_s), max_age_s)
        watch.expected_m3 += min(watch.flow_m3_h, flow_m3_h) * elapsed_s / 3600
        watch.polls += 1
        watch.read_at, watch.mono_s, watch.flow_m3_h = total.time, mono_s, flow_m3_h
        step_m3 = totalizer_step_m3(self.site, meter, total)
        if watch.polls < FROZEN_MIN_POLLS or watch.expected_m3 < FROZEN_STEPS * step_m3:
            return None
        return (
            f"flow meter {meter}: totalizer frozen at {total.value_m3:.3f} m3 over "
            f"{watch.polls + 1} readings while its flow rate ({flow_m3_h:.2f} m3/h) says "
            f"{watch.expected_m3:.3f} m3 passed (>= {FROZEN_STEPS} steps of {step_m3:g} m3): "
            "the meter no longer measures, so no burst or dry run could be seen"
        )
