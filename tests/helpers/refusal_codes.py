"""Every refusal code the code base can give a page, read from its source.

A refusal reaches a page as :class:`controller.daemon.protocol.ControlRefused`; the page
says it by its ``reason_code`` (catalog table ``refusal``). That code is written at one of
two places: the code argument of ``ControlRefused(reason, code, reason_code)`` (the third
when given, else the second), or the code of a sequencer refusal
(:class:`controller.runtime.runs.SequencerError` and its subclasses: ``RunRefused(message,
code)``), which the service passes on. A code argument that is not a string written there
raises :class:`Unexplained`, so a refusal cannot slip past with a code no one can list;
``ControlRefused(str(exc), type(exc).__name__, exc.code)`` (the sequencer's, listed from
its raises) is the one pass-on allowed.
"""

from __future__ import annotations

import ast

from tests.helpers.source_calls import Unexplained, argument, call_name, parsed, place_of

__all__ = ["SEQUENCER_ERRORS", "Unexplained", "refusal_codes"]

SEQUENCER_ERRORS = (
    "SequencerError",
    "RunRefused",
    "CapacityExceeded",
    "DurationError",
    "VolumeError",
    "RecipeError",
    "OutputFailed",
)


def _passes_on(node: ast.expr) -> bool:
    """``exc.code``: the sequencer's code passed on."""
    return isinstance(node, ast.Attribute) and node.attr == "code"


def refusal_codes() -> dict[str, list[str]]:
    """code -> the places (``path:line``) that write it."""
    found: dict[str, list[str]] = {}
    for module in parsed(["controller"], mentioning=("ControlRefused", *SEQUENCER_ERRORS)):
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call):
                continue
            name = call_name(node)
            if name == "ControlRefused":
                arg = argument(node, 2, "reason_code") or argument(node, 1, "code")
            elif name in SEQUENCER_ERRORS:
                arg = argument(node, 1, "code")
            else:
                continue
            place = place_of(module.path, node)
            if arg is None:
                code = "refused"  # ControlRefused's default
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                code = arg.value
            elif _passes_on(arg):
                continue
            else:
                raise Unexplained(f"{place}: the refusal's code is not a written string")
            found.setdefault(code, []).append(place)
    return found
