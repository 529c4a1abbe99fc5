"""A site's head flow meter replaced by a pulse meter on a DI counter module (dio1.count1),
and the sequencer rig reading it."""

from __future__ import annotations

from pathlib import Path

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.runtime.pulses import PulseMeters, PulseNote
from controller.simulation.harness import Simulation
from controller.store import Store
from tests.helpers.rig import FAST_POLL, SLOW_POLL, Rig
from tests.helpers.site import quick_site

__all__ = ["COUNTER_DEVICE", "PULSE_METER", "PulseRig", "pulse_site", "with_pulse_meter"]

PULSE_METER = "pm1"
COUNTER_DEVICE = "dio1"


def with_pulse_meter(
    text: str,
    *,
    litres_per_pulse: float = 10,
    no_pulse_s: float = 30,
    max_flow_m3_h: float = 250,
    unit: int = 40,
    poll_interval_s: float = 5,
) -> str:
    """``text`` (a site file on bus ``head``) with every ``flow_meter = "flow1"`` naming the
    pulse meter ``pm1`` instead: counter ``dio1.count1`` (iSMA SfAR-1M-4DI) at ``unit``."""
    assert 'flow_meter = "flow1"' in text
    text = text.replace('flow_meter = "flow1"', f'flow_meter = "{PULSE_METER}"')
    return (
        text
        + f"""

[[devices]]
name = "{COUNTER_DEVICE}"
bus = "head"
unit = {unit}
profile = "isma-sfar-1m-4di"
poll_interval_s = {poll_interval_s:g}
description = "DI counter module: the main meter's pulse output on input 1"

[[pulse_meters]]
name = "{PULSE_METER}"
counter = "{COUNTER_DEVICE}.count1"
litres_per_pulse = {litres_per_pulse:g}
no_pulse_s = {no_pulse_s:g}
max_flow_m3_h = {max_flow_m3_h:g}
"""
    )


class PulseRig(Rig):
    """The sequencer rig on a site whose head meter is ``pm1``: the counter module polled
    every ``COUNTER_POLL_S`` virtual seconds and derived as the daemon's poller does."""

    COUNTER_POLL_S = 5

    def __init__(self, site: SiteConfig, sim: Simulation, store: Store, clock: VirtualClock):
        self.pulses = PulseMeters(site)
        self.notes: list[PulseNote] = []
        super().__init__(site, sim, store, clock)
        self.poll_counter()

    def poll_counter(self) -> None:
        readings, _ = self.fieldio.bus_of(COUNTER_DEVICE).read_points(COUNTER_DEVICE)
        self.live.update(readings)
        derived, notes = self.pulses.derive(COUNTER_DEVICE, readings, self.clock.monotonic())
        self.live.update(derived)
        self.notes += notes

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            self.clock.advance(1)
            self.sim.field.step(1.0)
            mono_s = int(self.clock.monotonic())
            self.poll(FAST_POLL | SLOW_POLL if mono_s % 5 == 0 else FAST_POLL)
            if mono_s % self.COUNTER_POLL_S == 0:
                self.poll_counter()
            self.sequencer.tick()
            self.supervisor.check()

    def run_until_idle(self, within_s: int) -> int:
        """Seconds until no run is active (AssertionError after ``within_s``)."""
        for waited in range(within_s):
            if not self.sequencer.active():
                return waited
            self.run(1)
        raise AssertionError(f"a run still active after {within_s} s")

    @property
    def meter_m3(self) -> float:
        """What the simulated pulse meter registered so far (its own error included), m³."""
        return self.sim.field.pulse_meters[PULSE_METER].read_m3


def pulse_site(tmp_path: Path, dry_run_delay_s: float = 5, **meter: float) -> SiteConfig:
    """:func:`tests.helpers.site.quick_site` with its head meter a pulse meter."""
    quick = quick_site(tmp_path).path.read_text(encoding="utf-8")
    assert "dry_run_delay_s = 5\n" in quick
    quick = quick.replace("dry_run_delay_s = 5\n", f"dry_run_delay_s = {dry_run_delay_s:g}\n")
    path = tmp_path / "pulse-site.toml"
    path.write_text(with_pulse_meter(quick, **meter))
    return load_site(path)
