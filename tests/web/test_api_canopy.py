"""A zone's canopy cover and its camera photos over the API."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers.asgi import AsgiClient
from tests.helpers.fakes import NOW, FakeControlService

API = "/api/v1"
PHOTO = "20260514T063000Z.jpg"


@pytest.fixture
def with_camera(service: FakeControlService) -> Path:
    view = service.canopy_views["z1"]
    assert view.latest_photo == PHOTO
    return service.canopy_photos[("z1", PHOTO)]


def test_the_series_oldest_first_with_statuses(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService, with_camera: Path
) -> None:
    r = client.get(f"{API}/zones/z1/canopy", token=tokens["viewer"], params={"days": "7"})
    assert r.status_code == 200
    body = r.json()
    assert (body["zone"], body["camera"], body["interval_min"]) == ("z1", True, 60.0)
    assert [(p["status"], p["cover"], p["image"]) for p in body["points"]] == [
        ("ok", 0.3871, None),
        ("timeout", None, None),
        ("ok", 0.4213, PHOTO),
    ]
    assert body["points"][1]["detail"] == "no answer in 10 s"
    assert datetime.fromisoformat(body["points"][2]["at"]) == NOW
    assert body["latest_photo"] == PHOTO
    assert service.calls[-1] == ("canopy", {"zone": "z1", "days": 7})


def test_a_zone_without_camera_says_so(client: AsgiClient, tokens: dict[str, str]) -> None:
    body = client.get(f"{API}/zones/z2/canopy", token=tokens["viewer"]).json()
    assert body == {
        "zone": "z2",
        "camera": False,
        "interval_min": None,
        "points": [],
        "latest_photo": None,
    }


def test_the_photo_newest_or_by_name(
    client: AsgiClient, tokens: dict[str, str], with_camera: Path
) -> None:
    for params in ({}, {"name": PHOTO}):
        r = client.get(f"{API}/zones/z1/canopy/photo", token=tokens["viewer"], params=params)
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/jpeg"
        assert r.content == with_camera.read_bytes() and r.content[:2] == b"\xff\xd8"


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/zones/nope/canopy", {}, 404),
        ("/zones/z2/canopy/photo", {}, 404),  # no camera, no photo
        ("/zones/z1/canopy/photo", {"name": "20260101T000000Z.jpg"}, 404),  # not kept
        ("/zones/z1/canopy/photo", {"name": "../site.toml"}, 422),
        ("/zones/z1/canopy", {"days": "0"}, 422),
    ],
)
def test_refusals(
    client: AsgiClient,
    tokens: dict[str, str],
    with_camera: Path,
    path: str,
    params: dict[str, str],
    code: int,
) -> None:
    r = client.get(API + path, token=tokens["viewer"], params=params)
    assert r.status_code == code, r.text


def test_a_technician_s_photo_is_estimated(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService, with_camera: Path
) -> None:
    r = client.post(
        f"{API}/zones/z2/canopy/photo",
        token=tokens["technician"],
        content=with_camera.read_bytes(),
        headers={"content-type": "image/jpeg"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["cover"] == 0.5 and r.json()["detail"] == "uploaded by tian"
    assert service.calls[-1] == (
        "add_canopy_photo",
        {"zone": "z2", "bytes": len(with_camera.read_bytes()), "actor": "tian"},
    )


def test_an_upload_that_is_no_photo_is_refused_naming_why(
    client: AsgiClient, tokens: dict[str, str]
) -> None:
    r = client.post(
        f"{API}/zones/z1/canopy/photo",
        token=tokens["technician"],
        content=b"<html>hello</html>",
        headers={"content-type": "image/jpeg"},
    )
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["type"] == "not_image" and "not a JPEG or PNG" in error["msg"]


def test_a_viewer_may_not_upload(client: AsgiClient, tokens: dict[str, str]) -> None:
    r = client.post(f"{API}/zones/z1/canopy/photo", token=tokens["viewer"], content=b"x")
    assert r.status_code == 403
