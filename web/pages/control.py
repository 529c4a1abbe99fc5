"""Manual control from the pages: start a zone for N minutes, stop, stop all, pause, resume;
an admin confirms the wall clock.

Each verb goes through the same :class:`~controller.daemon.protocol.ControlService` as the
API (bounded by the zone's maximum, audited with the user's name). The answer is
read back from the device: after a start the page says whether the valve *is* open.
A refusal is shown in the page's language: its code said from the catalog (``refusal``), the
daemon's English reason kept beside it as the box's record.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from controller.access.accounts import SessionInfo
from controller.daemon.protocol import ControlRefused
from controller.errors import ControllerError
from controller.store import FERTIGATION_PHASES, StoreError
from web.i18n import catalog, translate
from web.pages.context import AdminPage, CsrfChecked, PagesDep, TechnicianPage, secure_cookies
from web.pages.format import Formatter, quote_flash
from web.params import MAX_NAME_CHARS, NameInPath

router = APIRouter(include_in_schema=False)


def _back(request: Request, pages: PagesDep, text: str, fallback: str = "/") -> Response:
    """Back to the page the form was on, carrying ``text`` in a one-shot cookie."""
    referer = request.headers.get("referer", "")
    host = request.headers.get("host", "")
    target = fallback
    marker = f"//{host}"
    if host and marker in referer:
        target = referer.split(marker, 1)[1] or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = fallback  # only a path of this box, never another site
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        "qanat_flash",
        quote_flash(text),
        httponly=True,
        samesite="strict",
        path="/",
        secure=secure_cookies(request, pages),
        max_age=60,
    )
    return response


def _t(session: SessionInfo, key: str, **kw: object) -> str:
    return translate(session.user.locale, key, **kw)


def refusal_text(locale: str, exc: ControlRefused, running: str = "") -> str:
    """Why the daemon refused, in ``locale``: its code said from the catalog
    (``refusal.<reason_code>``) with the daemon's English kept as the box's record (it names the
    zone, the recipe, the numbers); a code the catalog lacks as the daemon wrote it.

    ``running``: the zones that hold a refusal of a fertigation run's own (another zone's
    fertigation run, the zones running when one would start), as the page names them; said
    with the refusal (``refusal.<reason_code>_in``) where the catalog has words for it."""
    known = catalog(locale)
    said = known.get(f"refusal.{exc.reason_code}")
    if said is None:
        return exc.reason
    if running and f"refusal.{exc.reason_code}_in" in known:
        said = translate(locale, f"refusal.{exc.reason_code}_in", zones=running)
    return translate(locale, "refusal.with_record", said=said, record=exc.reason)


"""A zone's run phases while it fertigates."""


def _running(pages: PagesDep, locale: str, exc: ControlRefused) -> str:
    """The zones a fertigation refusal is about, by their labels, in ``locale``'s list: the
    fertigating zone (``fertigation_active``) or the zones running (``fertigation_alone``);
    "" for another refusal, or when none is running any more."""
    if exc.reason_code not in ("fertigation_active", "fertigation_alone"):
        return ""
    zones = [
        z
        for z in pages.service.zones()
        if z.valve_on or z.run_id is not None
        if exc.reason_code == "fertigation_alone" or z.phase in FERTIGATION_PHASES
    ]
    sep = catalog(locale).get("record.list_sep", ", ")
    return sep.join(z.label or z.name for z in zones)


def _paused_said(pages: PagesDep, locale: str, exc: ControlRefused) -> str | None:
    """A refusal for a pause, with the pause's end in the site's local ``MM-DD HH:MM`` (as
    the pages say times) in ``locale``: the daemon's record says only that end, in UTC;
    None for another refusal, or when the site is no longer paused."""
    if exc.reason_code != "paused":
        return None
    try:
        until = pages.service.status().paused_until
    except ControllerError:  # the daemon does not answer: the refusal as it came
        return None
    if until is None:
        return None
    local = Formatter(locale, pages.config.tz).time(until)
    return translate(locale, "refusal.paused_until", until=local)


def _refused(session: SessionInfo, exc: ControlRefused, pages: PagesDep | None = None) -> str:
    locale = session.user.locale
    paused = _paused_said(pages, locale, exc) if pages is not None else None
    if paused is not None:
        return _t(session, "control.refused", reason=paused)
    running = _running(pages, locale, exc) if pages is not None else ""
    return _t(session, "control.refused", reason=refusal_text(locale, exc, running))


@router.post("/zones/{name}/start")
def start_zone(
    name: NameInPath,
    request: Request,
    pages: PagesDep,
    session: TechnicianPage,
    _: CsrfChecked,
    minutes: Annotated[float, Form(gt=0, le=1440)],
    volume_m3: Annotated[float | None, Form(gt=0, le=120_000)] = None,
    recipe: Annotated[str, Form(max_length=MAX_NAME_CHARS)] = "",
) -> Response:
    """Start a zone for ``minutes``; with ``volume_m3``, until the meter counted that much
    (``minutes`` its time cap); with ``recipe`` (a site recipe's name, "" for water only),
    a fertigation run by it. Refused or not, the answer is a redirect (the reason flashed):
    a page left at this POST would re-send the start on a reload, past the form's
    confirmation, and open the water once the refusal's cause had cleared."""
    try:
        if volume_m3 is None and not recipe:
            run_id = pages.service.start_zone(name, minutes, actor=session.user.username)
        elif not recipe:
            run_id = pages.service.start_zone(
                name, minutes, actor=session.user.username, volume_m3=volume_m3
            )
        else:
            run_id = pages.service.start_zone(
                name, minutes, actor=session.user.username, volume_m3=volume_m3, recipe=recipe
            )
    except ControlRefused as exc:
        return _back(request, pages, _refused(session, exc, pages))
    zone = pages.service.zone(name)  # read back: the valve state the relay reported
    fmt = Formatter(session.user.locale, pages.config.tz)
    key = "control.started_open" if zone.valve_on else "control.started_closed"
    return _back(
        request,
        pages,
        _t(
            session,
            key,
            zone=zone.label or name,
            run=run_id,
            remaining=fmt.duration(zone.remaining_s),
        ),
    )


@router.post("/zones/{name}/stop")
def stop_zone(
    name: NameInPath, request: Request, pages: PagesDep, session: TechnicianPage, _: CsrfChecked
) -> Response:
    try:
        pages.service.stop_zone(name, actor=session.user.username)
    except ControlRefused as exc:
        return _back(request, pages, _refused(session, exc))
    zone = pages.service.zone(name)
    key = "control.stopped_closed" if not zone.valve_on else "control.stopped_open"
    return _back(request, pages, _t(session, key, zone=zone.label or name))


@router.post("/stop-all")
def stop_all(
    request: Request, pages: PagesDep, session: TechnicianPage, _: CsrfChecked
) -> Response:
    not_recorded = False
    try:
        pages.service.stop_all(actor=session.user.username)
    except ControlRefused as exc:
        return _back(request, pages, _refused(session, exc))
    except StoreError:  # logged by the sequencer; the water is off all the same
        not_recorded = True
    still_on = [z.label or z.name for z in pages.service.zones() if z.valve_on]
    if not_recorded and not still_on:
        return _back(request, pages, _t(session, "control.stop_all_not_recorded"))
    if still_on:
        text = _t(session, "control.stop_all_open", zones=", ".join(still_on))
        return _back(request, pages, text)
    return _back(request, pages, _t(session, "control.stop_all_done"))


@router.post("/pause")
def pause(
    request: Request,
    pages: PagesDep,
    session: TechnicianPage,
    _: CsrfChecked,
    hours: Annotated[float, Form(gt=0, le=24 * 14)],
) -> Response:
    try:
        until = pages.service.pause(hours, actor=session.user.username)
    except ControlRefused as exc:
        return _back(request, pages, _refused(session, exc))
    fmt = Formatter(session.user.locale, pages.config.tz)
    return _back(request, pages, _t(session, "control.paused", until=fmt.time(until)))


@router.post("/resume")
def resume(request: Request, pages: PagesDep, session: TechnicianPage, _: CsrfChecked) -> Response:
    try:
        pages.service.resume(actor=session.user.username)
    except ControlRefused as exc:
        return _back(request, pages, _refused(session, exc))
    return _back(request, pages, _t(session, "control.resumed"))


@router.post("/clock/confirm")
def confirm_clock(
    request: Request, pages: PagesDep, session: AdminPage, _: CsrfChecked
) -> Response:
    """An admin confirms the box's wall clock (no NTP on the site); as ``qanat confirm-time``."""
    try:
        pages.service.confirm_time(actor=session.user.username)
    except ControlRefused as exc:
        return _back(request, pages, _refused(session, exc))
    return _back(request, pages, _t(session, "control.clock_confirmed"))
