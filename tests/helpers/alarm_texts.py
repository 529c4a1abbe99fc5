"""Alarm texts as the notifier writes them, with the longest messages a box records: every
code of both catalogs, for the SMS tests (``tests/notify/test_sms*.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from controller.agronomy.plausibility_notes import PROBE_WHERE, note
from controller.notify.messages import catalog
from controller.notify.sms_text import LANGUAGES, units

__all__ = ["ERROR_PAGE", "LONGEST", "SITE", "TZ", "alarm", "every_alarm", "longest_alarm"]

TZ = ZoneInfo("Asia/Shanghai")
SITE = "张掖示范"
# the longest message a box records (a probe that did not answer a run), as it writes it
LONGEST = note(
    "probe_no_response",
    where=PROBE_WHERE.format(device="probe1a", zone="z1", depth_m="0.2"),
    run=18234,
    after_mm="10",
    reached="06:41",
    applied_mm="24.6",
    rise_pct="+0.3",
    base_pct="18.4",
    deadline="08:41",
    min_rise_pct="2",
    lag_min="120",
)
# a longer one still: a webhook's error page quoted in a channel's failure
ERROR_PAGE = "webhook answered HTTP 502: " + "<html><body>502 Bad Gateway</body></html>" * 12


def alarm(
    language: str, code: str, message: str, escalated_min: float | None = None
) -> tuple[str, str]:
    """(subject, body) of a critical alarm ``code`` of probe1a at the demo site."""
    return catalog(language).alarm(
        site=SITE,
        severity="critical",
        code=code,
        source="probe1a",
        message=message,
        time=datetime(2026, 6, 1, 4, 0, tzinfo=UTC),
        tz=TZ,
        event_id=123456,
        escalated_min=escalated_min,
    )


def every_alarm() -> list[tuple[str, str, float | None, str]]:
    """(language, code, minutes escalated or None, message): every code of both catalogs,
    as sent and as escalated after a day, with each long message."""
    return [
        (language, code, escalated, message)
        for language in LANGUAGES
        for code in catalog(language).data["codes"]
        for escalated in (None, 1440.0)
        for message in (LONGEST, ERROR_PAGE)
    ]


def longest_alarm(language: str) -> tuple[str, str, str]:
    """(code, subject, body) of the longest alarm in ``language`` with :data:`LONGEST`, in
    UTF-16 code units: its escalation, the code whose title and to-do are longest."""
    texts = [
        (code, *alarm(language, code, LONGEST, escalated))
        for code in catalog(language).data["codes"]
        for escalated in (None, 1440.0)
    ]
    return max(texts, key=lambda t: units(f"{t[1]}\n{t[2]}"))
