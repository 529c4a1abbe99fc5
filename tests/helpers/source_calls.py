"""The packages' source parsed for the code collectors, and the calls read from it.

:mod:`tests.helpers.refusal_codes` (the codes a page can be refused with) and
:mod:`tests.helpers.alarm_codes` (the codes an event can be raised with) read the same
source the same way: every module of some packages parsed, a call known by the name it is
called with, the code found among its arguments by keyword or by place, and a code the
collector cannot read refused with :class:`Unexplained` naming the place. What each follows
from there is its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.helpers.site import ROOT

__all__ = ["Parsed", "Unexplained", "argument", "call_name", "parsed", "place_of"]


class Unexplained(AssertionError):
    """A code argument a collector cannot follow to its written strings."""


@dataclass(frozen=True)
class Parsed:
    """One module of the packages: its file and its syntax tree."""

    path: Path
    tree: ast.Module


@cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def parsed(packages: Iterable[str], *, mentioning: Iterable[str] = ()) -> list[Parsed]:
    """Every module below ``packages`` (folders of :data:`ROOT`), in path order; with
    ``mentioning``, only those whose text holds a call of one of those names (``name(``):
    a module that makes none is not worth parsing."""
    names = tuple(mentioning)
    out = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if names:
                text = path.read_text(encoding="utf-8")
                if not any(f"{name}(" in text for name in names):
                    continue
            out.append(Parsed(path, _parse(path)))
    return out


def call_name(call: ast.Call) -> str | None:
    """The name a call is made by: ``f(...)`` and ``x.f(...)`` are both ``f``; ``None`` for a
    call of anything else (``f()()``, ``xs[0](...)``)."""
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    """The argument given as ``keyword=``, else the ``index``-th positional one, else ``None``
    (left to its default)."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if index < len(call.args) else None


def place_of(path: Path, node: ast.expr | ast.stmt) -> str:
    """``path:line`` of a node, the path relative to the source tree, for messages."""
    return f"{path.relative_to(ROOT)}:{node.lineno}"
