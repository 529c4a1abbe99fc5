"""A zone's decision, its next run's why and its runs' end reasons said in the page's
language by their codes, the box's English kept as its record; and every reason code named
in both catalogs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from models.planner.types import ReasonCode
from tests.helpers.pages import PageService, csrf_of
from web.i18n import LOCALES, catalog
from web.pages.said import decision_figures

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
    sep = "；" if lang == "zh-CN" else "; "  # the language's own between the parts
    assert f'<span class="why-said">{trigger}{sep}{soak}' in page
    assert f"{record}: {SENTENCE}" in page.replace("&#39;", "'")
    assert "trigger_reached" not in page
    # a decision without codes (manual, sensor, timer zones) keeps its sentence alone
    assert "<div>z1: manual mode: runs only when started by hand</div>" in page


CALENDAR = (
    "z1: calendar event of 2026-06-01: 90 m³/mu (2250 m³, 135 mm) from 20:00 in 1 run of ≤ 240 min"
)
CALENDAR_VALUES = {
    "today": "2026-06-01",
    "m3_per_mu": "90",
    "volume_m3": "2250",
    "depth_mm": "135",
    "start": "20:00",
    "runs": "1",
    "max_run_min": "240",
}


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "zh-CN",
            "2026-06-01 的日历灌溉：90 m³/亩（2250 m³，135 mm），20:00 起灌 1 次，每次 ≤ 240 分钟",
        ),
        ("en", CALENDAR.removeprefix("z1: ")),
    ],
)
def test_the_next_runs_why_is_said_by_its_codes_on_the_card_and_the_zone_page(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    zone = service.zone("z1")
    assert zone.next_run is not None
    nxt = replace(
        zone.next_run,
        reason=CALENDAR,
        reason_codes=["calendar_irrigate_one"],
        reason_values=CALENDAR_VALUES,
    )
    monkeypatch.setitem(service.zones_by_name, "z1", replace(zone, next_run=nxt))
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    for path in ("/", "/zones/z1"):
        page = viewer.get(path).text
        assert f'<span class="why-said">{said}</span>' in page, path
        assert CALENDAR in page, path  # the record beside it


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "未达目标水量就到了时长上限：30 分钟内计量 4.10 / 5 m³；水量按 flow1 累计流量计"),
        (
            "en",
            "time cap reached before the target volume: 4.10 of 5 m3 metered in 30 min; "
            "water by flow1 totalizer",
        ),
    ],
)
def test_a_runs_end_reason_is_said_part_by_part(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    ended = (
        "time cap reached before the target volume: 4.10 of 5 m3 metered in 30 min; "
        "water by flow1 totalizer"
    )
    (run,) = service.runs("z1")
    done = replace(run, state="done", end_reason=ended)
    monkeypatch.setattr(service, "runs", lambda zone=None, limit=50: [done])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/zones/z1").text
    assert f">{said}</td>" in page
    record = "控制器记录（原文）" if lang == "zh-CN" else "The box&#39;s record"
    assert f'title="{record}: {ended}"' in page


@pytest.mark.parametrize(
    ("lang", "ran", "planned"),
    [
        ("zh-CN", "运行 5/240 分钟", "计划 30 分钟"),
        ("en", "5/240 min", "–/30 min"),
    ],
)
def test_a_stopped_run_shows_how_long_it_ran_beside_its_plan(
    as_role: Any,
    service: PageService,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    ran: str,
    planned: str,
) -> None:
    """A fertigation run of 240 min stopped in its prewet after 5 min read "240 分钟" on the
    zone page (the planned minutes, their column's label hidden on a phone)."""
    (running,) = service.runs("z1")
    assert running.started_at is not None
    stopped = replace(
        running,
        id=8,
        state="aborted",
        phase="prewet",
        planned_min=240.0,
        ended_at=running.started_at + timedelta(minutes=5, seconds=10),
        end_reason="stopped",
    )
    monkeypatch.setattr(service, "runs", lambda zone=None, limit=50: [stopped, running])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/zones/z1").text
    cells = [c.split("</td>", 1)[0] for c in page.split('<td class="amount planned">')[1:]]
    assert cells == [ran, planned]  # the running run: its plan, labelled


# a decision's inputs as the ET planner records them (controller/agronomy/planning.py): the
# period and its Ky from the staged targets, today's trigger first of the horizon's
STAGED_INPUTS = {
    "reason": "trigger_reached",
    "reasons": ["trigger_reached"],
    "stage": "vegetative",
    "ky": 0.4,
    "mad_fraction": [0.4, 0.4, 0.45],
    "refill_target_fraction": 0.17,
    "dr_now_mm": 58.0,
    "trigger_mm": [52.0, 52.0, 58.5],
    "notes": "vegetative, Ky 0.4: trigger 40% of TAW; refill to 17% of TAW depleted",
}


@pytest.mark.parametrize(
    ("lang", "figures"),
    [
        (
            "zh-CN",
            "拔节期，Ky 0.4；灌溉阈值 40% TAW，补水至亏缺 17% TAW；"
            "当前亏缺 58.0 mm，今日阈值 52.0 mm",
        ),
        (
            "en",
            "vegetative, Ky 0.4; trigger 40% of TAW, refill to 17% of TAW depleted; "
            "depletion now 58.0 mm, today's trigger 52.0 mm",
        ),
    ],
)
def test_a_decisions_period_ky_and_trigger_are_said_in_the_page_language(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch, lang: str, figures: str
) -> None:
    """The README's promise: each decision gives its period, Ky and why. The Chinese card said
    only the reason codes; the figures stood in the English record alone."""
    (decision,) = service.decisions("z1")
    staged = replace(decision, reason=SENTENCE, inputs=STAGED_INPUTS)
    monkeypatch.setattr(service, "decisions", lambda zone=None, limit=50: [staged])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/zones/z1").text.replace("&#39;", "'")
    assert f'<span class="figures">{figures}</span>' in page


def test_a_decision_without_figures_says_none() -> None:
    """A record written before the figures were kept, or a mode other than et: nothing made
    up."""
    assert decision_figures("zh-CN", {"reasons": ["manual_mode"]}) is None
    fao56 = {k: v for k, v in STAGED_INPUTS.items() if k not in ("stage", "ky")}
    assert decision_figures("zh-CN", fao56) == (
        "灌溉阈值 40% TAW，补水至亏缺 17% TAW；当前亏缺 58.0 mm，今日阈值 52.0 mm"
    )


def test_an_interrupted_run_does_not_claim_how_long_it_ran(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Power cut at minute 5 of 240, the box back 2 h later: the restart ends the run then,
    but its water stopped with the lease, when is not known. It read "运行 120/240 分钟"."""
    (running,) = service.runs("z1")
    assert running.started_at is not None
    interrupted = replace(
        running,
        id=9,
        state="interrupted",
        planned_min=240.0,
        ended_at=running.started_at + timedelta(hours=2),
        end_reason="interrupted",
    )
    assert interrupted.ran_min is None
    monkeypatch.setattr(service, "runs", lambda zone=None, limit=50: [interrupted])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": "zh-CN", "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/zones/z1").text
    cells = [c.split("</td>", 1)[0] for c in page.split('<td class="amount planned">')[1:]]
    assert cells == ["计划 240 分钟"]
