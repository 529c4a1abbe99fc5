"""Typed errors raised by qanat's pure models.

::

    ModelError                      base of every failure raised by models/
    └── ModelInputError(ValueError) inputs that are physically impossible or inconsistent

A model never returns ``None`` or a sentinel for a failure: it raises one of these, or (where a
function documents it) marks the element as missing in a flag array that travels with the result.
"""

from __future__ import annotations

__all__ = ["ModelError", "ModelInputError"]


class ModelError(Exception):
    """Base class of errors raised by ``models``."""


class ModelInputError(ModelError, ValueError):
    """An input value is physically impossible or inconsistent with another input.

    ``element`` names the offending input (e.g. ``"rh_max"``) and ``index`` locates it in the
    input arrays (``(station, time)`` for the ET0 kernels) when known.
    """

    def __init__(
        self, message: str, *, element: str | None = None, index: tuple[int, ...] | None = None
    ) -> None:
        super().__init__(message)
        self.element = element
        self.index = index
