"""A decision's codes said in English from the page catalog, to hold against its record.

The English catalog's ``reason_code`` messages are worded as the planner writes its
sentences, so a decision's codes with their values said in English give back its recorded
sentence after the zone's name (``"z4: "``). A test that compares the two catches a
wording changed on one side only, or a value the codes do not carry.
"""

from __future__ import annotations

from typing import Any

from web.i18n import catalog, translate

__all__ = ["said_in_english"]


def said_in_english(inputs: dict[str, Any]) -> str:
    """The decision's ``reasons`` said by the English catalog with its ``reason_values``;
    a code the catalog lacks fails."""
    english = catalog("en")
    codes = inputs["reasons"]
    missing = [c for c in codes if f"reason_code.{c}" not in english]
    assert not missing, f"codes without an English message: {missing}"
    values = inputs.get("reason_values", {})
    return "; ".join(translate("en", f"reason_code.{c}", **values) for c in codes)
