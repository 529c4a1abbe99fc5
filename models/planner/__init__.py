"""Irrigation planner: when and how long each zone runs over the next days.

Projects each zone's root-zone depletion (FAO-56 eq. 85) with ETc = Kc · ET0 (eq. 56) from a
forecast or recent measured ET0, triggers at MAD · TAW (RAW = p · TAW, eq. 83, when MAD = p),
refills to a target depletion with gross = net / efficiency, and allocates slots within the
allowed windows under the pump capacity, preferring cheap tariff slots, with cycle-and-soak,
rain skip, wind and frost limits. A numba kernel does the projection and allocation; a
plain-Python reference of it is held equal by tests. Every zone gets a :class:`ZoneDecision`
with the numbers used, reason codes and an English sentence.
"""

from models.planner.errors import PlannerInputError
from models.planner.plan import plan
from models.planner.types import (
    Forecast,
    PlanInputs,
    PlannedEvent,
    PlanResult,
    ReasonCode,
    System,
    ZoneDecision,
    ZonePlanInput,
)

__all__ = [
    "Forecast",
    "PlanInputs",
    "PlanResult",
    "PlannedEvent",
    "PlannerInputError",
    "ReasonCode",
    "System",
    "ZoneDecision",
    "ZonePlanInput",
    "plan",
]
