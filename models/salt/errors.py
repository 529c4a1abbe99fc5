"""Errors of the salt balance (independent of other model packages; the root is shared).

::

    ModelError
    └── ModelInputError(ValueError)
        └── SaltInputError   a salt balance or leaching input is negative or inconsistent
"""

from __future__ import annotations

from models.errors import ModelInputError

__all__ = ["SaltInputError"]


class SaltInputError(ModelInputError):
    """An EC, a depth of water or a salt mass is negative, not finite, or inconsistent with
    another input (``element`` names it)."""
