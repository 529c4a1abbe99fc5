"""Pulse water meters: a counter module's pulse count read as a totalizer (m³) and a flow (m³/h).

Each ``[[pulse_meters]]`` entry (:mod:`controller.config.pulses`) is a meter named like a
flow-meter device. After each poll of its counter device the poller hands the readings to
:meth:`PulseMeters.derive`, which returns readings *of the meter* for the live state, so
metering, the supervisor and the pages read a pulse meter as they read any flow meter:

- ``total`` (m³) = pulses × ``litres_per_pulse`` / 1000, continued across the counter's
  wraps and resets (a totalizer that never goes down);
- ``flow_rate`` (m³/h) = pulses × L/pulse / 1000 over the seconds between the first and last
  count change of the last ``RATE_WINDOW_S`` (after a silence, from the reading before the
  first new pulse: a rate at once, at worst low by a poll); with no pulse for more than twice
  the usual gap, at most one pulse over the time since the last (a stopped meter reads
  towards 0);
- ``pulse`` (pulses counted so far) only when a pulse was counted: its age in the live state
  is the time since the last pulse, what the supervisor's ``pulse_missing`` rule reads.

A counter that goes down is a *wrap* when the step modulo 2^16 or 2^32 is a plausible number
of pulses for the seconds since the last reading at ``max_flow_m3_h``, otherwise a *reset*
(``counter_reset``: the module lost power or was cleared; the count since then is water if
plausible). A rise beyond the plausible is a ``counter_jump``, not counted. Both are named in
a warning event by the poller. A counter reading that is not ``ok`` publishes nothing: the
meter's values age out and the supervisor's ``flow_meter_stale`` rule acts as for any meter.
"""

from __future__ import annotations

import enum
import math
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from controller.config.pulses import PulseMeterConfig, counter_modulus
from controller.config.site import SiteConfig
from drivers.reading import Quality, Reading

__all__ = [
    "RATE_WINDOW_S",
    "CounterEvent",
    "PulseMeters",
    "PulseNote",
    "PulseStep",
    "PulseTotalizer",
]

# The flow is measured over at least this many seconds of count changes: with the change
# times known to a poll interval (5 s), 60 s keeps the rate within about ±8 %.
RATE_WINDOW_S = 60.0
SLACK_PULSES = 2  # pulses beyond max_flow_m3_h still plausible in one poll (edges, rounding)


class CounterEvent(enum.StrEnum):
    """What a counter did between two readings besides counting up."""

    WRAP = "counter_wrap"  # passed its maximum and started again at 0: water, counted
    RESET = "counter_reset"  # fell back to (near) 0: power lost or cleared
    JUMP = "counter_jump"  # rose more than the meter can pass: not counted


@dataclass(frozen=True, slots=True)
class PulseStep:
    """One counter reading taken in: pulses counted as water, and what else happened."""

    pulses: int
    event: CounterEvent | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PulseNote:
    """An event for the poller to raise (code, source, message)."""

    code: str
    source: str
    message: str


class PulseTotalizer:
    """One pulse meter's counter as a totalizer; feed it every good counter reading."""

    def __init__(self, meter: PulseMeterConfig, modulus: int) -> None:
        self.meter = meter
        self.modulus = modulus
        self.pulses = 0  # pulses of the meter's totalizer (the first count, then every step)
        self.last_pulse_mono_s: float | None = None
        self._count: int | None = None
        self._mono_s = 0.0
        self._changes: deque[tuple[float, int]] = deque()  # (mono_s, self.pulses) at changes

    @property
    def total_m3(self) -> float:
        """The totalizer, m³ (pulses × litres_per_pulse / 1000)."""
        return self.pulses * self.meter.m3_per_pulse

    def most_pulses(self, dt_s: float) -> int:
        """The most pulses the meter can give in ``dt_s`` s at ``max_flow_m3_h`` (plus slack)."""
        m = self.meter
        return math.ceil(m.max_flow_m3_h / 3.6 * max(dt_s, 0.0) / m.litres_per_pulse) + SLACK_PULSES

    def feed(self, count: int, mono_s: float) -> PulseStep:
        """Take in a counter reading ``count`` at monotonic time ``mono_s`` (s)."""
        if not 0 <= count < self.modulus:
            raise ValueError(f"{self.meter.counter}: count {count} outside [0, {self.modulus})")
        if self._count is None:
            self._count, self._mono_s, self.pulses = count, mono_s, count
            return PulseStep(0)
        step = self._classify(count, mono_s - self._mono_s)
        prev_mono_s, self._count, self._mono_s = self._mono_s, count, mono_s
        if step.pulses:
            if (
                self.last_pulse_mono_s is None
                or mono_s - self.last_pulse_mono_s > self.meter.no_pulse_s
            ):
                # The water stood still: an old rate says nothing now. The pulses came after
                # the previous reading, so the first rate is at least over that interval.
                self._changes.clear()
                self._changes.append((prev_mono_s, self.pulses))
            self.pulses += step.pulses
            self.last_pulse_mono_s = mono_s
            self._changes.append((mono_s, self.pulses))
            while len(self._changes) > 2 and mono_s - self._changes[1][0] >= RATE_WINDOW_S:
                self._changes.popleft()
        return step

    def _classify(self, count: int, dt_s: float) -> PulseStep:
        prev = self._count
        assert prev is not None
        most = self.most_pulses(dt_s)
        rise = count - prev
        if 0 <= rise <= most:
            return PulseStep(rise)
        if rise > most:
            return PulseStep(
                0,
                CounterEvent.JUMP,
                f"rose from {prev} to {count} in {dt_s:.0f} s, more than the {most} pulses "
                f"{self.meter.max_flow_m3_h:g} m3/h can give: not counted",
            )
        wrapped = rise + self.modulus
        if wrapped <= most:
            return PulseStep(wrapped, CounterEvent.WRAP, f"wrapped from {prev} to {count}")
        counted = count if count <= most else 0
        return PulseStep(
            counted,
            CounterEvent.RESET,
            f"fell from {prev} to {count} in {dt_s:.0f} s: reset (power lost or cleared), "
            f"not a wrap; {counted} pulses after the reset counted",
        )

    def flow_m3_h(self, mono_s: float) -> float:
        """The flow (m³/h) at ``mono_s`` from the recent count changes (module docstring)."""
        if len(self._changes) < 2:
            return 0.0
        (t0, p0), (t1, p1) = self._changes[0], self._changes[-1]
        rate = (p1 - p0) * self.meter.m3_per_pulse / (t1 - t0) * 3600
        gap_s = (t1 - t0) / (len(self._changes) - 1)  # the usual time between changes
        since_s = mono_s - t1
        if since_s > 2 * gap_s:
            rate = min(rate, self.meter.m3_per_pulse / since_s * 3600)
        return rate


class PulseMeters:
    """Every pulse meter of a site, by counter device; thread-safe (one lock, short)."""

    def __init__(self, site: SiteConfig) -> None:
        self._lock = threading.Lock()
        self._by_device: dict[str, list[PulseTotalizer]] = {}
        for m in site.pulse_meters:
            profile = site.profiles[m.device]
            t = PulseTotalizer(m, counter_modulus(profile, m.point))
            self._by_device.setdefault(m.device, []).append(t)

    def derive(
        self, device: str, readings: Iterable[Reading], mono_s: float
    ) -> tuple[list[Reading], list[PulseNote]]:
        """The meters' readings from a poll of counter ``device``, and events to raise."""
        meters = self._by_device.get(device)
        if not meters:
            return [], []
        by_point = {r.point: r for r in readings}
        out: list[Reading] = []
        notes: list[PulseNote] = []
        with self._lock:
            for t in meters:
                r = by_point.get(t.meter.point)
                if r is None or not r.ok or r.value is None:
                    continue
                step = t.feed(int(r.value), mono_s)
                if step.event is CounterEvent.RESET or step.event is CounterEvent.JUMP:
                    notes.append(
                        PulseNote(
                            step.event.value,
                            t.meter.name,
                            f"pulse meter {t.meter.name} ({t.meter.counter}): {step.detail}",
                        )
                    )
                out += _meter_readings(t, r.time, mono_s, step)
        return out, notes


def _meter_readings(
    t: PulseTotalizer, time: datetime, mono_s: float, step: PulseStep
) -> list[Reading]:
    name = t.meter.name
    out = [
        Reading(name, "total", t.total_m3, "m3", Quality.OK, time),
        Reading(name, "flow_rate", t.flow_m3_h(mono_s), "m3/h", Quality.OK, time),
    ]
    if step.pulses:
        out.append(Reading(name, "pulse", float(t.pulses), "pulses", Quality.OK, time))
    return out
