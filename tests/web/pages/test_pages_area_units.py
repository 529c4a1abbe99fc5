"""One area unit a language on the pages a technician and a visitor read: the overview's zone
cards, the zone page and the board say every area and every figure per area in mu (亩 on
Chinese pages, mu on English ones), the unit the district counts water and fertilizer in; no
card says one figure per hectare and the next per mu."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers.pages import csrf_of

# a figure per area (82 m³/亩, 13.1 kg/mu, 1237.0 m³/ha) and an area (25.0 亩, 1.67 ha)
PER_AREA = re.compile(r"\d (?:m³|kg|L)/(亩|mu|ha|hm²|公顷)")
AREA = re.compile(r"\d (亩|mu|ha|hm²|公顷)(?![/\w])")
MU = {"zh-CN": "亩", "en": "mu"}


def units(page: str) -> tuple[set[str], set[str]]:
    """The area units a page's figures per area and its areas are said in."""
    return set(PER_AREA.findall(page)), set(AREA.findall(page))


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_figure_per_area_is_per_mu(as_role: Any, anon: TestClient, lang: str) -> None:
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    anon.cookies.set("qanat_lang", lang)
    for path, client in (("/", viewer), ("/zones/z1", viewer), ("/board", anon)):
        page = client.get(path).text
        per_area, areas = units(page)
        assert per_area == {MU[lang]}, (path, per_area)
        assert areas <= {MU[lang]}, (path, areas)
    overview = viewer.get("/").text
    assert units(overview)[1] == {MU[lang]}  # the zone cards name their areas
