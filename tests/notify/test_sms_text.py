"""An alarm fitted to an SMS: every alarm code of both catalogs, with the longest message the
box records, keeps its subject, source, time, to-do line and event number whole within the
sender's parts, counted in UTF-16 code units as the modem sends them (UCS2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controller.notify.messages import catalog
from controller.notify.sms import FIT_UNITS, MAX_PARTS, submit_pdus
from controller.notify.sms_text import ELLIPSIS, LANGUAGES, fit_alarm, units
from tests.helpers.alarm_texts import ERROR_PAGE, SITE, TZ, alarm, every_alarm
from tests.helpers.notify import decode_submit

LIMIT = FIT_UNITS  # what the sender fits an alarm to


@pytest.mark.parametrize(("language", "code", "escalated", "message"), every_alarm())
def test_every_alarm_keeps_what_to_do_within_the_parts(
    language: str, code: str, escalated: float | None, message: str
) -> None:
    subject, body = alarm(language, code, message, escalated)
    text = fit_alarm(subject, body, LIMIT)
    assert units(text) <= LIMIT
    kept = text.split("\n")
    full = body.split("\n")
    assert kept[0] == subject
    # source, time, to-do (when the catalog has one) and event number: whole, in order
    todo = catalog(language).todo_line(code).rstrip("\n")
    wanted = [full[1], full[2], *([todo] if todo else []), full[-2]]
    assert [ln for ln in kept if ln in wanted] == wanted
    # the detail: cut in its middle, its beginning and end as they were
    said = catalog(language).detail(source="probe1a", code=code, message=message, tz=TZ)
    prefix = full[3].removesuffix(said)
    detail = next(ln for ln in kept if ln.startswith(prefix)).removeprefix(prefix)
    if units(f"{subject}\n{body}") <= LIMIT:
        assert text == f"{subject}\n{body}"
    elif message == ERROR_PAGE or ELLIPSIS in detail:  # the error page never fits whole
        head, _, tail = detail.partition(ELLIPSIS)
        assert said.startswith(head) and said.endswith(tail) and len(head) >= len(tail) > 0
        assert units(detail) < units(said)
    else:  # over by the lines left out only
        assert detail == said


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_alarm_within_the_limit_goes_as_it_is(language: str) -> None:
    subject, body = alarm(language, "burst", "flow 12.1 m3/h over 8.0 m3/h")
    assert fit_alarm(subject, body, LIMIT) == f"{subject}\n{body}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_lines_are_left_out_before_the_detail_is_cut(language: str) -> None:
    """Over by the site and closing lines only: they go, the detail stays whole."""
    subject, body = alarm(language, "burst", "x")
    lines = body.split("\n")
    lean = "\n".join([subject, *lines[1:-1]])
    text = fit_alarm(subject, body, units(lean))
    assert text == lean
    assert fit_alarm(subject, body, units(lean) - 1).endswith(lines[-2])  # the event number
    assert ELLIPSIS in fit_alarm(subject, body, units(lean) - 1)


def test_a_pair_of_code_units_is_never_split() -> None:
    subject, body = alarm("zh_CN", "burst", "🌊" * 300)
    for limit in range(LIMIT - 4, LIMIT + 1):
        text = fit_alarm(subject, body, limit)
        text.encode("utf-16-be")  # a lone surrogate cannot be encoded
        assert units(text) <= limit


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_event_number_reaches_the_phone_when_pairs_move_a_part_boundary(
    language: str,
) -> None:
    """A detail of characters outside the BMP: each part that would end on a pair's first
    half carries one unit less, and the parts the modem gets still end with the event number."""
    subject, body = alarm(language, "burst", "a" + "🌊" * 300)
    text = fit_alarm(subject, body, FIT_UNITS)
    pdus = submit_pdus("13900000000", text)
    assert len(pdus) <= MAX_PARTS
    received = "".join(decode_submit(pdu)[1] for pdu in pdus)
    assert received == text and received.endswith("123456")  # the helper's event number


def test_a_text_that_is_not_an_alarm_goes_as_it_is() -> None:
    subject, body = catalog("zh_CN").test(
        site=SITE * 40, channel="sms", time=datetime(2026, 6, 1, tzinfo=UTC), tz=TZ
    )
    assert fit_alarm(subject, body, 70) == f"{subject}\n{body}"


def test_a_detail_that_reads_like_the_left_out_lines_is_kept() -> None:
    """Only the body's own site and closing lines are left out, not a detail's line that
    starts as they do."""
    closing = catalog("en").data["text"]["body"].rsplit("\n", 1)[1]
    subject, body = alarm("en", "burst", f"Site: {SITE}\n{closing}\n" + "x" * 400)
    text = fit_alarm(subject, body, LIMIT)
    assert f"\nDetail: Site: {SITE}\n{closing}\nxxx" in text
    assert units(text) <= LIMIT and text.endswith("\nEvent: #123456")
