"""Errors of the models learned from a site's own data (the root is shared).

::

    ModelError
    ├── ModelInputError(ValueError)
    │   └── LearningInputError      training data or a query is malformed (``element`` names it)
    └── LearnedModelError           a learned model cannot be used
        ├── TooLittleDataError      not enough data to train: the plain rules stay in charge
        └── ModelFileError          a persisted model is missing, unreadable or of another version
"""

from __future__ import annotations

from models.errors import ModelError, ModelInputError

__all__ = ["LearnedModelError", "LearningInputError", "ModelFileError", "TooLittleDataError"]


class LearningInputError(ModelInputError):
    """Training data or a query is not finite, of the wrong shape, or inconsistent."""


class LearnedModelError(ModelError):
    """A learned model cannot be trained, loaded or used; the caller falls back to the plain
    rules (and says so)."""


class TooLittleDataError(LearnedModelError):
    """Fewer samples than the model needs (``have`` of ``need``); not a fault of the site."""

    def __init__(self, message: str, *, have: int, need: int) -> None:
        super().__init__(message)
        self.have = have
        self.need = need


class ModelFileError(LearnedModelError):
    """A persisted model file is missing, unreadable, of another kind, or written by another
    format or scikit-learn version (``path`` names the file)."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path
