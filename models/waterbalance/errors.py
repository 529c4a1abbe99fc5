"""Errors of the water balance (independent of other model packages)."""

__all__ = ["WaterBalanceInputError"]


class WaterBalanceInputError(ValueError):
    """Inputs to the water balance are missing, mis-shaped or physically implausible."""
