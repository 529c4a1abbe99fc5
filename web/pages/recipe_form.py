"""A dosing recipe's form on the settings page: read, checked, drawn again.

The form sends ``name``, ``stage``, ``ec_ms_cm``, ``ph`` and, for each channel of the
site, ``amount:<channel>`` with ``unit:<channel>`` (``kg_mu``, ``l_mu`` or ``l_m3``; an
empty amount leaves the channel out of the recipe). Only "is it a number" is read here;
the rest is the site file's own rule, :class:`controller.config.dosing.DosingRecipe`, whose
errors go next to the field they name, in the page's language. The service then checks
the whole site (:func:`controller.config.dosing.channel_problems`: a kg amount needs the
channel's ``stock_kg_l``, the EC setpoint within ``[safety]``, ...), and
:func:`site_problem_field` puts those next to their field too.

Recipes are numbered from 1 on the page, in the site's order. Each form carries the
recipes' version (a hash of the list it was drawn from): an edit or delete made on an
older page is refused instead of hitting another recipe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from controller.config.dosing import DosingRecipe
from web.i18n import translate
from web.pages.plan_form import plan_version
from web.pages.site_problems import say_schema

__all__ = [
    "AMOUNT",
    "FIELDS",
    "UNIT",
    "UNITS",
    "parse_recipe",
    "read_form",
    "recipe_forms",
    "site_problem_field",
]

FIELDS = ("name", "stage", "ec_ms_cm", "ph")
NUMBERS = ("ec_ms_cm", "ph")
AMOUNT, UNIT = "amount:", "unit:"
UNITS = ("kg_mu", "l_mu", "l_m3")  # ChannelDose's amounts
FORM = "recipe"  # errors of the recipe as a whole
# pydantic error types with a message of the recipe form's own; the others the site
# check's schema messages say (controller.config.schema_problems), or pydantic's text
_MESSAGES = frozenset({"missing_dose", "string_pattern_mismatch"})
_SITE_PROBLEM = re.compile(r"^fertigation\.recipes\[(\d+)\](?:\.([a-z_]+)(?:\[(\d+)\])?)?\S*: ")


def read_form(form: Mapping[str, Any]) -> dict[str, str]:
    """The recipe's fields as sent (stripped text), nothing else."""
    return {
        key: value.strip()
        for key, value in form.items()
        if isinstance(value, str) and (key in FIELDS or key.startswith((AMOUNT, UNIT)))
    }


def parse_recipe(
    locale: str, values: dict[str, str], channels: list[str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The recipe for ``fertigation.recipes`` (unset keys left out) and the problems by
    form field (``name``, ``amount:N``, ..., ``recipe`` for the whole)."""
    errors: dict[str, list[str]] = {}

    def problem(where: str, key: str, **fmt: Any) -> None:
        text = translate(locale, f"recipes.{key}", field=_label(locale, where), **fmt)
        errors.setdefault(where, []).append(text)

    recipe: dict[str, Any] = {"name": values.get("name", "")}
    if values.get("stage"):
        recipe["stage"] = values["stage"]
    for key in NUMBERS:
        text = values.get(key, "")
        if text:
            number = _number(text)
            if number is None:
                problem(key, "not_a_number", value=text)
            recipe[key] = number
    doses, where = [], []
    for channel in channels:
        text, unit = values.get(AMOUNT + channel, ""), values.get(UNIT + channel, "")
        if not text:
            continue
        number = _number(text)
        if number is None:
            problem(AMOUNT + channel, "not_a_number", value=text)
        if unit not in UNITS:
            problem(AMOUNT + channel, "bad_unit", value=unit)
        doses.append({"channel": channel, unit: number})
        where.append(AMOUNT + channel)
    for key in values:
        if key.startswith(AMOUNT) and key.removeprefix(AMOUNT) not in channels and values[key]:
            problem(FORM, "unknown_channel", value=key.removeprefix(AMOUNT))
    recipe["doses"] = doses
    if errors:
        return recipe, errors
    try:
        DosingRecipe.model_validate(recipe)  # the site file's rule
    except ValidationError as exc:
        for err in exc.errors():
            field = _field(err["loc"], where)
            errors.setdefault(field, []).append(_message(locale, field, err))
    return recipe, errors


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _field(loc: tuple[int | str, ...], doses: list[str]) -> str:
    """The form field of a model error's location."""
    if not loc:
        return FORM
    if loc[0] == "doses":
        if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(doses):
            return doses[loc[1]]
        return FORM
    return str(loc[0]) if loc[0] in FIELDS else FORM


def _label(locale: str, field: str) -> str:
    if field.startswith(AMOUNT):
        return translate(locale, "recipes.amount_of", channel=field.removeprefix(AMOUNT))
    return translate(locale, f"recipes.field_{field}")


def _message(locale: str, field: str, err: ErrorDetails) -> str:
    kind = "missing_dose" if field == FORM and err["type"] == "too_short" else err["type"]
    if kind in _MESSAGES:
        ctx = err.get("ctx") or {}
        return translate(locale, f"recipes.err_{kind}", field=_label(locale, field), **ctx)
    said = say_schema(locale, err, _label(locale, field))
    if said is not None:
        return said
    problem = err["msg"].removeprefix("Value error, ")
    return translate(locale, "recipes.model_problem", field=_label(locale, field), problem=problem)


def site_problem_field(problem: str, number: int, recipe: dict[str, Any]) -> str | None:
    """The form field a site check's problem names, if it is about recipe ``number``
    (from 1) as saved: ``fertigation.recipes[2].doses[1].kg_mu: ...`` -> ``amount:P``."""
    found = _SITE_PROBLEM.match(problem)
    if found is None or int(found.group(1)) != number - 1:
        return None
    key, index = found.group(2), found.group(3)
    if key == "doses" and index is not None and int(index) < len(recipe["doses"]):
        return AMOUNT + recipe["doses"][int(index)]["channel"]
    return key if key in FIELDS else FORM


def _values(recipe: dict[str, Any]) -> dict[str, str]:
    """A saved recipe as the form's text."""
    out = {k: "" if recipe.get(k) is None else str(recipe[k]) for k in FIELDS}
    for dose in recipe.get("doses", []):
        unit = next(u for u in UNITS if dose.get(u) is not None)
        out[AMOUNT + dose["channel"]] = f"{dose[unit]:g}"
        out[UNIT + dose["channel"]] = unit
    return out


def recipe_forms(settings: dict[str, Any], draft: dict[str, Any] | None) -> dict[str, Any]:
    """What the settings page needs to draw the recipes' forms (``None`` without channels).

    ``draft`` (``{"number": n or None for a new recipe, "values": ..., "errors": ...}``) is
    a form refused a moment ago, drawn again as it was sent, opened, with its errors.
    """
    plan = settings.get("fertigation")
    if plan is None or not plan.get("channels"):
        return {"recipes": None}
    table = plan["recipe_table"]
    forms = [
        {"number": i, "fields": _values(r), "errors": {}, "open": False}
        for i, r in enumerate(table, start=1)
    ]
    new = {"number": None, "fields": _values({}), "errors": {}, "open": False}
    if draft is not None:
        target = new if draft["number"] is None else forms[draft["number"] - 1]
        target.update(fields=draft["values"], errors=draft["errors"], open=True)
    return {
        "recipes": {
            "version": plan_version(table),
            "channels": plan["channels"],
            "units": UNITS,
            "forms": forms,
            "new": new,
        }
    }
