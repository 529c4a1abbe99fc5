"""The zone's start form by volume: an empty volume is a timed run, a volume reaches the
service with the minutes as its cap, a volume that is no number is a clean 422."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.pages import BASE, PageService, csrf_of


def _starts(service: PageService) -> list[dict[str, Any]]:
    return [args for verb, args in service.calls if verb == "start_zone"]


def test_the_start_form_offers_a_volume(as_role: Any) -> None:
    page = as_role("technician").get("/zones/z1").text
    assert 'name="volume_m3"' in page and "水量（立方米，可不填）" in page


@pytest.mark.parametrize(
    ("volume", "expected"),
    [("", {}), ("20", {"volume_m3": 20.0}), ("0.1", {"volume_m3": 0.1})],
)
def test_a_start_with_or_without_a_volume(
    as_role: Any, service: PageService, volume: str, expected: dict[str, float]
) -> None:
    tech = as_role("technician")
    r = tech.post(
        "/zones/z1/start",
        data={"minutes": "30", "volume_m3": volume, "csrf": csrf_of(tech)},
        headers={"referer": f"{BASE}/"},
    )
    assert r.status_code in (200, 303), r.text
    assert _starts(service) == [{"zone": "z1", "minutes": 30.0, "actor": "tian", **expected}]


@pytest.mark.parametrize("volume", ["0", "-1", "nan", "1e999", "lots"])
def test_a_volume_that_is_no_target_is_a_clean_422(
    as_role: Any, service: PageService, volume: str
) -> None:
    tech = as_role("technician")
    r = tech.post(
        "/zones/z1/start", data={"minutes": "30", "volume_m3": volume, "csrf": csrf_of(tech)}
    )
    assert r.status_code == 422, r.text
    assert _starts(service) == []
