"""A run's time left on the overview and zone page: with its units, never ``M:SS``.

``119:45`` reads as a clock or as hours and minutes on site; the pages say ``1 h 59 min``
(``1小时59分``) from an hour and count seconds below it (``4 min 05 s``, ``4分05秒``).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC
from typing import Any

import pytest

from tests.helpers.pages import PageService, csrf_of
from web.pages.format import Formatter


@pytest.mark.parametrize(
    ("locale", "seconds", "said"),
    [
        ("zh-CN", 7185.0, "1小时59分"),
        ("en", 7185.0, "1 h 59 min"),
        ("zh-CN", 245.4, "4分05秒"),
        ("en", 245.4, "4 min 05 s"),
        ("en", 3600.0, "1 h 00 min"),
        ("en", 3599.6, "1 h 00 min"),  # rounded to the second first
        ("en", -3.0, "0 min 00 s"),
        ("zh-CN", None, "–"),
    ],
)
def test_time_left_is_said_with_its_units(locale: str, seconds: float | None, said: str) -> None:
    assert Formatter(locale, UTC).duration(seconds) == said


@pytest.mark.parametrize(("lang", "said"), [("zh-CN", "1小时59分"), ("en", "1 h 59 min")])
def test_the_overview_and_zone_page_say_time_left_with_units(
    as_role: Any, service: PageService, lang: str, said: str
) -> None:
    z1 = service.zones_by_name["z1"]
    service.zones_by_name["z1"] = dataclasses.replace(z1, valve_on=True, remaining_s=7185.0)
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    for path in ("/", "/zones/z1"):
        page = viewer.get(path).text
        assert f'class="remaining">{said}<' in page, path
        assert "119:45" not in page, path
