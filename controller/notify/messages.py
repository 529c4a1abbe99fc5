"""Notification texts from the catalogs in ``controller/notify/catalog`` (zh_CN, en).

The event's own message (the runtime's words) is kept as the detail; the title is the
catalog's name for the alarm code, or the code itself when the catalog has none.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any

from controller.paths import bundled

if TYPE_CHECKING:
    from controller.notify.summary import DaySummary

__all__ = ["Catalog", "catalog"]


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
            message=message,
            event_id=event_id if event_id is not None else "-",
        )
        return subject, body

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
