"""An alarm's text fitted to an SMS of at most ``max_units`` UTF-16 code units, what to do kept.

A text message goes as UCS2 parts (:mod:`controller.notify.sms`: 70 code units in one, 67 a
part when concatenated, at most ``MAX_PARTS``); the sender cuts whatever is beyond. So that
the cut never falls on the to-do line (``处理：`` / ``To do:``), which comes near the end, an
alarm over the limit is made to fit first, in two steps, each taken only while the text is
still over:

1. the lines a phone does without are left out: the body's site line (the subject names the
   site in its brackets) and its closing line (see and acknowledge it on the local pages);
2. the detail is cut in its middle, ``详情：<beginning>…<end>``: its beginning (what and
   where) and its end (what the box did, often ``已隔离`` / ``quarantined``) kept, two
   thirds to one third of the room left.

The subject (site, severity, title), the source (the zone or device), the time, the to-do
line and the event number stay whole. A text still over after both (a site name of more than
about 30 characters in an English escalation) goes so shortened, its detail down to the
ellipsis, and the sender cuts its end.
Any other text (a summary, a test, an acknowledgement) and an alarm within the limit go
unchanged.

The lines are known by the catalogs' own alarm body (``[text] body``,
:mod:`controller.notify.messages`): the line with ``{site}`` alone is the site line, the one
with ``{message}`` the detail, the one with no placeholder the closing line (the last). The
detail may hold lines of its own: it runs to the event number's line, or to the to-do line
just before that one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from controller.notify.messages import catalog

__all__ = ["ELLIPSIS", "LANGUAGES", "fit_alarm", "units"]

ELLIPSIS = "…"  # one UTF-16 code unit
LANGUAGES = ("zh_CN", "en")
_HEAD_SHARE = 2 / 3  # of the detail's room, for its beginning


def units(text: str) -> int:
    """The UTF-16 code units of ``text``: what an SMS in UCS2 counts (a character outside
    the BMP, an emoji, counts two)."""
    return len(text.encode("utf-16-be")) // 2


@dataclass(frozen=True)
class _Layout:
    """The line starts of one catalog's alarm body."""

    site: str  # "站点："
    detail: str  # "详情："
    todo: str  # "处理："
    closing: str  # "请在本地页面查看并确认告警。"


@cache
def _layouts() -> tuple[_Layout, ...]:
    layouts = []
    for language in LANGUAGES:
        text = catalog(language).data["text"]
        lines = str(text["body"]).split("\n")
        start = {ln.split("{")[0]: ln for ln in lines}
        site = next(s for s, ln in start.items() if ln == s + "{site}")
        detail = next(s for s, ln in start.items() if ln == s + "{message}")
        closing = next(ln for ln in lines if "{" not in ln)
        layouts.append(_Layout(site, detail, str(text["todo_line"]).split("{")[0], closing))
    return tuple(layouts)


def _cut_middle(text: str, room: int) -> str:
    """``text`` in at most ``room`` code units: its beginning, ``…``, its end."""
    if units(text) <= room:
        return text
    if room <= units(ELLIPSIS):
        return ELLIPSIS
    head_room = round((room - units(ELLIPSIS)) * _HEAD_SHARE)
    tail_room = room - units(ELLIPSIS) - head_room
    head = _take(text, head_room)
    tail = _take(text[::-1], tail_room)[::-1]
    return head + ELLIPSIS + tail


def _take(text: str, room: int) -> str:
    """The longest beginning of ``text`` within ``room`` code units (a pair kept whole)."""
    used = 0
    for i, char in enumerate(text):
        used += units(char)
        if used > room:
            return text[:i]
    return text


def fit_alarm(subject: str, body: str, max_units: int) -> str:
    """The SMS text of (``subject``, ``body``): ``subject`` and ``body`` on their lines,
    shortened as the module says when over ``max_units`` code units."""
    text = f"{subject}\n{body}"
    if units(text) <= max_units:
        return text
    lines = body.split("\n")
    layout = next((la for la in _layouts() if any(ln.startswith(la.detail) for ln in lines)), None)
    if layout is None:
        return text  # not an alarm: left to the sender
    i = next(n for n, ln in enumerate(lines) if ln.startswith(layout.detail))
    head = [ln for ln in lines[:i] if not ln.startswith(layout.site)]  # not the detail's own
    tail = lines[i:]
    if len(tail) > 2 and tail[-1] == layout.closing:
        tail = tail[:-1]
    # the detail runs to the event number's line (the last), or the to-do line before it
    after = 2 if len(tail) > 2 and tail[-2].startswith(layout.todo) else 1
    lines, i, j = [*head, *tail], len(head), len(head) + len(tail) - after
    detail = "\n".join(lines[i:j]).removeprefix(layout.detail)
    rest = [subject, *lines[:i], layout.detail, *lines[j:]]
    room = max_units - units("\n".join(rest))
    lines[i:j] = [layout.detail + _cut_middle(detail, room)]
    return "\n".join([subject, *lines])
