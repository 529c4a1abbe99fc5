"""Typed errors raised by qanat's pure models.

::

    ModelError                          base of every failure raised by models/
    ├── ModelInputError(ValueError)     inputs that are physically impossible or inconsistent
    │   ├── WaterBalanceInputError      water balance inputs (models.waterbalance)
    │   ├── PlannerInputError           plan inputs, ``element`` a path (models.planner)
    │   ├── SaltInputError              salt balance and leaching inputs (models.salt)
    │   ├── PhenologyInputError         temperatures, observed stages (models.crops.phenology)
    │   └── LearningInputError          training data or queries (models.learning)
    ├── ModelDataError(ValueError)      a parameter library or a key into it is invalid
    │   ├── SoilDataError               soil textures and profiles (models.soils)
    │   └── CropDataError               the crop library (models.crops)
    └── LearnedModelError               a learned model cannot be used (models.learning)
        ├── TooLittleDataError          too little data to train: plain rules stay in charge
        ├── ModelFileError              a persisted model missing or of another version
        └── FitProcessError             the child process of a fit crashed or hung

The ET0 kernels raise ``ModelInputError`` itself. Every input and data class is a
``ValueError`` too, so callers that catch ``ValueError`` keep working; callers that want "the
models could not compute this" catch ``ModelError``.

A model never returns ``None`` or a sentinel for a failure: it raises one of these, or (where a
function documents it) marks the element as missing in a flag array that travels with the result.
"""

from __future__ import annotations

__all__ = ["ModelDataError", "ModelError", "ModelInputError"]


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


class ModelDataError(ModelError, ValueError):
    """Model parameters (a crop or soil library, a soil profile) are missing or implausible.

    Also raised for an unknown key into a library; the message names the file and key.
    """
