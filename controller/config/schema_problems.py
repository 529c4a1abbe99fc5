"""The schema's problems (pydantic's checks of the site file's types and bounds) as message
codes, so that the pages can say them in their language.

Each problem keeps pydantic's English in ``problems`` (the site file's and the CLI's
wording). Those of the types in :data:`SCHEMA_TYPES` are also coded ``schema.<type>`` with
the values ``field`` (the key path, a zone by its name: ``zones.z1.soil_fc_m3m3``) and
pydantic's own bounds (``gt``, ``ge``, ``lt``, ``le``, ``min_length``, ``max_length``,
``expected``), numbers written out; an unknown key close to an allowed one is coded
:data:`NEAR_KEY` naming it (``near``), as the line does. A model check that refuses with
:class:`CodedValueError` keeps its code (a key of
:data:`controller.config.site_messages.MESSAGES`) and values; ``field`` is added, and
``zone`` for a zone's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_core import ErrorDetails

from controller.config.site_messages import MESSAGES
from controller.errors import CodedProblem, ControllerError

__all__ = ["GIVEN_CHARS", "NEAR_KEY", "SCHEMA_TYPES", "CodedValueError", "given", "schema_problem"]

# an unknown key near an allowed one: "did you mean ...?" (``site_check.schema.near_key``)
NEAR_KEY = "schema.near_key"

# pydantic error types said in the pages' own words (``site_check.schema.<type>``)
SCHEMA_TYPES = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "too_short",
        "too_long",
        "string_too_short",
        "string_too_long",
        "missing",
        "extra_forbidden",
        "float_parsing",
        "float_type",
        "finite_number",
        "int_parsing",
        "int_type",
        "int_from_float",
        "bool_parsing",
        "bool_type",
        "string_type",
        "literal_error",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_type",
    }
)
_BOUNDS = ("gt", "ge", "lt", "le", "min_length", "max_length", "expected")

# the longest value a problem line repeats; a longer one is cut, ending in "…"
GIVEN_CHARS = 40


class CodedValueError(ControllerError, ValueError):
    """A model check's refusal by ``code`` (a key of the site check's MESSAGES) with its
    ``values``; its text is that code's English. A ``ValueError`` so that pydantic makes it
    one of the site file's validation errors."""

    def __init__(self, code: str, **values: str) -> None:
        super().__init__(MESSAGES[code].format(**values))
        self.code = code
        self.values = values


def schema_problem(
    err: ErrorDetails, text: str, data: Mapping[str, Any], near: str | None = None
) -> CodedProblem | None:
    """``err`` (its problem line ``text``, of the site ``data``) as a coded problem, or
    ``None`` when the pages have no words of their own for it. ``near``: for an unknown key,
    the key it was meant to be (:func:`controller.config.nearkeys.near_key`, as the line
    names it), coded :data:`NEAR_KEY` with the value ``near``."""
    loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
    values = {"field": _field(loc, data)}
    zone = _zone(loc, data)
    if zone is not None:
        values["zone"] = zone
    ctx = err.get("ctx") or {}
    error = ctx.get("error")
    if err["type"] == "value_error" and isinstance(error, CodedValueError):
        return CodedProblem(text, error.code, {**values, **error.values})
    if err["type"] not in SCHEMA_TYPES:
        return None
    if err["type"] == "extra_forbidden" and near is not None:
        return CodedProblem(text, NEAR_KEY, {**values, "near": near})
    values.update({k: _text(ctx[k]) for k in _BOUNDS if k in ctx})
    return CodedProblem(text, f"schema.{err['type']}", values)


def given(err: ErrorDetails) -> str:
    """`` (given VALUE)``: the value the site file gave the key of ``err`` as TOML writes it
    (a string quoted, ``true``, a date), cut to :data:`GIVEN_CHARS`; ``""`` where there is
    none to show: a missing key, an unknown key (the key is the mistake, not its value), a
    table's own check (its input is the whole table), or a check of qanat's own whose
    words already name the value (``0001-01-01 is before 2000-01-01``)."""
    if err["type"] in ("missing", "extra_forbidden") or "input" not in err:
        return ""
    value = err["input"]
    if isinstance(value, Mapping):
        return ""
    text = _toml(value)
    if err["type"] == "value_error" and (text in err["msg"] or str(value) in err["msg"]):
        return ""
    if len(text) > GIVEN_CHARS:
        text = text[: GIVEN_CHARS - 1] + "…"
    return f" (given {text})"


def _toml(value: object) -> str:
    """``value`` written as in the TOML file that gave it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _zone(loc: Sequence[int | str], data: Mapping[str, Any]) -> str | None:
    """The name of the zone ``loc`` is in (``None``: not in a zone, or it has no name)."""
    if len(loc) < 2 or loc[0] != "zones" or not isinstance(loc[1], int):
        return None
    zones = data.get("zones")
    if not isinstance(zones, list) or not 0 <= loc[1] < len(zones):
        return None
    name = zones[loc[1]].get("name") if isinstance(zones[loc[1]], dict) else None
    return name if isinstance(name, str) and name else None


def _field(loc: Sequence[int | str], data: Mapping[str, Any]) -> str:
    """The key path of ``loc``, a zone by its name (``zones.z1.mad_fraction``)."""
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in loc]
    zone = _zone(loc, data)
    if zone is not None:
        parts[:2] = ["zones", zone]
    out = ""
    for part in parts:
        out += part if part.startswith("[") or not out else f".{part}"
    return out or "(top level)"


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
