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

from tests.helpers.site import ROOT

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


class Unexplained(AssertionError):
    """A refusal's code the collector cannot read as a written string."""


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _passes_on(node: ast.expr) -> bool:
    """``exc.code``: the sequencer's code passed on."""
    return isinstance(node, ast.Attribute) and node.attr == "code"


def _code_arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if index < len(call.args) else None


def refusal_codes() -> dict[str, list[str]]:
    """code -> the places (``path:line``) that write it."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "controller").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not any(f"{name}(" in text for name in ("ControlRefused", *SEQUENCER_ERRORS)):
            continue  # no refusal made here: not worth parsing
        tree = ast.parse(text, str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            if name == "ControlRefused":
                arg = _code_arg(node, 2, "reason_code") or _code_arg(node, 1, "code")
            elif name in SEQUENCER_ERRORS:
                arg = _code_arg(node, 1, "code")
            else:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if arg is None:
                code = "refused"  # ControlRefused's default
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                code = arg.value
            elif _passes_on(arg):
                continue
            else:
                raise Unexplained(f"{where}: the refusal's code is not a written string")
            found.setdefault(code, []).append(where)
    return found
