"""The fertigation plan's forms: what an event form sends, how it is checked, how it is shown.

An event is checked here for form — numbers, ranges, exactly one of "day after
planting" and date, kg per mu or a target EC with its tank or a recipe of the site
alone, a tank holding each nutrient, zones that exist and are not manual — with
messages in the page's language that name the event (its number and label) and the field. The site
validation (through the service) has the last word.

Events are numbered from 1 on the page, in the plan's order. Each form carries
the plan's version (a hash of the plan it was drawn from), so an edit or delete
made on a page older than the plan is refused instead of hitting another event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Form

from web.i18n import translate
from web.params import MAX_LABEL_CHARS, MAX_LIST_ITEMS, MAX_TEXT_CHARS, MAX_TOKEN_CHARS

__all__ = [
    "AMOUNTS",
    "EventForm",
    "EventFormDep",
    "event_name",
    "parse_event",
    "plan_forms",
    "plan_version",
]

# form field -> nutrient; kg per mu per event, FertEventConfig's bounds
AMOUNTS = {"n_kg_mu": "N", "p2o5_kg_mu": "P2O5", "k2o_kg_mu": "K2O"}
KG_MU_MAX = 100.0
EC_MAX = 20.0
DAY_MAX = 366


@dataclass
class EventForm:
    """An event as the form sends it: text, unchecked."""

    label: str = ""
    zones: list[str] = field(default_factory=list)
    day_after_planting: str = ""
    date: str = ""
    n_kg_mu: str = ""
    p2o5_kg_mu: str = ""
    k2o_kg_mu: str = ""
    target_ec_ms_cm: str = ""
    tank: str = ""
    recipe: str = ""  # a [[fertigation.recipes]] name, alone
    plan: str = ""  # the plan version the page was drawn from

    def values(self) -> dict[str, Any]:
        """For drawing the form again as it was sent."""
        return {k: v for k, v in self.__dict__.items() if k != "plan"}


def event_form(
    label: Annotated[str, Form(max_length=MAX_LABEL_CHARS)] = "",
    zones: Annotated[list[str] | None, Form(max_length=MAX_LIST_ITEMS)] = None,
    day_after_planting: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    date: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    n_kg_mu: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    p2o5_kg_mu: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    k2o_kg_mu: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    target_ec_ms_cm: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    tank: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    recipe: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    plan: Annotated[str, Form(max_length=MAX_TOKEN_CHARS)] = "",
) -> EventForm:
    return EventForm(
        label=label.strip(),
        zones=zones or [],
        day_after_planting=day_after_planting.strip(),
        date=date.strip(),
        n_kg_mu=n_kg_mu.strip(),
        p2o5_kg_mu=p2o5_kg_mu.strip(),
        k2o_kg_mu=k2o_kg_mu.strip(),
        target_ec_ms_cm=target_ec_ms_cm.strip(),
        tank=tank.strip(),
        recipe=recipe.strip(),
        plan=plan.strip(),
    )


EventFormDep = Annotated[EventForm, Depends(event_form)]


def plan_version(events: list[dict[str, Any]]) -> str:
    """A short hash of the plan: a form drawn from another plan is stale."""
    text = json.dumps(events, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def event_name(locale: str, number: int, label: str) -> str:
    """How messages name an event: 第 3 次施肥「拔节」, event 3 “jointing”."""
    if label:
        return translate(locale, "settings.event_named", number=number, label=label)
    return translate(locale, "settings.event_number", number=number)


def parse_event(
    locale: str, number: int, form: EventForm, settings: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The event for ``fertigation.events`` (unset keys left out) and the form's problems."""
    plan = settings["fertigation"]
    name = event_name(locale, number, form.label)
    errors: list[str] = []

    def problem(key: str, **values: Any) -> None:
        errors.append(translate(locale, f"settings.{key}", event=name, **values))

    def field_name(key: str) -> str:
        return translate(locale, f"settings.field_{key}")

    event: dict[str, Any] = {"label": form.label}
    if form.zones:
        event["zones"] = _zones(form.zones, settings["zones"], problem)
    _when(form, event, problem, field_name)
    if form.recipe:
        if form.recipe not in plan.get("recipes", []):
            problem("ev_unknown_recipe", value=form.recipe)
        if any(getattr(form, k) for k in (*AMOUNTS, "target_ec_ms_cm", "tank")):
            problem("ev_recipe_alone")
        event["recipe"] = form.recipe
        return event, errors
    for key, nutrient in AMOUNTS.items():
        text = getattr(form, key)
        value = _number(text, 0.0, KG_MU_MAX, problem, field_name(key))
        if value is None:
            continue
        event[key] = value
        if nutrient not in {t["nutrient"] for t in plan["tanks"]}:
            problem("ev_no_tank_holds", field=field_name(key), nutrient=nutrient)
    ec = _number(form.target_ec_ms_cm, 0.0, EC_MAX, problem, field_name("target_ec_ms_cm"))
    _ec_and_tank(form, ec, event, plan, problem)
    return event, errors


def _zones(chosen: list[str], zones: dict[str, Any], problem: Callable[..., None]) -> list[str]:
    out = []
    for name in chosen:
        if name not in zones:
            problem("ev_unknown_zone", value=name)
        elif zones[name]["mode"] == "manual":
            problem("ev_manual_zone", zone=zones[name]["label"] or name)
        elif name not in out:
            out.append(name)
    return out


def _when(
    form: EventForm,
    event: dict[str, Any],
    problem: Callable[..., None],
    field_name: Callable[[str], str],
) -> None:
    if bool(form.day_after_planting) == bool(form.date):
        problem("ev_both_when" if form.date else "ev_no_when")
        return
    if form.date:
        try:
            event["date"] = dt.date.fromisoformat(form.date)
        except ValueError:
            problem("ev_bad_date", value=form.date)
        return
    try:
        day = int(form.day_after_planting)
    except ValueError:
        day = -1
    if not 0 <= day <= DAY_MAX:
        problem("ev_bad_day", value=form.day_after_planting, high=DAY_MAX)
    else:
        event["day_after_planting"] = day


def _number(
    text: str, above: float, high: float, problem: Callable[..., None], name: str
) -> float | None:
    """``None`` when empty; a number in (above, high], else a problem and ``None``."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problem("ev_not_number", field=name, value=text)
        return None
    if not (above < value <= high and math.isfinite(value)):
        problem("ev_out_of_range", field=name, value=text, low=f"{above:g}", high=f"{high:g}")
        return None
    return value


def _ec_and_tank(
    form: EventForm,
    ec: float | None,
    event: dict[str, Any],
    plan: dict[str, Any],
    problem: Callable[..., None],
) -> None:
    kg = any(k in event for k in AMOUNTS)
    entered_kg = any(getattr(form, k) for k in AMOUNTS)
    if form.tank and form.tank not in {t["name"] for t in plan["tanks"]}:
        problem("ev_unknown_tank", value=form.tank)
    if ec is None:
        if not form.target_ec_ms_cm and not entered_kg:
            problem("ev_no_amount")
        if form.tank and not form.target_ec_ms_cm:
            problem("ev_tank_without_ec")
        return
    if kg or entered_kg:
        problem("ev_both_amounts")
    if not form.tank:
        problem("ev_ec_needs_tank")
    if ec <= plan["source_ec_ms_cm"]:
        problem("ev_ec_low", value=form.target_ec_ms_cm, source=plan["source_ec_ms_cm"])
    elif ec > plan["ec_max_ms_cm"]:
        problem("ev_ec_high", value=form.target_ec_ms_cm, high=plan["ec_max_ms_cm"])
    event["target_ec_ms_cm"] = ec
    if form.tank:
        event["tank"] = form.tank


def _values(event: dict[str, Any]) -> dict[str, Any]:
    """A stored event as the form's text."""
    out: dict[str, Any] = {"label": event.get("label", ""), "zones": event.get("zones") or []}
    for key in ("day_after_planting", "date", *AMOUNTS, "target_ec_ms_cm", "tank", "recipe"):
        value = event.get(key)
        out[key] = "" if value is None else f"{value:g}" if isinstance(value, float) else value
    return out


def plan_forms(settings: dict[str, Any], draft: dict[str, Any] | None) -> dict[str, Any]:
    """What the settings page needs to draw the plan's forms.

    ``draft`` (``{"number": n or None for a new event, "values": ...}``) is a form
    refused a moment ago, drawn again as it was sent and opened. (A form's text is under
    ``fields``: in a template ``form.values`` would be the dict's method.)
    """
    plan = settings.get("fertigation")
    if plan is None:
        return {"plan": None}
    forms = [
        {"number": i, "fields": _values(e), "open": False}
        for i, e in enumerate(plan["events"], start=1)
    ]
    new = {"number": None, "fields": _values({}), "open": False}
    if draft is not None:
        target = new if draft["number"] is None else forms[draft["number"] - 1]
        target.update(fields=draft["values"], open=True)
    return {"plan": {"version": plan_version(plan["events"]), "forms": forms, "new": new}}
