"""The zone's start form with a recipe: a select only when the site has recipes, the chosen
name reaching the service, a refusal shown on the page with the daemon's reason."""

from __future__ import annotations

from typing import Any

from controller.daemon.protocol import ControlRefused
from tests.helpers.pages import BASE, PageService, csrf_of


def _starts(service: PageService) -> list[dict[str, Any]]:
    return [args for verb, args in service.calls if verb == "start_zone"]


def _post_start(client: Any, status: int, **form: str) -> Any:
    r = client.post(
        "/zones/z1/start",
        data={"minutes": "60", "csrf": csrf_of(client), **form},
        headers={"referer": f"{BASE}/zones/z1"},
    )
    assert r.status_code == status, r.text
    return r


def _start(client: Any, **form: str) -> Any:
    return client.get(_post_start(client, 303, **form).headers["location"])


def _refused(client: Any, **form: str) -> str:
    """A refused start: redirected back to the page it came from, the reason flashed."""
    return str(_start(client, **form).text)


def test_no_recipe_select_on_a_site_without_recipes(as_role: Any, service: PageService) -> None:
    tech = as_role("technician")
    page = tech.get("/zones/z1").text
    assert 'name="minutes"' in page and 'name="recipe"' not in page
    service.fertigation = None  # no [fertigation] section at all
    page = tech.get("/zones/z1").text
    assert 'name="minutes"' in page and 'name="recipe"' not in page


def test_the_select_offers_the_site_recipes_and_the_choice_reaches_the_service(
    as_role: Any, service: PageService
) -> None:
    service.recipes = ["jointing", "tassel"]
    tech = as_role("technician")
    page = tech.get("/zones/z1").text
    select = page.split('<select name="recipe"', 1)[1].split("</select>", 1)[0]
    assert '<option value="">不施肥</option>' in select
    assert '<option value="jointing">jointing</option>' in select and "tassel" in select
    assert "配方（可不选）" in page
    _start(tech, recipe="jointing")
    _start(tech, recipe="")  # "water only": a plain timed run
    assert _starts(service) == [
        {"zone": "z1", "minutes": 60.0, "actor": "tian", "recipe": "jointing"},
        {"zone": "z1", "minutes": 60.0, "actor": "tian"},
    ]


def test_a_refused_recipe_run_shows_the_reason(as_role: Any, service: PageService) -> None:
    service.recipes = ["jointing"]
    tech = as_role("technician")
    shown = _start(tech, recipe="gone")
    said = "操作被拒绝：没有这个配方（控制器记录：no recipe &#39;gone&#39; in fertigation.recipes）"
    assert said in shown.text
    service.refuse = ControlRefused(
        "zone z1 not started: 20 min is shorter than prewet 15 + inject 20 + flush 25 min "
        "for recipe 'jointing'",
        "too_short_for_recipe",
    )
    shown = _start(tech, recipe="jointing")
    said = "操作被拒绝：时长不够配方的预湿、注肥和冲洗（控制器记录：zone z1 not started: 20 min"
    assert said in shown.text
    assert _starts(service) == []


def test_a_viewer_cannot_start_a_recipe_run(as_role: Any, service: PageService) -> None:
    service.recipes = ["jointing"]
    viewer = as_role("viewer")
    assert 'name="recipe"' not in viewer.get("/zones/z1").text
    r = viewer.post(
        "/zones/z1/start", data={"minutes": "60", "recipe": "jointing", "csrf": csrf_of(viewer)}
    )
    assert r.status_code == 403
    assert _starts(service) == []
