"""A zone's decision said in the page's language by its reason codes, the planner's
sentence kept as the box's record; and every reason code named in both catalogs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from models.planner.types import ReasonCode
from tests.helpers.pages import PageService, csrf_of
from web.i18n import LOCALES, catalog

SENTENCE = "z1: Dr 41 mm reaches the trigger 40 mm in 2 cycles"


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_reason_code_is_named(locale: str) -> None:
    names = catalog(locale)
    assert sorted(c.value for c in ReasonCode if f"reason_code.{c.value}" not in names) == []


@pytest.mark.parametrize(
    ("lang", "trigger", "soak", "record"),
    [
        ("zh-CN", "土壤缺水达到灌溉阈值：灌溉", "分段灌溉、中间渗水", "控制器记录（原文）"),
        (
            "en",
            "soil water down to the trigger: irrigate",
            "in cycles with soaks",
            "The box's record",
        ),
    ],
)
def test_a_decision_is_said_by_its_codes_in_the_page_language(
    as_role: Any,
    service: PageService,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    trigger: str,
    soak: str,
    record: str,
) -> None:
    (decision,) = service.decisions("z1")
    coded = replace(
        decision,
        reason=SENTENCE,
        inputs={"reason": "trigger_reached", "reasons": ["trigger_reached", "cycle_soak"]},
    )
    plain = replace(decision, id=2, reason="z1: manual mode: runs only when started by hand")
    monkeypatch.setattr(service, "decisions", lambda zone=None, limit=50: [coded, plain])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/zones/z1").text
    assert f'<span class="why-said">{trigger}; {soak}' in page
    assert f"{record}: {SENTENCE}" in page.replace("&#39;", "'")
    assert "trigger_reached" not in page
    # a decision without codes (manual, sensor, timer zones) keeps its sentence alone
    assert "<td>z1: manual mode: runs only when started by hand</td>" in page
