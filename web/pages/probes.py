"""Soil probes: each probe's calibration, its samples, and the form a technician fills in the
field (phone-sized) for a soil sample taken next to a probe.

The form posts to ``/probes/samples`` through the same
:meth:`~controller.daemon.protocol.ControlService.add_probe_sample` as the API (audited with
the user's name). Its fields arrive as text and are read here, so a value a phone keyboard
got wrong comes back as a message naming the field, not as a bare 422. The sample time is the
site's local time (a ``datetime-local`` input; empty: now).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, Response

from controller.access.accounts import SessionInfo
from controller.daemon.protocol import UnknownName
from controller.errors import CodedProblem
from controller.learning.calibration import NOTE_MAX_CHARS
from controller.learning.samplerefusal import SampleRefused, refused
from web.pages.context import CsrfChecked, PagesDep, TechnicianPage, ViewerPage, render
from web.pages.control import _back, _t
from web.pages.lookups import unknown_text
from web.pages.site_problems import say

router = APIRouter(include_in_schema=False)

SAMPLES_SHOWN = 50  # per probe, newest first


@router.get("/probes", response_class=HTMLResponse)
def probes(request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    return _page(request, pages, session, request.query_params.get("probe", ""))


def _page(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    chosen: str,
    *,
    refusal: str = "",
    typed: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The probes page, the sample form on probe ``chosen``; a refused sample's page (422)
    with the ``refusal`` over the form and its fields as they were ``typed``."""
    cals = pages.service.probe_calibrations()
    samples = {
        c.probe: list(reversed(pages.service.probe_samples(c.probe)))[:SAMPLES_SHOWN] for c in cals
    }
    return render(
        request,
        pages,
        "probes.html",
        session,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if refusal else status.HTTP_200_OK,
        cals=cals,
        samples=samples,
        chosen=chosen,
        note_max_chars=NOTE_MAX_CHARS,
        refusal=refusal,
        typed=typed or {},
    )


def _number(text: str, field: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise refused(field, "not_a_number", value=text) from None
    if not math.isfinite(value):
        raise refused(field, "not_a_number", value=text)
    return value


def _when(text: str, pages: PagesDep) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise refused("at", "not_a_time", value=text) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=pages.config.tz)


def _note(text: str) -> str:
    """The note as kept (trimmed); refused past :data:`NOTE_MAX_CHARS`, the limit the form's
    field shows and the service keeps, so that a longer one is refused naming it."""
    note = text.strip()
    if len(note) > NOTE_MAX_CHARS:
        chars, max_chars = str(len(note)), str(NOTE_MAX_CHARS)
        raise refused("note", "note_too_long", chars=chars, max_chars=max_chars)
    return note


def _reason(locale: str, coded: CodedProblem) -> str:
    return say(locale, f"probes.refusal.{coded.code}", coded)


@router.post("/probes/samples")
def add_sample(
    request: Request,
    pages: PagesDep,
    session: TechnicianPage,
    _: CsrfChecked,
    probe: Annotated[str, Form(max_length=64)],
    theta_pct: Annotated[str, Form(max_length=32)] = "",
    method: Annotated[str, Form(max_length=32)] = "gravimetric",
    at: Annotated[str, Form(max_length=40)] = "",
    raw_pct: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form()] = "",  # checked by _note, to refuse naming the limit
) -> Response:
    back = f"/probes?probe={probe}"
    typed = {"theta_pct": theta_pct, "method": method, "at": at, "raw_pct": raw_pct, "note": note}
    try:
        theta = _number(theta_pct, "theta_pct")
        if theta is None:
            raise refused("theta_pct", "theta_needed")
        row = pages.service.add_probe_sample(
            probe,
            theta,
            method,
            _when(at, pages),
            _number(raw_pct, "raw_pct"),
            _note(note),
            actor=session.user.username,
        )
    except SampleRefused as exc:
        field = _t(session, f"probes.field_{exc.field}")
        reason = str(exc) if exc.coded is None else _reason(session.user.locale, exc.coded)
        text = _t(session, "probes.refused", field=field, reason=reason)
        return _page(request, pages, session, probe, refusal=text, typed=typed)
    except UnknownName as exc:
        reason = unknown_text(session.user.locale, exc)
        text = _t(session, "probes.refused", field=probe, reason=reason)
        return _page(request, pages, session, probe, refusal=text, typed=typed)
    text = _t(session, "probes.added", id=row.id, probe=row.probe, raw=f"{row.raw_pct:.1f}")
    return _back(request, pages, text, back)
