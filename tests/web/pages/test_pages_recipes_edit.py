"""The dosing recipes on the settings page, over the daemon's own service on a channel site:
a recipe added, edited and deleted reaches the running site and ``site.overrides.toml``; a
bad one is refused by the site file's rule with the message next to its field, in both
languages; viewers and technicians cannot change them; a stale form changes nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from controller.config import overrides
from controller.daemon.service import DaemonService
from tests.helpers.dosing import quick_channel_site
from tests.helpers.livepages import LiveSite, page_clients
from tests.helpers.pages import USERS, csrf_of
from web.pages.plan_form import plan_version
from web.pages.recipe_form import parse_recipe, site_problem_field

CHANNELS = ["N", "P", "K", "acid"]
GOOD = {
    "name": "tassel",
    "stage": "大喇叭口期",
    "amount:N": "2",
    "unit:N": "kg_mu",
    "amount:K": "1.5",
    "unit:K": "l_mu",
    "amount:acid": "0.14",
    "unit:acid": "l_m3",
    "ec_ms_cm": "1.8",
    "ph": "6.3",
}


class Box(LiveSite):
    def __init__(self, tmp_path: Path) -> None:
        quick_channel_site(tmp_path)
        super().__init__(tmp_path)

    def recipes(self) -> list[str]:
        f = self.daemon.site.fertigation
        assert f is not None
        return [r.name for r in f.recipes]

    def version(self) -> str:
        f = self.daemon.site.fertigation
        assert f is not None
        return plan_version([r.model_dump(exclude_none=True) for r in f.recipes])


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    b = Box(tmp_path)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def client(box: Box) -> Iterator[Any]:
    with page_clients(box) as make:
        yield make


def _post(c: TestClient, box: Box, path: str, **form: str) -> Any:
    data = {"csrf": csrf_of(c), "recipes": box.version(), **form}
    return c.post(path, data=data)


def _errors_of(page: str, field: str) -> list[str]:
    span = rf'<span class="error field-error" data-field="{field}">([^<]*)</span>'
    found = re.findall(span, page)
    return [html.unescape(f) for f in found]


def test_an_admin_adds_edits_and_deletes_a_recipe(box: Box, client: Any) -> None:
    admin = client("admin")
    assert box.recipes() == ["jointing", "rig", "rig-acid"]
    assert _post(admin, box, "/settings/fertigation/recipes", **GOOD).status_code == 303
    assert box.recipes() == ["jointing", "rig", "rig-acid", "tassel"]
    f = box.daemon.site.fertigation
    assert f is not None
    added = f.recipes[-1]
    assert (added.stage, added.ec_ms_cm, added.ph) == ("大喇叭口期", 1.8, 6.3)
    assert [(d.channel, d.kg_mu, d.l_mu, d.l_m3) for d in added.doses] == [
        ("N", 2.0, None, None),
        ("K", None, 1.5, None),
        ("acid", None, None, 0.14),
    ]
    saved = overrides.load(box.data_dir)["fertigation"]["recipes"]
    assert saved[-1]["doses"][0] == {"channel": "N", "kg_mu": 2.0}
    page = html.unescape(admin.get("/settings").text)
    assert "tassel" in page and "大喇叭口期" in page and "N 2.0 公斤/亩" in page

    changed = {**GOOD, "amount:N": "", "amount:P": "3", "unit:P": "l_m3"}
    assert _post(admin, box, "/settings/fertigation/recipes/4", **changed).status_code == 303
    f = box.daemon.site.fertigation
    assert f is not None
    assert [(d.channel, d.l_m3) for d in f.recipes[3].doses] == [
        ("P", 3.0),
        ("K", None),
        ("acid", 0.14),
    ]

    assert _post(admin, box, "/settings/fertigation/recipes/2/delete").status_code == 303
    assert box.recipes() == ["jointing", "rig-acid", "tassel"]
    audit = box.store.last_audit("settings.change")
    assert audit is not None and audit.actor == USERS["admin"]


@pytest.mark.parametrize(
    ("lang", "change", "field", "message"),
    [
        ("zh-CN", {"ec_ms_cm": "25"}, "ec_ms_cm", "EC 设定值（mS/cm）不能大于 20。"),
        ("en", {"ec_ms_cm": "25"}, "ec_ms_cm", "EC setpoint (mS/cm) must be at most 20."),
        ("en", {"ph": "abc"}, "ph", "pH setpoint: “abc” is not a number."),
        ("zh-CN", {"name": "9 号"}, "name", "名称：只能用字母、数字、- 和 _，以字母开头"),
        ("en", {"amount:K": "0"}, "amount:K", "amount of channel K must be above 0."),
        (
            "en",
            {"amount:N": "", "amount:K": "", "amount:acid": ""},
            "recipe",
            "Give an amount for at least one channel.",
        ),
        # the site's own cross-checks, next to the field they name, in the page's language
        (
            "en",
            {"ec_ms_cm": "5"},
            "ec_ms_cm",
            "Site check failed: Recipe tassel: EC setpoint 5 mS/cm is above the safety maximum",
        ),
        (
            "zh-CN",
            {"ec_ms_cm": "5"},
            "ec_ms_cm",
            "站点校验未通过：配方「tassel」：EC 设定值 5 mS/cm 超过安全上限",
        ),
        (
            "zh-CN",
            {"unit:acid": "l_mu"},
            "amount:acid",
            "配方「tassel」：酸通道 acid 只能按升/立方米给",
        ),
        (
            "en",
            {"unit:acid": "l_mu"},
            "amount:acid",
            "Recipe tassel: acid channel acid is dosed in L/m³",
        ),
        ("en", {"name": "rig"}, "name", "Recipe rig is named twice."),
        ("zh-CN", {"name": "rig"}, "name", "配方「rig」重名。"),
    ],
)
def test_a_bad_recipe_is_refused_with_the_message_by_its_field(
    box: Box, client: Any, lang: str, change: dict[str, str], field: str, message: str
) -> None:
    admin = client("admin", lang)
    sent = _post(admin, box, "/settings/fertigation/recipes", **{**GOOD, **change})
    assert sent.status_code == 422
    shown = _errors_of(sent.text, field)
    assert any(message in e for e in shown), (shown, sent.text.count("field-error"))
    assert box.recipes() == ["jointing", "rig", "rig-acid"]
    assert "recipes" not in overrides.load(box.data_dir).get("fertigation", {})


def test_a_recipe_a_plan_event_names_cannot_be_deleted(box: Box, client: Any) -> None:
    admin = client("admin")
    event = {"label": "拔节", "day_after_planting": 35, "recipe": "rig"}
    DaemonService(box.daemon, data_dir=box.data_dir).apply_settings(
        {"fertigation": {"events": [event]}}, actor="ada"
    )
    sent = _post(admin, box, "/settings/fertigation/recipes/2/delete")
    assert sent.status_code == 422
    assert "没有配方「rig」（施肥计划的事件引用了它）" in sent.text
    assert box.recipes() == ["jointing", "rig", "rig-acid"]


@pytest.mark.parametrize("role", ["viewer", "technician"])
def test_only_admins_change_recipes(box: Box, client: Any, role: str) -> None:
    other = client(role)
    sent = _post(other, box, "/settings/fertigation/recipes", **GOOD)
    assert sent.status_code == 403
    assert box.recipes() == ["jointing", "rig", "rig-acid"]


def test_a_form_from_older_recipes_changes_nothing(box: Box, client: Any) -> None:
    admin = client("admin")
    old = box.version()
    assert _post(admin, box, "/settings/fertigation/recipes", **GOOD).status_code == 303
    data = {"csrf": csrf_of(admin), "recipes": old}
    sent = admin.post("/settings/fertigation/recipes/1/delete", data=data)
    assert sent.status_code == 409
    assert box.recipes() == ["jointing", "rig", "rig-acid", "tassel"]


# ------------------------------------------------------------------ the form's own reading


def test_parse_recipe_reads_numbers_and_leaves_empty_channels_out() -> None:
    recipe, errors = parse_recipe("en", GOOD, CHANNELS)
    assert errors == {}
    assert recipe["doses"] == [
        {"channel": "N", "kg_mu": 2.0},
        {"channel": "K", "l_mu": 1.5},
        {"channel": "acid", "l_m3": 0.14},
    ]
    _, errors = parse_recipe("en", {**GOOD, "amount:Z": "1"}, CHANNELS)
    assert errors == {"recipe": ["There is no channel “Z”."]}
    _, errors = parse_recipe("en", {**GOOD, "amount:N": "inf"}, CHANNELS)
    assert errors == {"amount:N": ["amount of channel N: “inf” is not a number."]}


def test_site_problems_map_to_the_sent_recipes_fields() -> None:
    recipe, _ = parse_recipe("en", GOOD, CHANNELS)
    problem = "fertigation.recipes[1].doses[2]: acid channel 'acid' is dosed in l_m3 (site.toml)"
    assert site_problem_field(problem, 2, recipe) == "amount:acid"
    assert site_problem_field(problem, 1, recipe) is None  # another recipe's
    assert site_problem_field("fertigation.recipes[0].ph: 8.5 is ...", 1, recipe) == "ph"
    assert site_problem_field("fertigation.events[0].recipe: unknown", 1, recipe) is None


# ------------------------------------------------------- a plan event naming a recipe


def _plan(box: Box) -> str:
    f = box.daemon.site.fertigation
    assert f is not None
    return plan_version([e.model_dump(exclude_none=True) for e in f.events])


def test_a_plan_event_names_a_recipe_from_the_select(box: Box, client: Any) -> None:
    admin = client("admin")
    page = admin.get("/settings").text
    select = page.split('id="event-form-new"', 1)[1].split('<select name="recipe">', 1)[1]
    assert '<option value="rig" >rig</option>' in select.split("</select>", 1)[0]
    event = {"label": "抽雄", "day_after_planting": "70", "recipe": "rig"}
    data = {"csrf": csrf_of(admin), "plan": _plan(box), **event}
    assert admin.post("/settings/fertigation/events", data=data).status_code == 303
    f = box.daemon.site.fertigation
    assert f is not None
    assert (f.events[-1].label, f.events[-1].recipe) == ("抽雄", "rig")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recipe": "gone"}, "第 9 次施肥「抽雄」：没有配方“gone”。"),
        ({"n_kg_mu": "1"}, "第 9 次施肥「抽雄」：配方自带用量和设定值"),
    ],
)
def test_a_recipe_event_the_site_cannot_give_is_refused(
    box: Box, client: Any, change: dict[str, str], message: str
) -> None:
    admin = client("admin")
    before = _plan(box)
    event = {"label": "抽雄", "day_after_planting": "70", "recipe": "rig", **change}
    sent = admin.post(
        "/settings/fertigation/events", data={"csrf": csrf_of(admin), "plan": before, **event}
    )
    assert sent.status_code == 422
    assert message in html.unescape(sent.text)
    assert _plan(box) == before
