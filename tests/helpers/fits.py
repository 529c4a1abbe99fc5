"""Fits for the child-process tests: module-level, so a spawned child imports them by name."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from models.learning.errors import TooLittleDataError


def modules_and_sum(values: list[float]) -> tuple[float, bool]:
    """The sum, and whether scikit-learn was imported by the time the fit ran."""
    return sum(values), "sklearn" in sys.modules


def too_little(have: int) -> None:
    raise TooLittleDataError(f"{have} of 5 runs", have=have, need=5)


def crash(*_args: Any) -> None:
    """Dies as a process killed for memory would: no answer, no exception."""
    os._exit(9)


def hang(*_args: Any, **_kwargs: Any) -> None:
    """Never answers (a fit stuck in native code)."""
    threading.Event().wait()


def unpicklable(*_args: Any) -> object:
    return threading.Lock()
