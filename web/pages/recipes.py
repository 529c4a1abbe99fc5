"""The dosing recipes on the settings page (admins): add, edit and delete a recipe.

Like the fertigation plan (:mod:`web.pages.fertigation`), the recipes are one list
(``fertigation.recipes``): every change sends the whole new list through
:meth:`~controller.daemon.protocol.ControlService.apply_settings`, which checks it like
the site file, keeps it in ``site.overrides.toml``, hands it to the running daemon and
audits it. A site without ``[[fertigation.channels]]`` has nothing to dose a recipe: every
post is refused (409), as is a form drawn from an older list of recipes. Deleting a
recipe a plan event names is refused by the site check (the event would name nothing).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import Response

from controller.access.accounts import SessionInfo
from controller.daemon.lookups import unknown
from controller.daemon.protocol import SettingsInvalid
from web.i18n import translate
from web.pages.context import AdminPage, CsrfChecked, PagesDep
from web.pages.control import _back
from web.pages.lookups import not_found
from web.pages.plan_form import plan_version
from web.pages.recipe_form import parse_recipe, read_form, site_problem_field
from web.pages.settings import PostedForm, refuse
from web.pages.site_problems import site_problems

router = APIRouter(include_in_schema=False)

RecipeNumber = Annotated[int, Path(ge=1, le=1000, description="recipe number, from 1")]


def _version(form: PostedForm) -> str:
    value = form.get("recipes", "")
    return value.strip() if isinstance(value, str) else ""


RecipesVersion = Annotated[str, Depends(_version)]


def _current(
    request: Request, pages: PagesDep, session: SessionInfo, version: str
) -> tuple[list[str], list[dict[str, Any]]] | Response:
    """``(channel names, recipes)`` as running, or the page refusing the post."""
    locale = session.user.locale
    plan = pages.service.settings().get("fertigation")
    if plan is None or not plan.get("channels"):
        message = translate(locale, "recipes.no_channels")
        return refuse(request, pages, session, [message], status.HTTP_409_CONFLICT)
    if version != plan_version(plan["recipe_table"]):
        message = translate(locale, "recipes.changed")
        return refuse(request, pages, session, [message], status.HTTP_409_CONFLICT)
    return [c["name"] for c in plan["channels"]], list(plan["recipe_table"])


def _apply(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    recipes: list[dict[str, Any]],
    draft: dict[str, Any] | None,
) -> Response:
    """Save ``recipes``; the site check's problems on the page, next to the draft's fields
    when they are about the recipe the form sent."""
    locale = session.user.locale
    try:
        pages.service.apply_settings(
            {"fertigation": {"recipes": recipes}}, actor=session.user.username
        )
    except SettingsInvalid as exc:
        shown = site_problems(locale, exc)
        if draft is not None:
            number = draft["number"] or len(recipes)
            for problem, text in zip(exc.problems, shown, strict=True):
                field = site_problem_field(problem, number, recipes[number - 1])
                if field is not None:
                    draft["errors"].setdefault(field, []).append(text)
        return refuse(request, pages, session, shown, recipe_draft=draft)
    return _back(request, pages, translate(locale, "recipes.saved"), "/settings")


def _save(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    form: PostedForm,
    version: str,
    number: int | None,
) -> Response:
    """Add (``number`` None) or replace recipe ``number`` (from 1) with the form's."""
    current = _current(request, pages, session, version)
    if isinstance(current, Response):
        return current
    channels, recipes = current
    if number is not None and not 1 <= number <= len(recipes):
        raise not_found(session.user.locale, unknown("recipe", recipe=str(number)))
    values = read_form(form)
    recipe, errors = parse_recipe(session.user.locale, values, channels)
    draft = {"number": number, "values": values, "errors": errors}
    if errors:
        shown = [e for field in errors for e in errors[field]]
        return refuse(request, pages, session, shown, recipe_draft=draft)
    if number is None:
        recipes.append(recipe)
    else:
        recipes[number - 1] = recipe
    return _apply(request, pages, session, recipes, draft)


@router.post("/settings/fertigation/recipes")
def add_recipe(
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    form: PostedForm,
    version: RecipesVersion,
) -> Response:
    return _save(request, pages, session, form, version, None)


@router.post("/settings/fertigation/recipes/{number}")
def edit_recipe(
    number: RecipeNumber,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    form: PostedForm,
    version: RecipesVersion,
) -> Response:
    return _save(request, pages, session, form, version, number)


@router.post("/settings/fertigation/recipes/{number}/delete")
def delete_recipe(
    number: RecipeNumber,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    version: RecipesVersion,
) -> Response:
    current = _current(request, pages, session, version)
    if isinstance(current, Response):
        return current
    _channels, recipes = current
    if not 1 <= number <= len(recipes):
        raise not_found(session.user.locale, unknown("recipe", recipe=str(number)))
    del recipes[number - 1]
    return _apply(request, pages, session, recipes, None)
