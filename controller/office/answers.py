"""What a box's answer was, in words, when it is not what the office asked for.

A pull refused for an answer that is not the export (a proxy's login page, another service on
the box's port, a broken line) says what came back — its content type, its size and its
start as text — never Python's words for it (``Expecting value: line 1 column 1 (char 0)``,
``b'<html>'``).
"""

from __future__ import annotations

__all__ = ["NOT_A_BOX", "came_back", "start_of"]

SHOWN_CHARS = 40  # this much of an answer is quoted
NOT_A_BOX = "is the url a qanat box's address, not a proxy's login page or another service?"


def start_of(body: bytes, chars: int = SHOWN_CHARS) -> str:
    """The start of ``body`` as quoted text (``'<html><title>Login…'``), bytes not UTF-8
    replaced, with ``…`` when cut."""
    text = body[:chars].decode("utf-8", "replace")
    return repr(text) + ("…" if len(body) > chars else "")


def came_back(body: bytes, content_type: str) -> str:
    """``text/html (126 bytes: '<html>…'…)``: the answer's type, size and start."""
    kind = content_type.split(";")[0].strip() or "no Content-Type"
    return f"{kind} ({len(body)} bytes: {start_of(body)})"
