"""Water credited at restart to a run a crash interrupted: the meter's rise since its progress.

A running run's recorded water (``applied_m3``) is written every
:data:`controller.runtime.sequencer.PROGRESS_EVERY_S` together with the flow meter's
totalizer it counts up to (:class:`controller.store.RunMeter`). After a kill the valve stays
open until its relay lease closes it, so the meter passes water no progress recorded. At
the next start the run is credited the rise of that totalizer from the value kept with its
last progress to the first good reading after the start — the water that went through the
meter — but only when nothing else can have passed it:

- the run was the only open run measured by that meter (concurrent runs split a meter by
  nominal flow, which the lost seconds cannot be split by);
- a totalizer was kept with its last progress, from the meter the zone still uses;
- the meter reads now (else: nothing credited, the run keeps its recorded water);
- the totalizer did not go down (a reset or rollover: nothing credited);
- the rise is at most :func:`most_m3` (twice the zone's nominal flow over the progress
  interval, the reading age and the lease): more than that did not go through this run.

:func:`meter_credit` is the rule, free of I/O; :class:`Credit` says what was done and why,
for the run's ``end_reason`` and its ``run_interrupted`` event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from controller.counted import named

__all__ = ["Credit", "meter_credit", "most_m3"]


@dataclass(frozen=True, slots=True)
class Credit:
    """The water (m³) credited to an interrupted run, and why (or why not), in words."""

    m3: float
    why: str


def most_m3(nominal_flow_m3_h: float, window_s: float) -> float:
    """The most water (m³) a zone can pass unrecorded: twice its nominal flow over ``window_s``."""
    return 2.0 * nominal_flow_m3_h * window_s / 3600.0


def meter_credit(
    run_id: int,
    device: str,
    marked_device: str | None,
    marked_m3: float | None,
    now_m3: float | None,
    others_on_meter: Sequence[int],
    limit_m3: float,
) -> Credit:
    """What to credit run ``run_id`` measured by meter ``device``.

    ``marked_device``/``marked_m3``: the meter and its totalizer (m³) kept with the run's last
    progress (None: none kept). ``now_m3``: the totalizer's first good reading after the start
    (None: unreadable). ``others_on_meter``: ids of the other runs found open on ``device``.
    ``limit_m3``: the most the run can have passed unrecorded (:func:`most_m3`).
    """
    if others_on_meter:
        runs = named(others_on_meter, "run", "runs")
        return Credit(
            0.0, f"water since the last progress not credited: {device} also measured {runs}"
        )
    if marked_m3 is None or marked_device is None:
        return Credit(
            0.0, "water since the last progress not credited: no meter reading was kept with it"
        )
    if marked_device != device:
        return Credit(
            0.0,
            f"water since the last progress not credited: it was measured by "
            f"{marked_device}, the zone now by {device}",
        )
    if now_m3 is None:
        return Credit(
            0.0,
            f"water since the last progress not credited: {device} totalizer "
            f"unreadable at start (last progress at {marked_m3:.3f} m3)",
        )
    if now_m3 < marked_m3:
        return Credit(
            0.0,
            f"water since the last progress not credited: {device} totalizer "
            f"went down from {marked_m3:.3f} to {now_m3:.3f} m3 (reset or rollover)",
        )
    rise_m3 = now_m3 - marked_m3
    if rise_m3 > limit_m3:
        return Credit(
            0.0,
            f"water since the last progress not credited: {device} totalizer "
            f"rose {rise_m3:.3f} m3 ({marked_m3:.3f} to {now_m3:.3f} m3), more than "
            f"run {run_id} can have passed ({limit_m3:.3f} m3)",
        )
    return Credit(
        rise_m3,
        f"{rise_m3:.3f} m3 credited to run {run_id}: {device} totalizer "
        f"{marked_m3:.3f} m3 at the last progress, {now_m3:.3f} m3 at start",
    )
