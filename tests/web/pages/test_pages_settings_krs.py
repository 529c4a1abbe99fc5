"""The settings page shows the site's FAO-56 eq. 50 krs, read-only, with its meaning and where
it came from, in both languages."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.helpers.pages import PageService, csrf_of


def _section(page: str) -> str:
    start = page.index('id="site-krs"')
    return re.sub(r"\s+", " ", html.unescape(page[start : page.index("</section>", start)]))


def test_every_role_sees_the_default_krs_and_its_meaning(as_role: Any) -> None:
    for role in ("viewer", "admin"):
        shown = _section(as_role(role).get("/settings").text)
        assert "辐射系数 krs = 0.16（默认值：站点文件未设置）" in shown
        assert "FAO-56 式 50" in shown and "Rs = krs · √(Tmax − Tmin) · Ra" in shown
        assert "站点文件允许 0.10–0.25" in shown
        assert "<input" not in shown and "<form" not in shown  # read-only, even to an admin


@pytest.mark.parametrize(
    ("krs_from", "said"),
    [
        ("site_file", "set in the site file"),
        ("default", "the default: the site file does not set it"),
        ("overrides", "from site.overrides.toml in the data directory"),
    ],
)
def test_the_page_says_where_the_krs_came_from_in_english(
    as_role: Any, service: PageService, krs_from: str, said: str
) -> None:
    service.site_krs = {"krs": 0.148, "krs_from": krs_from}
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": "en", "next": "/settings", "csrf": csrf_of(viewer)})
    shown = _section(viewer.get("/settings").text)
    assert f"Radiation coefficient krs = 0.148 ({said})" in shown
    assert "FAO-56 eq. 50" in shown and "the site file accepts 0.10–0.25" in shown
