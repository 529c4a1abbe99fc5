"""The fertigation plan on the settings page (admins): add, edit and delete events.

The plan is one list (``fertigation.events``): every change sends the whole new
list through :meth:`~controller.daemon.protocol.ControlService.apply_settings`, which
checks it like the site file, keeps it in ``site.overrides.toml``, hands it to
the running daemon (re-planned at once) and audits it. A site without an
injector (no ``[fertigation]`` in its file) has no plan to edit: every post is
refused. A form drawn from an older plan is refused too (409), so a delete
never hits the event that moved into its number.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import Response

from controller.access.accounts import SessionInfo
from controller.daemon.lookups import unknown
from web.i18n import translate
from web.pages.context import AdminPage, CsrfChecked, PagesDep
from web.pages.lookups import not_found
from web.pages.plan_form import EventForm, EventFormDep, event_name, parse_event, plan_version
from web.pages.settings import apply, refuse

router = APIRouter(include_in_schema=False)

EventNumber = Annotated[int, Path(ge=1, le=1000, description="event number, from 1")]


def _current_plan(
    request: Request, pages: PagesDep, session: SessionInfo, version: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | Response:
    """``(settings, events)`` of the running plan, or the page refusing the post."""
    locale = session.user.locale
    settings = pages.service.settings()
    plan = settings.get("fertigation")
    if plan is None:
        message = translate(locale, "settings.fertigation_none")
        return refuse(request, pages, session, [message], status.HTTP_409_CONFLICT)
    if version != plan_version(plan["events"]):
        message = translate(locale, "settings.plan_changed")
        return refuse(request, pages, session, [message], status.HTTP_409_CONFLICT)
    return settings, list(plan["events"])


def _names(locale: str, events: list[dict[str, Any]]) -> list[str]:
    return [event_name(locale, i, e.get("label", "")) for i, e in enumerate(events, start=1)]


def _save(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    form: EventForm,
    number: int | None,
) -> Response:
    """Add (``number`` None) or replace event ``number`` (from 1) with the form's event."""
    current = _current_plan(request, pages, session, form.plan)
    if isinstance(current, Response):
        return current
    settings, events = current
    if number is not None and not 1 <= number <= len(events):
        raise not_found(session.user.locale, unknown("fertigation_event", event=str(number)))
    locale = session.user.locale
    event, errors = parse_event(locale, number or len(events) + 1, form, settings)
    draft = {"number": number, "values": form.values()}
    if errors:
        return refuse(request, pages, session, errors, draft=draft)
    if number is None:
        events.append(event)
    else:
        events[number - 1] = event
    return apply(
        request,
        pages,
        session,
        {"fertigation": {"events": events}},
        event_names=_names(locale, events),
        draft=draft,
        saved="settings.plan_saved",
    )


@router.post("/settings/fertigation/events")
def add_event(
    request: Request, pages: PagesDep, session: AdminPage, _: CsrfChecked, form: EventFormDep
) -> Response:
    return _save(request, pages, session, form, None)


@router.post("/settings/fertigation/events/{number}")
def edit_event(
    number: EventNumber,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    form: EventFormDep,
) -> Response:
    return _save(request, pages, session, form, number)


@router.post("/settings/fertigation/events/{number}/delete")
def delete_event(
    number: EventNumber,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    form: EventFormDep,
) -> Response:
    current = _current_plan(request, pages, session, form.plan)
    if isinstance(current, Response):
        return current
    _settings, events = current
    if not 1 <= number <= len(events):
        raise not_found(session.user.locale, unknown("fertigation_event", event=str(number)))
    del events[number - 1]
    return apply(
        request,
        pages,
        session,
        {"fertigation": {"events": events}},
        event_names=_names(session.user.locale, events),
        saved="settings.plan_saved",
    )
