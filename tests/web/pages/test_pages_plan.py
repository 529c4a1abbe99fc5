"""The settings page's irrigation trigger (MAD) and fertigation plan forms, over the fake
service: each field's check in both languages, what is sent to the service, what is refused."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers.pages import (
    PLAN,
    PageService,
    csrf_of,
)
from web.pages.plan_form import plan_version

ZONE = {"crop": "seed_corn", "planting_date": "2026-04-21", "mode": "et"}


def _admin(as_role: Any, lang: str) -> TestClient:
    admin: TestClient = as_role("admin")
    if lang == "en":
        admin.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(admin)})
    return admin


def _text(response: Any) -> str:
    return html.unescape(response.text)


# ------------------------------------------------------------------------------------- MAD


def test_the_page_shows_the_zone_mad_and_the_crop_default(
    as_role: Any,
    service: PageService,
) -> None:
    service.mad_fraction["z2"] = 0.4
    page = _text(as_role("viewer").get("/settings"))
    assert 'name="mad_fraction"' in page and 'value="0.4"' in page
    assert "留空 = 用制种玉米的 FAO-56 默认值 p = 0.55" in page


def test_a_mad_is_saved_and_an_empty_one_takes_the_override_back(
    as_role: Any,
    service: PageService,
) -> None:
    admin = as_role("admin")
    sent = admin.post(
        "/settings/zones/z1", data={**ZONE, "mad_fraction": "0.35", "csrf": csrf_of(admin)}
    )
    assert sent.status_code == 303
    assert service.saved[-1]["zones"]["z1"]["mad_fraction"] == 0.35
    sent = admin.post(
        "/settings/zones/z1", data={**ZONE, "mad_fraction": "", "csrf": csrf_of(admin)}
    )
    assert sent.status_code == 303
    assert service.saved[-1]["zones"]["z1"]["mad_fraction"] is None  # removed, not set
    assert service.mad_fraction == {}


@pytest.mark.parametrize(
    ("lang", "value", "message"),
    [
        ("zh-CN", "abc", "z1：MAD “abc” 不是数字（留空表示用作物默认值）。"),
        ("zh-CN", "0.9", "z1：MAD “0.9” 必须在 0.2 到 0.8 之间。"),
        ("zh-CN", "nan", "z1：MAD “nan” 必须在 0.2 到 0.8 之间。"),
        ("en", "abc", "z1: MAD “abc” is not a number (leave it empty for the crop's default)."),
        ("en", "0.1", "z1: MAD “0.1” must be from 0.2 to 0.8."),
    ],
)
def test_a_bad_mad_is_refused_in_the_pages_language(
    as_role: Any,
    service: PageService,
    lang: str,
    value: str,
    message: str,
) -> None:
    admin = _admin(as_role, lang)
    sent = admin.post(
        "/settings/zones/z1", data={**ZONE, "mad_fraction": value, "csrf": csrf_of(admin)}
    )
    assert sent.status_code == 422
    assert message in _text(sent)
    assert service.saved == []


# ------------------------------------------------------------------------- the plan's forms


def test_the_plan_is_drawn_as_a_table_with_a_form_per_event(
    as_role: Any,
) -> None:
    page = _text(as_role("admin").get("/settings"))
    assert 'id="event-1"' in page and "拔节肥" in page and "播种后第 35 天" in page
    assert "<td>全部</td>" in page and "2026-06-20" in page
    assert 'action="/settings/fertigation/events/2/delete"' in page
    assert 'data-confirm="确定删除第 2 次施肥「」？"' in page
    assert f'name="plan" value="{PLAN}"' in page
    assert 'id="event-form-new"' in page
    # each event's form is filled in with the event
    first = page[page.index('id="edit-event-1"') : page.index('id="edit-event-2"')]
    assert "修改第 1 次施肥「拔节肥」" in first
    assert 'name="label" value="拔节肥"' in first
    assert 'name="day_after_planting" type="number" min="0" max="366" step="1" value="35"' in first
    assert 'name="n_kg_mu" type="number" min="0" max="100" step="any" value="1.5"' in first
    second = page[page.index('id="edit-event-2"') : page.index('id="add-event"')]
    assert 'value="z2" checked' in second and 'value="z1" checked' not in second
    assert 'name="date" type="date" value="2026-06-20"' in second
    viewer = _text(as_role("viewer").get("/settings"))
    assert "拔节肥" in viewer and 'id="event-form-new"' not in viewer  # read only


def test_an_event_is_added_edited_and_deleted_as_the_whole_plan(
    as_role: Any,
    service: PageService,
) -> None:
    admin = as_role("admin")
    first = dict(service.fertigation["events"][0])  # type: ignore[index]
    form = {
        "label": " 追肥 ",
        "zones": ["z1", "z2"],
        "date": "2026-07-01",
        "n_kg_mu": "2",
        "k2o_kg_mu": "0.5",
        "plan": PLAN,
        "csrf": csrf_of(admin),
    }
    sent = admin.post("/settings/fertigation/events", data=form)
    assert sent.status_code == 303 and sent.headers["location"] == "/settings"
    added = {
        "label": "追肥",
        "zones": ["z1", "z2"],
        "date": dt.date(2026, 7, 1),
        "n_kg_mu": 2.0,
        "k2o_kg_mu": 0.5,
    }
    assert service.saved[-1]["fertigation"]["events"][2] == added
    assert service.saved[-1]["fertigation"]["events"][0] == first
    assert "施肥计划已保存并生效" in _text(admin.get("/settings"))

    plan = plan_version(service.settings()["fertigation"]["events"])
    edit = {
        "label": "EC",
        "day_after_planting": "40",
        "target_ec_ms_cm": "2.0",
        "tank": "urea",
        "plan": plan,
        "csrf": csrf_of(admin),
    }
    assert admin.post("/settings/fertigation/events/1", data=edit).status_code == 303
    assert service.saved[-1]["fertigation"]["events"][0] == {
        "label": "EC",
        "day_after_planting": 40,
        "target_ec_ms_cm": 2.0,
        "tank": "urea",
    }

    plan = plan_version(service.settings()["fertigation"]["events"])
    gone = {"plan": plan, "csrf": csrf_of(admin)}
    assert admin.post("/settings/fertigation/events/2/delete", data=gone).status_code == 303
    assert [e["label"] for e in service.saved[-1]["fertigation"]["events"]] == ["EC", "追肥"]


def test_a_form_from_an_older_plan_is_refused(
    as_role: Any,
    service: PageService,
) -> None:
    admin = as_role("admin")
    stale = {"plan": plan_version([]), "csrf": csrf_of(admin)}
    sent = admin.post("/settings/fertigation/events/1/delete", data=stale)
    assert sent.status_code == 409
    assert "您打开本页后施肥计划已被修改，本次未保存" in _text(sent)
    assert service.saved == []
    missing = {"plan": PLAN, "csrf": csrf_of(admin)}
    assert admin.post("/settings/fertigation/events/9/delete", data=missing).status_code == 404


def test_a_site_without_an_injector_cannot_edit_the_plan(
    as_role: Any,
    service: PageService,
) -> None:
    service.fertigation = None
    admin = as_role("admin")
    page = _text(admin.get("/settings"))
    assert "本站没有配置施肥机" in page and 'id="event-form-new"' not in page
    form = {
        "label": "x",
        "day_after_planting": "30",
        "n_kg_mu": "1",
        "plan": PLAN,
        "csrf": csrf_of(admin),
    }
    sent = admin.post("/settings/fertigation/events", data=form)
    assert sent.status_code == 409
    assert "施肥计划无法修改" in _text(sent)
    assert service.saved == []


GOOD = {"label": "拔节", "day_after_planting": "30", "n_kg_mu": "1.5"}
# (form changes, Chinese message, English message); the event is the new third one
BAD_EVENTS = [
    (
        {"n_kg_mu": "lots"},
        "第 3 次施肥「拔节」：氮 N（kg/亩） “lots” 不是数字。",
        "Event 3 “拔节”: N (kg/mu) “lots” is not a number.",
    ),
    (
        {"n_kg_mu": "0"},
        "第 3 次施肥「拔节」：氮 N（kg/亩） “0” 必须大于 0、不超过 100。",
        "Event 3 “拔节”: N (kg/mu) “0” must be above 0 and at most 100.",
    ),
    (
        {"n_kg_mu": "", "p2o5_kg_mu": "2"},
        "第 3 次施肥「拔节」：磷 P₂O₅（kg/亩）：没有装 P2O5 的肥料罐。",
        "Event 3 “拔节”: P₂O₅ (kg/mu): no tank holds P2O5.",
    ),
    (
        {"k2o_kg_mu": "200"},
        "第 3 次施肥「拔节」：钾 K₂O（kg/亩） “200” 必须大于 0、不超过 100。",
        "Event 3 “拔节”: K₂O (kg/mu) “200” must be above 0 and at most 100.",
    ),
    (
        {"day_after_planting": ""},
        "第 3 次施肥「拔节」：请填写播种后天数或日期（二选一）。",
        "Event 3 “拔节”: give the days after planting or a date (one of them).",
    ),
    (
        {"date": "2026-07-01"},
        "第 3 次施肥「拔节」：播种后天数和日期只能填一个。",
        "Event 3 “拔节”: give the days after planting or a date, not both.",
    ),
    (
        {"day_after_planting": "", "date": "2026-02-30"},
        "第 3 次施肥「拔节」：日期 “2026-02-30” 不是有效日期（格式 2026-06-01）。",
        "Event 3 “拔节”: date “2026-02-30” is not a date (like 2026-06-01).",
    ),
    (
        {"day_after_planting": "3.5"},
        "第 3 次施肥「拔节」：播种后天数 “3.5” 必须是 0 到 366 之间的整数。",
        "Event 3 “拔节”: days after planting “3.5” must be a whole number from 0 to 366.",
    ),
    (
        {"n_kg_mu": ""},
        "第 3 次施肥「拔节」：请填写氮、磷、钾用量（kg/亩）或目标 EC。",
        "Event 3 “拔节”: give N, P2O5 or K2O in kg/mu, or a target EC.",
    ),
    (
        {"target_ec_ms_cm": "2", "tank": "urea"},
        "第 3 次施肥「拔节」：用量（kg/亩）和目标 EC 只能填一种。",
        "Event 3 “拔节”: give kg/mu or a target EC, not both.",
    ),
    (
        {"n_kg_mu": "", "target_ec_ms_cm": "2"},
        "第 3 次施肥「拔节」：按目标 EC 施肥需要选择肥料罐。",
        "Event 3 “拔节”: a target EC needs the tank to dose from.",
    ),
    (
        {"tank": "urea"},
        "第 3 次施肥「拔节」：只有按目标 EC 施肥时才选择肥料罐。",
        "Event 3 “拔节”: choose a tank only for a target EC.",
    ),
    (
        {"n_kg_mu": "", "target_ec_ms_cm": "2", "tank": "lime"},
        "第 3 次施肥「拔节」：没有名为 “lime” 的肥料罐。",
        "Event 3 “拔节”: there is no tank “lime”.",
    ),
    (
        {"n_kg_mu": "", "target_ec_ms_cm": "0.5", "tank": "urea"},
        "第 3 次施肥「拔节」：目标 EC 0.5 mS/cm 必须高于水源 EC 0.6 mS/cm。",
        "Event 3 “拔节”: target EC 0.5 mS/cm must be above the source water's 0.6 mS/cm.",
    ),
    (
        {"n_kg_mu": "", "target_ec_ms_cm": "4", "tank": "urea"},
        "第 3 次施肥「拔节」：目标 EC 4 mS/cm 超过安全上限 3.5 mS/cm。",
        "Event 3 “拔节”: target EC 4 mS/cm exceeds the safety limit 3.5 mS/cm.",
    ),
    (
        {"zones": ["z7"]},
        "第 3 次施肥「拔节」：没有轮灌区 “z7”。",
        "Event 3 “拔节”: there is no zone “z7”.",
    ),
]


@pytest.mark.parametrize(("changes", "zh", "en"), BAD_EVENTS)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_each_field_of_an_event_is_checked_in_the_pages_language(
    as_role: Any,
    service: PageService,
    lang: str,
    changes: dict[str, Any],
    zh: str,
    en: str,
) -> None:
    admin = _admin(as_role, lang)
    form = {**GOOD, **changes, "plan": PLAN, "csrf": csrf_of(admin)}
    sent = admin.post("/settings/fertigation/events", data=form)
    assert sent.status_code == 422
    page = _text(sent)
    assert (zh if lang == "zh-CN" else en) in page, page[page.find("settings-errors") :][:600]
    assert service.saved == []
    # the refused form is drawn again, open, as it was sent
    assert '<details class="event-edit" id="add-event" open>' in sent.text


def test_an_edit_names_the_event_by_its_number_and_label(
    as_role: Any,
    service: PageService,
) -> None:
    admin = as_role("admin")
    form = {
        "label": "",
        "zones": ["z2"],
        "date": "2026-06-20",
        "k2o_kg_mu": "x",
        "plan": PLAN,
        "csrf": csrf_of(admin),
    }
    sent = admin.post("/settings/fertigation/events/2", data=form)
    assert sent.status_code == 422
    assert "第 2 次施肥：钾 K₂O（kg/亩） “x” 不是数字。" in _text(sent)
    assert '<details class="event-edit" id="edit-event-2" open>' in sent.text


def test_the_site_checks_name_the_event_too(
    as_role: Any,
    service: PageService,
) -> None:
    problem = "fertigation.events[2]: zone 'z1' already has fertigation.events[0] on 2026-05-25"
    service.invalid = [f"{problem} (site.overrides.toml)"]
    admin = as_role("admin")
    sent = admin.post(
        "/settings/fertigation/events", data={**GOOD, "plan": PLAN, "csrf": csrf_of(admin)}
    )
    assert sent.status_code == 422
    assert f"第 3 次施肥「拔节」：站点校验未通过：{problem}" in _text(sent)


def test_a_stage_recipe_event_is_drawn_by_its_recipe_name(
    as_role: Any, service: PageService
) -> None:
    assert service.fertigation is not None
    service.fertigation["events"].append({"day_after_planting": 110, "recipe": "jointing"})
    page = _text(as_role("viewer").get("/settings"))
    row = page[page.index('id="event-3"') :]
    row = row[: row.index("</tr>")]
    assert "配方 jointing（各通道按比例，EC/pH 闭环）" in row and "kg/亩" not in row
    english = _text(_admin(as_role, "en").get("/settings"))
    assert "recipe jointing (channels in ratio, EC/pH loops)" in english
