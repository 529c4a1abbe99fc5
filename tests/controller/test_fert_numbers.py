"""A fertigation event has one number wherever it is named: its place in the site file's
``[[fertigation.events]]`` counted from 1, as the settings page lists them (``event-1`` is
the first); the planner's notes (alarms) and decisions name it so, in both languages."""

from __future__ import annotations

import pytest

from controller.agronomy.decision_codes import DecisionCode
from controller.agronomy.fertplan import zone_events
from controller.config.site import load_site
from controller.said.records import FERTIGATION_PLAN, RecordSayer
from tests.helpers.site import DEMO_SITE
from web.i18n import catalog, translate

# how each language names event n, as its catalog's notes say it
NAMED = {"zh-CN": "施肥事件 {n}", "en": "fertigation event {n}"}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_notes_and_decisions_number_events_as_the_settings_page(locale: str) -> None:
    site = load_site(DEMO_SITE)
    assert site.fertigation is not None
    labels = [e.label for e in site.fertigation.events]
    assert len(set(labels)) == len(labels) > 1  # each event found by its label
    sayer = RecordSayer(catalog(locale), str)
    events = zone_events(site, site.zones[0])
    assert events
    for event in events:
        n = labels.index(event.label) + 1  # the settings page's number (its loop.index)
        named = NAMED[locale].format(n=n)
        said = sayer.alarm("agronomy", FERTIGATION_PLAN, f"carries {event.describe()}")
        assert said is not None and named in said, said
        waits = translate(
            locale,
            f"reason_code.{DecisionCode.FERTIGATION_NO_ROOM.value}",
            **event.values(),
            minutes="30",
            until=str(event.until),
        )
        assert named in waits, waits
