"""Counts in words: ``1 bus``, ``2 buses``, ``0 problems`` (English lines of the commands)."""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, one: str, many: str) -> str:
    """``n`` things in words: ``one`` for exactly 1, ``many`` otherwise (0 too)."""
    return f"{n} {one if n == 1 else many}"
