"""A zone's camera in the site file: accepted as written, refused naming the key and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.sitefile import load_text, problems_of

Z1_END = 'flow_meter = "flow1"\nmax_run_min = 240\n\n[[zones]]\nname = "z2"'
Z2_END = 'flow_meter = "flow1"\nmax_run_min = 240\n\n[[zones]]\nname = "z3"'


def with_camera(text: str, camera: str, *, end: str = Z1_END) -> str:
    assert end in text
    head, tail = end.split("\n\n", 1)
    return text.replace(end, f"{head}\ncamera = {{ {camera} }}\n\n{tail}", 1)


def test_a_camera_with_defaults(tmp_path: Path, demo_site_text: str) -> None:
    site = load_text(tmp_path, with_camera(demo_site_text, 'url = "http://10.0.0.9/snapshot.jpg"'))
    cam = site.zones[0].camera
    assert cam is not None and cam.url == "http://10.0.0.9/snapshot.jpg"
    assert (cam.interval_min, cam.timeout_s, cam.keep_images, cam.max_image_kb) == (
        60,
        10,
        48,
        4096,
    )
    assert site.zones[1].camera is None


@pytest.mark.parametrize(
    ("camera", "expected"),
    [
        ('url = "ftp://cam/snap.jpg"', "zones[0].camera.url: must start with http://"),
        ('url = "http://admin:1234@cam/snap.jpg"', "must not carry a user name or password"),
        ('url = "http:///snap.jpg"', "zones[0].camera.url: names no host"),
        ('url = "http://cam:99999/snap.jpg"', "zones[0].camera.url: bad port"),
        ('url = "http://cam/a b.jpg"', "must not contain spaces"),
        ('url = "http://cam/s.jpg", interval_min = 0.5', "zones[0].camera.interval_min"),
        ('url = "http://cam/s.jpg", timeout_s = 0', "zones[0].camera.timeout_s"),
        ('url = "http://cam/s.jpg", keep_images = 0', "zones[0].camera.keep_images"),
        ('url = "http://cam/s.jpg", max_image_kb = 99999', "zones[0].camera.max_image_kb"),
        ('url = "http://cam/s.jpg", user = "x"', "zones[0].camera.user: unknown key"),
        # strict like the rest of the site file: a quoted number is not a number
        ('url = "http://cam/s.jpg", interval_min = "60"', "zones[0].camera.interval_min"),
        ('url = "http://cam/s.jpg", keep_images = true', "zones[0].camera.keep_images"),
        ('url = "http://cam/s.jpg", timeout_s = nan', "zones[0].camera.timeout_s"),
    ],
)
def test_camera_refusals_name_the_key(
    tmp_path: Path, demo_site_text: str, camera: str, expected: str
) -> None:
    found = problems_of(tmp_path, with_camera(demo_site_text, camera))
    assert any(expected in p and p.endswith("(site.toml)") for p in found), found


@pytest.mark.parametrize(("timeout_s", "refused"), [(59.9, False), (60, True), (60.1, True)])
def test_timeout_must_be_shorter_than_the_interval(
    tmp_path: Path, demo_site_text: str, timeout_s: float, refused: bool
) -> None:
    camera = f'url = "http://cam/s.jpg", interval_min = 1, timeout_s = {timeout_s}'
    text = with_camera(demo_site_text, camera)
    if not refused:
        assert load_text(tmp_path, text).zones[0].camera is not None
        return
    found = problems_of(tmp_path, text)
    assert found == [
        f"zones[0].camera: timeout_s ({timeout_s:g} s) must be shorter than interval_min "
        "(1 min) (site.toml)"
    ]


def test_one_camera_cannot_watch_two_zones(tmp_path: Path, demo_site_text: str) -> None:
    text = with_camera(demo_site_text, 'url = "http://cam/s.jpg"')
    text = with_camera(text, 'url = "http://cam/s.jpg"', end=Z2_END)
    found = problems_of(tmp_path, text)
    assert found == ["zones[1].camera.url: already the camera of zone 'z1' (site.toml)"]
