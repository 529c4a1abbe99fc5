"""A zone camera's snapshot over HTTP: faults of a real loopback server become named errors."""

from __future__ import annotations

import io
import socket
import threading
import time

import numpy as np
import pytest
from PIL import Image

from controller.canopy.camera import WORK_SIDE_PX, decode_snapshot, fetch_snapshot
from controller.canopy.errors import (
    CameraError,
    CameraHTTPError,
    CameraTimeout,
    CameraUnreachable,
    ImageTooLarge,
    NotAnImage,
)
from drivers.sim.camera import SnapshotServer

MAX = 1 << 20


@pytest.fixture
def camera() -> SnapshotServer:
    with SnapshotServer(lambda: 0.4, film="black", seed=1) as cam:
        yield cam


def test_a_snapshot_is_a_photo_of_the_scene(camera: SnapshotServer) -> None:
    body = fetch_snapshot(camera.url, timeout_s=5, max_bytes=MAX)
    rgb = decode_snapshot(body, url=camera.url)
    assert rgb.shape == (120, 160, 3) and rgb.dtype == np.uint8
    green = (rgb[..., 1].astype(int) > rgb[..., 0] + 15) & (rgb[..., 1] > rgb[..., 2] + 15)
    assert 0.2 < green.mean() < 0.6  # the leaves of a 0.4 cover, roughly
    # each snapshot is a new photo of the same cover
    assert fetch_snapshot(camera.url, timeout_s=5, max_bytes=MAX) != body


def test_http_500_is_an_http_error_naming_the_camera(camera: SnapshotServer) -> None:
    camera.fault = "http_500"
    with pytest.raises(CameraHTTPError, match="HTTP 500") as info:
        fetch_snapshot(camera.url, timeout_s=5, max_bytes=MAX)
    assert info.value.code == 500 and info.value.status == "http_error"
    assert camera.url in str(info.value) and info.value.url == camera.url


def test_a_wrong_path_is_an_http_error(camera: SnapshotServer) -> None:
    with pytest.raises(CameraHTTPError, match="404"):
        fetch_snapshot(camera.url.replace("snapshot", "snap"), timeout_s=5, max_bytes=MAX)


def test_a_non_image_body_is_not_an_image(camera: SnapshotServer) -> None:
    camera.fault = "not_image"
    body = fetch_snapshot(camera.url, timeout_s=5, max_bytes=MAX)
    with pytest.raises(NotAnImage, match="not a JPEG or PNG") as info:
        decode_snapshot(body, url=camera.url)
    assert info.value.status == "not_image" and camera.url in str(info.value)


def test_a_hung_camera_times_out_in_its_timeout(camera: SnapshotServer) -> None:
    camera.fault = "hang"
    started = time.monotonic()
    with pytest.raises(CameraTimeout) as info:
        fetch_snapshot(camera.url, timeout_s=0.4, max_bytes=MAX)
    assert 0.3 < time.monotonic() - started < 3.0
    assert info.value.status == "timeout"


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{port}/snapshot.jpg"
        with pytest.raises(CameraUnreachable) as info:
            fetch_snapshot(url, timeout_s=2, max_bytes=MAX)
    assert info.value.status == "unreachable" and url in str(info.value)


def test_more_bytes_than_allowed_is_too_large(camera: SnapshotServer) -> None:
    with pytest.raises(ImageTooLarge, match="at most 1000"):
        fetch_snapshot(camera.url, timeout_s=5, max_bytes=1000)


def _encoded(rgb: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt)
    return buf.getvalue()


def test_png_is_read_and_a_large_photo_reduced_to_the_working_size() -> None:
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[:, :320] = (40, 160, 40)
    small = decode_snapshot(_encoded(rgb, "PNG"), url="u")
    assert small.shape == (120, WORK_SIDE_PX, 3)
    assert abs(float(np.mean(small[..., 1] > 100)) - 0.5) < 0.02  # the fraction is kept


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>login</html>",
        _encoded(np.zeros((40, 40, 3), np.uint8), "JPEG")[:200],  # cut off mid-picture
        _encoded(np.zeros((40, 40, 3), np.uint8), "GIF"),  # a picture, not a camera's
    ],
    ids=["empty", "html", "truncated-jpeg", "gif"],
)
def test_what_is_no_jpeg_or_png_is_refused(body: bytes) -> None:
    with pytest.raises(NotAnImage) as info:
        decode_snapshot(body, url="http://cam/s.jpg")
    assert isinstance(info.value, CameraError) and "http://cam/s.jpg" in str(info.value)


def test_a_hang_cleared_drops_the_held_request(camera: SnapshotServer) -> None:
    camera.fault = "hang"
    timer = threading.Timer(0.3, setattr, (camera, "fault", None))
    timer.start()
    started = time.monotonic()
    with pytest.raises(CameraUnreachable, match="broken off"):
        fetch_snapshot(camera.url, timeout_s=5, max_bytes=MAX)
    assert time.monotonic() - started < 3.0  # not the 5 s timeout
    timer.join()
    assert fetch_snapshot(camera.url, timeout_s=5, max_bytes=MAX)[:2] == b"\xff\xd8"


def test_a_slow_answer_is_abandoned_at_the_timeout_as_a_whole(camera: SnapshotServer) -> None:
    camera.fault = "slow"  # every read gets bytes: only the whole answer's deadline stops it
    started = time.monotonic()
    with pytest.raises(CameraTimeout, match=r"not complete in 0\.5 s"):
        fetch_snapshot(camera.url, timeout_s=0.5, max_bytes=MAX)
    assert time.monotonic() - started < 1.5
