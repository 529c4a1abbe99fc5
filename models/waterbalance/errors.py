"""Errors of the water balance (independent of other model packages; the root is shared).

::

    ModelError
    └── ModelInputError(ValueError)
        └── WaterBalanceInputError   a water balance input is missing, mis-shaped or implausible
"""

from __future__ import annotations

from models.errors import ModelInputError

__all__ = ["WaterBalanceInputError"]


class WaterBalanceInputError(ModelInputError):
    """Inputs to the water balance are missing, mis-shaped or physically implausible."""
