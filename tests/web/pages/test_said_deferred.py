"""A run the ET planner deferred is said as deferred, with when its run is planned, in both
languages and with every other reason code beside it; the trigger it waits for is said as
ahead, not as "irrigate". An irrigate decision keeps its words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from models.planner.explain import first_event_at
from models.planner.types import ReasonCode
from web.i18n import catalog, translate
from web.pages.format import Formatter
from web.pages.said import decision_said

TRIGGER = ReasonCode.TRIGGER_REACHED.value
RECORD = (
    "z1: 240 min, 24.0 mm at 23:00 (day 4): depletion 58.0 mm ≥ trigger 52.0 mm (MAD 0.40 × "
    "TAW 130.0 mm); window 20:00-08:00 off-peak; cut to the maximum run"
)
# 2026-07-10 15:00 UTC is 23:00 in Zhangye (UTC+8)
DEFERRED_TO = datetime(2026, 7, 10, 15, 0, tzinfo=UTC)
# the day and time each language says, from the record and from the recorded time
SAID_DAY = {
    "zh-CN": "推迟：计划在第 4 天 23:00 灌溉（决策当天为第 0 天）",
    "en": "deferred: its run is planned for 23:00 on day 4 (day 0: the day decided)",
}
SAID_TIME = {
    "zh-CN": "推迟：计划于 07-10 23:00 灌溉",
    "en": "deferred: its run is planned for 07-10 23:00",
}
LOCALES = ("zh-CN", "en")
OTHERS = [c.value for c in ReasonCode if c is not ReasonCode.TRIGGER_REACHED]


def fmt(locale: str) -> Formatter:
    return Formatter(locale, ZoneInfo("Asia/Shanghai"))


def test_the_record_names_its_first_runs_clock_and_day() -> None:
    assert first_event_at(RECORD) == ("23:00", 4)
    assert first_event_at("z1: soil water stays above the trigger") is None


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("code", OTHERS)
def test_a_deferred_run_says_its_day_with_every_other_code(locale: str, code: str) -> None:
    inputs = {"reason": TRIGGER, "reasons": [TRIGGER, code]}
    said = decision_said(locale, inputs, action="defer", record=RECORD, fmt=fmt(locale))
    assert said is not None
    sep = catalog(locale)["record.sep"]
    irrigate = translate(locale, f"reason_code.{TRIGGER}")
    assert said.startswith(SAID_DAY[locale] + sep), said
    assert irrigate not in said
    assert translate(locale, "decision_deferred.trigger_ahead") in said
    assert said.endswith(sep + translate(locale, f"reason_code.{code}")), said
    # recorded with the time its run is planned: that time in the site's zone
    timed = inputs | {"deferred_to": DEFERRED_TO.isoformat()}
    said = decision_said(locale, timed, action="defer", record=RECORD, fmt=fmt(locale))
    assert said is not None and said.startswith(SAID_TIME[locale] + sep), said
    # the same codes irrigating say the trigger as the planner's "irrigate", nothing deferred
    watered = decision_said(locale, inputs, action="irrigate", record=RECORD, fmt=fmt(locale))
    assert watered is not None and watered.startswith(irrigate + sep), watered
    assert translate(locale, "decision_deferred.trigger_ahead") not in watered


@pytest.mark.parametrize("locale", LOCALES)
def test_a_deferred_run_with_no_run_in_its_record_says_none_is_planned(locale: str) -> None:
    inputs = {"reason": TRIGGER, "reasons": [TRIGGER]}
    said = decision_said(locale, inputs, action="defer", record="z1: no slot", fmt=fmt(locale))
    assert said == catalog(locale)["record.sep"].join(
        [
            translate(locale, "decision_deferred.no_run"),
            translate(locale, "decision_deferred.trigger_ahead"),
        ]
    )
