"""A zone's canopy cover on its page (zh and en): cover, photo, line, attempts; none without."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from controller.daemon.protocol import CanopyPoint, CanopyView
from tests.helpers.fakes import CANOPY_PHOTO, NOW
from tests.helpers.pages import PageService, csrf_of
from web.pages.zones import canopy_polyline


def _canopy(page: str) -> str:
    start = page.index('id="zone-canopy"')
    return page[start : page.index("</div>", start)]


def test_cover_photo_line_and_attempts_in_chinese_then_english(
    as_role: Any, service: PageService
) -> None:
    viewer = as_role("viewer")
    section = _canopy(viewer.get("/zones/z1").text)
    assert "苗情 · 冠层覆盖度" in section
    assert "冠层覆盖度 42 %" in section  # the newest cover, 0.4213
    assert f'src="/zones/z1/canopy/photo?photo={CANOPY_PHOTO.name}"' in section
    assert "<polyline" in section
    assert section.count("<tr class=") == 3 and "摄像头超时" in section
    assert service.calls[-1] == ("canopy", {"zone": "z1", "days": 30})
    viewer.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(viewer)})
    section = _canopy(viewer.get("/zones/z1").text)
    assert "Crop canopy cover" in section and "camera timed out" in section


def test_a_failing_camera_says_why_beside_the_last_cover(
    as_role: Any, service: PageService
) -> None:
    old = service.canopy_views["z1"]
    failed = CanopyPoint(NOW + timedelta(hours=1), "not_image", detail="<html>")
    service.canopy_views["z1"] = CanopyView("z1", True, 60.0, (*old.points, failed), None)
    section = _canopy(as_role("viewer").get("/zones/z1").text)
    assert "冠层覆盖度 42 %" in section and "返回内容不是图片" in section
    assert "<img" not in section  # no photo kept


def test_a_zone_without_camera_shows_no_canopy(as_role: Any) -> None:
    assert 'id="zone-canopy"' not in as_role("viewer").get("/zones/z2").text


def test_the_photo_is_served_to_a_viewer_and_names_are_checked(as_role: Any) -> None:
    viewer = as_role("viewer")
    r = viewer.get("/zones/z1/canopy/photo")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == CANOPY_PHOTO.read_bytes()
    assert viewer.get("/zones/z2/canopy/photo").status_code == 404
    assert viewer.get("/zones/z1/canopy/photo", params={"photo": "../x"}).status_code == 422


def test_the_line_spans_the_covers_in_time() -> None:
    view = CanopyView(
        "z1",
        True,
        60.0,
        (
            CanopyPoint(NOW, "ok", 0.0),
            CanopyPoint(NOW + timedelta(hours=1), "timeout"),
            CanopyPoint(NOW + timedelta(hours=3), "ok", 0.5),
            CanopyPoint(NOW + timedelta(hours=4), "ok", 1.0),
        ),
    )
    chart = canopy_polyline(view, width=400, height=100)
    assert chart is not None
    assert chart["points"] == "0.0,100.0 300.0,50.0 400.0,0.0"
    assert canopy_polyline(CanopyView("z1", True, 60.0, view.points[:2])) is None


def test_a_zone_without_camera_shows_its_uploaded_photos(
    as_role: Any, service: PageService
) -> None:
    service.canopy_views["z2"] = CanopyView(
        "z2", False, None, (CanopyPoint(NOW, "ok", 0.25, None, "uploaded by tian"),)
    )
    section = _canopy(as_role("viewer").get("/zones/z2").text)
    assert "冠层覆盖度 25 %" in section and "<polyline" not in section
