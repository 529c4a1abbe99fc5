"""Errors of the irrigation planner.

::

    ModelError
    └── ModelInputError(ValueError)
        └── PlannerInputError        a plan input is missing, mis-shaped or implausible

``element`` names the offending input as a path into :class:`~models.planner.PlanInputs`
(e.g. ``"zones[2].mad_fraction[3]"`` or ``"tariff_per_kwh[17]"``).
"""

from __future__ import annotations

from models.errors import ModelInputError

__all__ = ["PlannerInputError"]


class PlannerInputError(ModelInputError):
    """A plan input is missing, has the wrong length, or is physically implausible."""

    def __init__(self, element: str, problem: str) -> None:
        super().__init__(f"{element}: {problem}", element=element)
