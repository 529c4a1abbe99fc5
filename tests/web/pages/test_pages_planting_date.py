"""A zone's planting date on the settings page: one outside 2000-2099 is refused in the
page's language (it was the site check's English on a Chinese page), one more than a year
after today is refused naming why (a zone is not watered before it); nothing saved (the
fake's today is 2026-05-14)."""

from __future__ import annotations

import html
from typing import Any

import pytest

from tests.helpers.pages import PageService, csrf_of

ZONE = {"crop": "seed_corn", "mode": "et"}

CASES = [
    (
        "1990-01-01",
        "z1：播种日期 1990-01-01 超出 2000-01-01 至 2099-12-31 的范围。",
        "z1: planting date 1990-01-01 is outside 2000-01-01 to 2099-12-31.",
    ),
    (
        "2099-01-01",
        "z1：播种日期 2099-01-01 比今天（2026-05-14）晚一年以上，在此之前该地块不会灌溉。"
        "请填写实际（或计划）播种日期，最晚 2027-05-14。",
        "z1: planting date 2099-01-01 is more than a year after today (2026-05-14): the zone "
        "would not be watered until then. Give the day the crop is (or will be) sown, at the "
        "latest 2027-05-14.",
    ),
    (
        "2027-05-15",
        "z1：播种日期 2027-05-15 比今天（2026-05-14）晚一年以上",
        "z1: planting date 2027-05-15 is more than a year after today",
    ),
]


@pytest.mark.parametrize(("day", "zh", "en"), CASES)
def test_a_planting_date_out_of_range_or_a_year_ahead_is_refused_in_the_pages_language(
    as_role: Any, service: PageService, day: str, zh: str, en: str
) -> None:
    admin = as_role("admin")
    sent = admin.post(
        "/settings/zones/z1", data=ZONE | {"planting_date": day, "csrf": csrf_of(admin)}
    )
    assert sent.status_code == 422
    page = html.unescape(sent.text)
    assert zh in page and en not in page and "is before 2000-01-01" not in page
    admin.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(admin)})
    sent = admin.post(
        "/settings/zones/z1", data=ZONE | {"planting_date": day, "csrf": csrf_of(admin)}
    )
    assert en in html.unescape(sent.text)
    assert service.saved == []


def test_a_planting_date_up_to_a_year_ahead_is_saved(as_role: Any, service: PageService) -> None:
    admin = as_role("admin")
    data = ZONE | {"planting_date": "2027-05-14", "csrf": csrf_of(admin)}
    assert admin.post("/settings/zones/z1", data=data).status_code == 303
    (saved,) = service.saved
    assert str(saved["zones"]["z1"]["planting_date"]) == "2027-05-14"
