"""Errors of the models learned from a site's own data (the root is shared).

::

    ModelError
    ├── ModelInputError(ValueError)
    │   └── LearningInputError      training data or a query is malformed (``element`` names it)
    └── LearnedModelError           a learned model cannot be used
        ├── TooLittleDataError      not enough data to train: the plain rules stay in charge
        ├── ModelFileError          a persisted model is missing, unreadable or of another version
        └── FitProcessError         the child process of a fit crashed, hung or could not start
"""

from __future__ import annotations

from typing import Any

from models.errors import ModelError, ModelInputError

__all__ = [
    "FitProcessError",
    "LearnedModelError",
    "LearningInputError",
    "ModelFileError",
    "TooLittleDataError",
]


class LearningInputError(ModelInputError):
    """Training data or a query is not finite, of the wrong shape, or inconsistent."""

    def __reduce__(self) -> tuple[Any, ...]:  # crosses from a fit's child process intact
        return (_rebuild, (type(self), str(self), {"element": self.element, "index": self.index}))


class LearnedModelError(ModelError):
    """A learned model cannot be trained, loaded or used; the caller falls back to the plain
    rules (and says so)."""


class TooLittleDataError(LearnedModelError):
    """Fewer samples than the model needs (``have`` of ``need``); not a fault of the site."""

    def __init__(self, message: str, *, have: int, need: int) -> None:
        super().__init__(message)
        self.have = have
        self.need = need

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), {"have": self.have, "need": self.need}))


class ModelFileError(LearnedModelError):
    """A persisted model file is missing, unreadable, of another kind, or written by another
    format or scikit-learn version (``path`` names the file)."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), {"path": self.path}))


class FitProcessError(LearnedModelError):
    """The short-lived child process a fit runs in crashed, outlived its timeout or could not
    start (:mod:`models.learning.child`); the plain rules stay in charge."""


def _rebuild(cls: type[Exception], message: str, fields: dict[str, Any]) -> Exception:
    """An error sent back by a fit's child process (keyword-only fields survive pickling)."""
    return cls(message, **fields)
