"""The crop as observed (苗情): a zone's stages seen against predicted, the degree days so far,
the FAO-56 stage its Kc comes from today, and the phone-sized form a technician fills in the
field (stage, date, note, photo).

The form posts (multipart, for the photo) to ``/zones/{name}/observations`` through the same
:meth:`~controller.daemon.protocol.ControlService.add_crop_observation` as the API (audited
with the user's name). Its fields arrive as text and are read here, so a value a phone
keyboard got wrong comes back as a message naming the field, not as a bare 422. The page's
script scales a large photo down before sending it (the service keeps at most 700 KiB).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response

from controller.access.accounts import SessionInfo
from controller.daemon.cropdesk import NOTE_MAX_CHARS, PHOTO_MAX_BYTES
from controller.daemon.croprefusal import refused
from controller.daemon.protocol import ObservationRefused, UnknownName
from models.crops.phenology import Stage
from web.pages.context import CsrfChecked, PagesDep, TechnicianPage, ViewerPage, render
from web.pages.control import _back, _t
from web.pages.lookups import not_found, unknown_text
from web.pages.site_problems import say
from web.params import NameInPath, RowId

router = APIRouter(include_in_schema=False)


@router.get("/zones/{name}/crop", response_class=HTMLResponse)
def crop_page(
    name: NameInPath, request: Request, pages: PagesDep, session: ViewerPage
) -> HTMLResponse:
    return _page(request, pages, session, name)


def _page(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    name: str,
    *,
    refusal: str = "",
    typed: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Zone ``name``'s crop page; a refused observation's page (422) with the ``refusal``
    over the form and its fields as they were ``typed`` (a photo is chosen again)."""
    try:
        view = pages.service.crop_view(name)
        observed = pages.service.crop_observations(name)
    except UnknownName as exc:
        raise not_found(session.user.locale, exc) from None
    today = pages.service.status().time.astimezone(pages.config.tz).date()
    return render(
        request,
        pages,
        "crop.html",
        session,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if refusal else status.HTTP_200_OK,
        view=view,
        observed=list(reversed(observed)),
        stages=[s.value for s in Stage],
        today=today.isoformat(),
        photo_max_kib=PHOTO_MAX_BYTES // 1024,
        note_max_chars=NOTE_MAX_CHARS,
        refusal=refusal,
        typed=typed or {},
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise refused("observed_on", "not_a_date", value=text) from None


def _note(text: str) -> str:
    """The note as kept (trimmed); refused past :data:`NOTE_MAX_CHARS`, the limit the form's
    field shows and the service keeps, so that a longer one is refused naming it."""
    note = text.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise refused("note", "note_too_long", max_chars=str(NOTE_MAX_CHARS))
    return note


def _photo(upload: UploadFile | None) -> bytes | None:
    """The photo's bytes (None: no file chosen); one byte past the limit is enough to refuse."""
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(PHOTO_MAX_BYTES + 1)
    return data or None


def _reason(locale: str, exc: ObservationRefused) -> str:
    """Why ``exc`` refused, in ``locale`` (``phenology.refusal.<code>``); as the service
    wrote it if it has no code."""
    if exc.coded is None:
        return str(exc)
    return say(locale, f"phenology.refusal.{exc.coded.code}", exc.coded)


def _to_crop_page(request: Request, pages: PagesDep, text: str, crop_page: str) -> Response:
    """To the zone's crop page with ``text``, wherever the form was sent from: a form sent
    again from a refused observation's page (its address the POST's) went back there, a GET
    of a POST-only address (405)."""
    response = _back(request, pages, text, crop_page)
    response.headers["location"] = crop_page
    return response


@router.post("/zones/{name}/observations")
def add_observation(
    name: NameInPath,
    request: Request,
    pages: PagesDep,
    session: TechnicianPage,
    _: CsrfChecked,
    stage: Annotated[str, Form(max_length=32)] = "",
    observed_on: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form()] = "",  # checked by _note, to refuse naming the limit
    photo: Annotated[UploadFile | None, File()] = None,
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    back = f"/zones/{name}/crop"
    locale = session.user.locale
    typed = {"stage": stage, "observed_on": observed_on, "note": note, "confirm": confirm}
    try:
        row = pages.service.add_crop_observation(
            name,
            stage.strip(),
            _day(observed_on),
            _note(note),
            _photo(photo),
            actor=session.user.username,
            confirm=confirm == "yes",
        )
    except ObservationRefused as exc:
        field = _t(session, f"phenology.field_{exc.field}")
        text = _t(session, "phenology.refused", field=field, reason=_reason(locale, exc))
        return _page(request, pages, session, name, refusal=text, typed=typed)
    except UnknownName as exc:
        reason = unknown_text(locale, exc)
        text = _t(session, "phenology.refused", field=name, reason=reason)
        return _back(request, pages, text, back)
    stage_name = _t(session, f"phenology.stage_{row.stage}")
    said = "phenology.replaced" if row.replaced else "phenology.added"
    text = _t(session, said, stage=stage_name, date=row.observed_on.isoformat())
    return _to_crop_page(request, pages, text, back)


@router.post("/zones/{name}/observations/{observation_id}/delete")
def delete_observation(
    name: NameInPath,
    observation_id: RowId,
    request: Request,
    pages: PagesDep,
    session: TechnicianPage,
    _: CsrfChecked,
) -> Response:
    """Delete a mistaken stage record (the one the technician who records may also take
    back), audited; the stage goes back to its prediction, or, for an older record already
    replaced, stays on its record in force (the flash says which)."""
    back = f"/zones/{name}/crop"
    try:
        row = pages.service.delete_crop_observation(
            name, observation_id, actor=session.user.username
        )
    except UnknownName as exc:
        reason = unknown_text(session.user.locale, exc)
        return _back(request, pages, _t(session, "phenology.not_deleted", reason=reason), back)
    stage_name = _t(session, f"phenology.stage_{row.stage}")
    day = row.observed_on.isoformat()
    # an older, already replaced record deleted by id: the stage's newer record stays
    kept = [o for o in pages.service.crop_observations(name) if o.stage == row.stage]
    if kept:
        in_force = kept[-1].observed_on.isoformat()
        text = _t(session, "phenology.deleted_in_force", stage=stage_name, date=day, kept=in_force)
    else:
        text = _t(session, "phenology.deleted", stage=stage_name, date=day)
    return _to_crop_page(request, pages, text, back)


@router.get("/zones/{name}/observations/{observation_id}/photo")
def photo(
    name: NameInPath, observation_id: RowId, pages: PagesDep, session: ViewerPage
) -> Response:
    try:
        data, media_type = pages.service.crop_photo(name, observation_id)
    except UnknownName as exc:
        raise not_found(session.user.locale, exc) from None
    return Response(data, media_type=media_type, headers={"Cache-Control": "private"})
