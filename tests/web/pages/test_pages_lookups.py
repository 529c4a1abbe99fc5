"""What a page looked up and did not find (a zone, a soil probe, an alarm, a photo, a recipe,
a fertigation event, a user) said in the page's language, in a flash message or a 404's
detail, naming what was asked for; and a form field its route's schema refused, named in
the 422's messages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.helpers.pages import PLAN, RECIPES, csrf_of, in_language
from web.i18n import catalog, translate
from web.pages import ROUTERS
from web.pages.errors import FORM_LABELS, ROUTE_FORM_LABELS

REFERER = {"referer": "http://127.0.0.1:8080/"}


def _flash(client: Any, path: str, form: dict[str, str], page: str) -> str:
    data = {"csrf": csrf_of(client, page)} | form
    r = client.post(path, data=data, headers=REFERER)
    assert r.status_code == 303, r.text
    return str(client.get(r.headers["location"]).text)


@pytest.mark.parametrize(
    ("lang", "zone", "probe"),
    [
        ("zh-CN", "没有地块 z9。", "没有土壤探头 probe9。"),
        ("en", "There is no zone z9.", "There is no soil probe probe9."),
    ],
)
def test_a_flash_says_which_zone_or_probe_there_is_not(
    as_role: Any, lang: str, zone: str, probe: str
) -> None:
    admin = in_language(as_role("admin"), lang)
    form = {"csrf": csrf_of(admin, "/probes"), "probe": "probe9", "theta_pct": "20"}
    r = admin.post("/probes/samples", data=form, headers=REFERER)
    assert r.status_code == 422  # the form again, as typed
    assert probe in r.text and "&#39;probe9&#39;" not in r.text  # not the service's English
    form = {"stage": "VE", "observed_on": "2026-05-08"}
    shown = _flash(admin, "/zones/z9/observations", form, "/zones/z1/crop")
    assert zone in shown and "&#39;z9&#39;" not in shown
    shown = _flash(admin, "/soil/z9/approve", {"fitted_at": "2026-07-01T17:40:00+00:00"}, "/soil")
    assert zone in shown and "&#39;z9&#39;" not in shown


@pytest.mark.parametrize(
    ("lang", "zone", "alarm"),
    [
        ("zh-CN", "没有地块 z9。", "没有告警 #999。"),
        ("en", "There is no zone z9.", "There is no alarm #999."),
    ],
)
def test_a_404_says_which_zone_or_alarm_there_is_not(
    as_role: Any, lang: str, zone: str, alarm: str
) -> None:
    admin = in_language(as_role("admin"), lang)
    for path in ("/zones/z9", "/zones/z9/crop", "/zones/z9/chart.json"):
        r = admin.get(path)
        assert (r.status_code, r.json()) == (404, {"detail": zone}), path
    r = admin.get("/alarms/999")
    assert (r.status_code, r.json()) == (404, {"detail": alarm})
    r = admin.post("/alarms/999/ack", data={"csrf": csrf_of(admin, "/alarms")}, headers=REFERER)
    assert (r.status_code, r.json()) == (404, {"detail": alarm})
    data = {"csrf": csrf_of(admin, "/settings"), "crop": "seed_corn"}
    r = admin.post("/settings/zones/z9", data=data, headers=REFERER)
    assert (r.status_code, r.json()) == (404, {"detail": zone})


@pytest.mark.parametrize(
    ("lang", "recipe", "event", "user"),
    [
        ("zh-CN", "没有第 9 个配方。", "没有第 9 次施肥。", "没有用户 nobody。"),
        (
            "en",
            "There is no recipe 9.",
            "There is no fertigation event 9.",
            "There is no user nobody.",
        ),
    ],
)
def test_a_404_says_which_recipe_event_or_user_there_is_not(
    as_role: Any, lang: str, recipe: str, event: str, user: str
) -> None:
    admin = in_language(as_role("admin"), lang)
    csrf = csrf_of(admin, "/settings")
    for path in ("/settings/fertigation/recipes/9", "/settings/fertigation/recipes/9/delete"):
        r = admin.post(path, data={"csrf": csrf, "recipes": RECIPES}, headers=REFERER)
        assert (r.status_code, r.json()) == (404, {"detail": recipe}), path
    for path in ("/settings/fertigation/events/9", "/settings/fertigation/events/9/delete"):
        r = admin.post(path, data={"csrf": csrf, "plan": PLAN}, headers=REFERER)
        assert (r.status_code, r.json()) == (404, {"detail": event}), path
    csrf = csrf_of(admin, "/users")
    for action in ("role", "disable", "enable", "password"):
        data = {"csrf": csrf, "role": "viewer"}
        r = admin.post(f"/users/nobody/{action}", data=data, headers=REFERER)
        assert (r.status_code, r.json()) == (404, {"detail": user}), action


@pytest.mark.parametrize(
    ("lang", "zone", "above", "number"),
    [
        ("zh-CN", "没有地块 nosuch。", "时长（分钟）不能大于 1440。", "暂停（小时）须是数字。"),
        (
            "en",
            "There is no zone nosuch.",
            "Minutes must be at most 1440.",
            "Pause (hours) must be a number.",
        ),
    ],
)
def test_a_control_post_refused_by_lookup_or_schema_says_it_in_the_page_language(
    as_role: Any, lang: str, zone: str, above: str, number: str
) -> None:
    tech = in_language(as_role("technician"), lang)
    r = tech.post("/zones/nosuch/start", data={"minutes": "10", "csrf": csrf_of(tech)})
    assert (r.status_code, r.json()) == (404, {"detail": zone})
    r = tech.post("/zones/z1/start", data={"minutes": "2000", "csrf": csrf_of(tech)})
    assert r.status_code == 422
    assert [e["msg"] for e in r.json()["detail"]] == [above]
    r = tech.post("/pause", data={"hours": "soon", "csrf": csrf_of(tech)})
    assert r.status_code == 422
    assert [(e["loc"], e["msg"]) for e in r.json()["detail"]] == [(["body", "hours"], number)]
    data = {"minutes": "10", "volume_m3": "lots", "csrf": csrf_of(tech)}
    (error,) = tech.post("/zones/z1/start", data=data).json()["detail"]
    assert error["msg"].startswith(translate(lang, "control.volume_m3"))  # the field's label


LONG = "x" * 3000  # longer than any field of the pages' forms takes


@pytest.mark.parametrize(
    ("role", "page", "path", "form", "zh", "en"),
    [
        ("technician", "/probes", "/probes/samples", {}, "缺少探头。", "Probe is missing."),
        (
            "technician",
            "/zones/z1/crop",
            "/zones/z1/observations",
            {"stage": LONG},
            "生育期超过 32 个字符。",
            "Stage is longer than 32 characters.",
        ),
        (
            "admin",
            "/settings",
            "/settings/zones/z1",
            {"mode": LONG},
            "灌溉模式超过 2048 个字符。",
            "Irrigation mode is longer than 2048 characters.",
        ),
        (
            "admin",
            "/soil",
            "/soil/z1/dry-down",
            {"fraction": LONG},
            "要达到的亏缺（TAW 的比例）超过 16 个字符。",
            "Depletion to reach (fraction of TAW) is longer than 16 characters.",
        ),
        (
            "admin",
            "/users",
            "/users",
            {"username": LONG},
            "用户名超过 64 个字符。",
            "Username is longer than 64 characters.",
        ),
        (
            "admin",
            "/users",
            "/users/wei/password",
            {"password": LONG},
            "新密码超过 2048 个字符。",
            "New password is longer than 2048 characters.",
        ),
    ],
)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_forms_field_refused_by_its_route_is_named_by_its_label(
    as_role: Any,
    lang: str,
    role: str,
    page: str,
    path: str,
    form: dict[str, str],
    zh: str,
    en: str,
) -> None:
    """Not only the manual control's minutes, volume and hours: a field of any form the
    route's schema refuses is named as the page labels it, not by the form's key."""
    client = in_language(as_role(role), lang)
    r = client.post(path, data={"csrf": csrf_of(client, page)} | form, headers=REFERER)
    assert r.status_code == 422, r.text
    assert [e["msg"] for e in r.json()["detail"]] == [zh if lang == "zh-CN" else en]


def test_every_forms_label_is_in_both_catalogs_and_every_route_is_the_pages() -> None:
    keys = {*FORM_LABELS.values(), *ROUTE_FORM_LABELS.values()}
    for lang in ("zh-CN", "en"):
        assert sorted(keys - catalog(lang).keys()) == [], lang
    posted = {
        r.path
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and "POST" in r.methods
    }
    assert sorted({route for route, _ in ROUTE_FORM_LABELS} - posted) == []


BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize(
    ("lang", "zone", "number"),
    [
        ("zh-CN", "没有地块 z9。", "暂停（小时）须是数字。"),
        ("en", "There is no zone z9.", "Pause (hours) must be"),
    ],
)
def test_a_browser_is_answered_with_a_page_not_json(
    as_role: Any, lang: str, zone: str, number: str
) -> None:
    """A phone that follows an old link or sends a form the route refuses shows a page in
    the site's frame, the message and the way back, not the API's JSON."""
    tech = in_language(as_role("technician"), lang)
    r = tech.get("/zones/z9", headers=BROWSER)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert f'<p class="error" role="alert">{zone}</p>' in r.text
    assert 'href="/"' in r.text and 'id="logout"' in r.text  # the menu: the way back
    r = tech.post("/pause", data={"hours": "soon", "csrf": csrf_of(tech)}, headers=BROWSER)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert number in r.text and '{"detail"' not in r.text
    r = tech.get("/zones/z1/nosuch", headers=BROWSER)  # no such page at all
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert translate(lang, "error.no_page") in r.text
    assert tech.get("/zones/z9").json() == {"detail": zone}  # any other client: the API's


@pytest.mark.parametrize(
    ("lang", "said"),
    [("zh-CN", "你的角色不能打开这一页。"), ("en", "Your role cannot open this page.")],
)
def test_a_page_beyond_the_users_role_is_said_as_a_page(as_role: Any, lang: str, said: str) -> None:
    viewer = in_language(as_role("viewer"), lang)
    r = viewer.get("/users", headers=BROWSER)
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert f'<p class="error" role="alert">{said}</p>' in r.text and "forbidden" not in r.text
    assert viewer.get("/users").text == "forbidden"  # any other client: as before
