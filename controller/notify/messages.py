"""Notification texts from the catalogs in ``controller/notify/catalog`` (zh_CN, en).

The detail is the event's own message said in the catalog's language where its writer's
words are known (a safety trip, a device event and its error, a backflush event, a
fertigation plan note, a notification channel or the MQTT broker down or back:
:class:`controller.said.records.RecordSayer` with
:func:`controller.said.words.words`, the same words the pages use; numbers as recorded,
times in the site's time zone), else as stored; the English catalog keeps the stored
English message as it is. The title is the catalog's name for the alarm code, or the code
itself when the catalog has none.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any

from controller.paths import bundled
from controller.said.records import RecordSayer
from controller.said.words import words

if TYPE_CHECKING:
    from controller.notify.summary import DaySummary

__all__ = ["RECORDED_LANGUAGE", "Catalog", "catalog"]

RECORDED_LANGUAGE = "en"  # the language the box stores its messages in


@dataclass(frozen=True)
class Catalog:
    language: str
    data: dict[str, Any]

    def severity(self, severity: str) -> str:
        return str(self.data["severity"].get(severity, severity))

    def title(self, code: str) -> str:
        return str(self.data["codes"].get(code, code))

    def text(self, key: str, **values: object) -> str:
        return str(self.data["text"][key]).format(**values)

    def alarm(
        self,
        *,
        site: str,
        severity: str,
        code: str,
        source: str,
        message: str,
        time: datetime,
        tz: tzinfo,
        event_id: int | None,
        escalated_min: float | None = None,
    ) -> tuple[str, str]:
        """(subject, body) of an alarm, or of its escalation when ``escalated_min`` is set."""
        sev, title = self.severity(severity), self.title(code)
        if escalated_min is None:
            subject = self.text("subject", site=site, severity=sev, title=title)
        else:
            subject = self.text(
                "escalation_subject",
                site=site,
                severity=sev,
                title=title,
                minutes=f"{escalated_min:.0f}",
            )
        body = self.text(
            "body",
            site=site,
            source=source,
            time=_local(time, tz),
            message=self.detail(source=source, code=code, message=message, tz=tz),
            todo_line=self.todo_line(code),
            event_id=event_id if event_id is not None else "-",
        )
        return subject, body

    def answered(
        self,
        *,
        site: str,
        code: str,
        source: str,
        who: str,
        cleared: bool,
        time: datetime,
        tz: tzinfo,
        event_id: int | None,
    ) -> tuple[str, str]:
        """(subject, body) telling an alarm was acknowledged by ``who``, or ``cleared`` by
        the box itself, at ``time``."""
        kind = "cleared" if cleared else "acked"
        values = {"site": site, "source": source, "who": who, "time": _local(time, tz)}
        return (
            self.text(f"{kind}_subject", site=site, title=self.title(code)),
            self.text(f"{kind}_body", event_id=event_id if event_id is not None else "-", **values),
        )

    def todo_line(self, code: str) -> str:
        """The body's line saying what to do about ``code`` (``[todo]``), "" when the
        catalog has none for it (an info event, a code with nothing to do by hand)."""
        todo = self.data.get("todo", {}).get(code)
        return "" if todo is None else self.text("todo_line", todo=todo)

    def detail(self, *, source: str, code: str, message: str, tz: tzinfo) -> str:
        """An alarm's stored ``message`` in this catalog's language where its writer's words
        are known, else as stored (always as stored in :data:`RECORDED_LANGUAGE`)."""
        if self.language == RECORDED_LANGUAGE:
            return message
        sayer = RecordSayer(words(self.language), lambda time: _local(time, tz))
        return sayer.alarm(source, code, message) or message

    def summary(self, *, site: str, facts: DaySummary) -> tuple[str, str]:
        saving = "-" if facts.saving_m3_per_mu is None else f"{facts.saving_m3_per_mu:.1f}"
        return (
            self.text("summary_subject", site=site, day=facts.day.isoformat()),
            self.text(
                "summary_body",
                water_m3=f"{facts.water_m3:.1f}",
                runs=facts.runs,
                runs_not_done=facts.runs_not_done,
                alarms=facts.alarms,
                open_alarms=facts.open_alarms,
                saving=saving,
            ),
        )

    def test(self, *, site: str, channel: str, time: datetime, tz: tzinfo) -> tuple[str, str]:
        return (
            self.text("test_subject", site=site),
            self.text("test_body", channel=channel, time=_local(time, tz)),
        )


def _local(time: datetime, tz: tzinfo) -> str:
    return time.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


@cache
def catalog(language: str) -> Catalog:
    """The catalog of ``language`` (``zh_CN`` or ``en``), read once."""
    path = bundled("controller", f"notify/catalog/{language}.toml")
    return Catalog(language, tomllib.loads(path.read_text(encoding="utf-8")))
