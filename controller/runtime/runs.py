"""What the run sequencer's parts share: the recipe, the view of an active run, the refusals.

:mod:`controller.runtime.sequencer` (the run lifecycle), :mod:`controller.runtime.metering`
(water) and :mod:`controller.runtime.dosing` (fertilizer) all speak of these;
:mod:`controller.runtime.sequencer` re-exports them, the import path other modules use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from controller.errors import ControllerError
from controller.store import RunPhase

__all__ = [
    "ActiveRun",
    "CapacityExceeded",
    "DurationError",
    "OutputFailed",
    "Recipe",
    "RecipeError",
    "RecordRefused",
    "RunRefused",
    "SequencerError",
    "VolumeError",
]


class SequencerError(ControllerError):
    """Root of the sequencer's refusals::

    SequencerError
    ├── RunRefused          the supervisor, a pause or a busy injector says no
    │   └── CapacityExceeded  the zones together would exceed the pump capacity
    ├── DurationError       minutes outside (0, zone max_run_min]
    ├── VolumeError         a target volume not positive, or not reachable within the cap
    ├── RecipeError         the recipe cannot be dosed on this site
    ├── OutputFailed        an output did not switch; everything was switched off
    └── RecordRefused       the store refused a running run's record; its water and
                            dosing were closed again

    ``code`` names the refusal for a page to say in its language (catalog table
    ``refusal``); the message is the box's English record of it.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class RunRefused(SequencerError):
    """The run may not start now."""


class CapacityExceeded(RunRefused):
    """Σ nominal flow of the running zones and this one exceeds the pump capacity."""


class DurationError(SequencerError, ValueError):
    """The run length is not within the zone's limits."""


class VolumeError(SequencerError, ValueError):
    """The target volume is not positive, comes with a recipe, or cannot be reached at the
    zone's nominal flow within the run's time cap."""


class RecipeError(SequencerError, ValueError):
    """The recipe does not fit the site (no fertigation, no tank for a nutrient, no time)."""


class OutputFailed(SequencerError):
    """Switching an output failed; the supervisor switched everything off."""


class RecordRefused(SequencerError):
    """The store refused a record of a running run (its progress, a phase, its end: a row it
    will not change); the run's dosing and water were switched off again."""


@dataclass(frozen=True, slots=True)
class Recipe:
    """What one fertigation event injects: kg per nutrient, or a target EC from one tank."""

    kg: Mapping[str, float] = field(default_factory=dict)
    target_ec_ms_cm: float | None = None
    tank: str | None = None  # the tank dosed to reach target_ec_ms_cm


@dataclass(frozen=True, slots=True)
class ActiveRun:
    """A running run as the API and head works see it (``remaining_s`` in s, water in m³)."""

    zone: str
    run_id: int
    phase: RunPhase
    started: datetime
    remaining_s: float
    applied_m3: float
    target_m3: float | None = None  # a run by volume: it ends when this much was metered
