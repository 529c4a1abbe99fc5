"""Counts in words: ``1 bus``, ``2 buses``, ``0 problems``; things named by their ids:
``run 8``, ``runs 8, 9`` (English lines of the commands and records)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["counted", "named"]


def counted(n: int, one: str, many: str) -> str:
    """``n`` things in words: ``one`` for exactly 1, ``many`` otherwise (0 too)."""
    return f"{n} {one if n == 1 else many}"


def named(ids: Sequence[object], one: str, many: str) -> str:
    """Things named by their ``ids``: ``one`` and the id for exactly one (``run 8``),
    ``many`` and the ids joined by ``", "`` otherwise (``runs 8, 9``)."""
    return f"{one if len(ids) == 1 else many} {', '.join(str(i) for i in ids)}"
