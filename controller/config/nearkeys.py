"""The key a misspelt one was meant to be: ``application_mm`` → ``application_mm_h``.

An unknown key is refused (the site file's models forbid extras); the problem then names the
nearest key allowed at the same place when one is close enough (:func:`difflib.get_close_matches`
at ratio ≥ 0.6), so a unit typo or a missing suffix is mended at once.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Collection, Iterator, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["near_key"]

CLOSE_ENOUGH = 0.6  # difflib ratio: "application_mm" to "application_mm_h" is 0.93


def near_key(
    root: type[BaseModel], loc: Sequence[int | str], among: Collection[str] | None = None
) -> str | None:
    """The key allowed beside the unknown one at ``loc`` (its key path in ``root``'s data)
    nearest to it, or ``None`` when none is close or the place is not a model.

    ``among``: only these of the allowed keys are offered (the keys the pages may edit)."""
    *where, key = loc
    if not isinstance(key, str):
        return None
    annotation: Any = root
    for part in where:
        annotation = _descend(annotation, part)
        if annotation is None:
            return None
    allowed = [name for model in _models(annotation) for name in model.model_fields]
    if among is not None:
        allowed = [name for name in allowed if name in among]
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=CLOSE_ENOUGH)
    return close[0] if close else None


def _alternatives(annotation: Any) -> Iterator[Any]:
    """``annotation`` without ``Annotated`` and split at its unions (``X | None``)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _alternatives(get_args(annotation)[0])
    elif origin is Union or origin is types.UnionType:
        for arg in get_args(annotation):
            yield from _alternatives(arg)
    else:
        yield annotation


def _models(annotation: Any) -> list[type[BaseModel]]:
    return [
        a for a in _alternatives(annotation) if isinstance(a, type) and issubclass(a, BaseModel)
    ]


def _descend(annotation: Any, part: int | str) -> Any:
    """The type of ``part`` (a list index, a table's key or a model's field) in a value of
    ``annotation``; ``None`` when it has none."""
    for candidate in _alternatives(annotation):
        origin = get_origin(candidate)
        if isinstance(part, int) and origin in (list, tuple):
            return get_args(candidate)[0]
        if isinstance(part, str) and origin is dict:
            return get_args(candidate)[1]
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get(str(part))
            if field is not None:
                return field.annotation
    return None
