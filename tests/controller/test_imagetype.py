"""One check of a photo's type for the crop desk's uploads and the camera's snapshots:
JPEG and PNG by their structure, each other thing refused naming what is wrong."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from controller.canopy.camera import decode_snapshot
from controller.canopy.errors import NotAnImage
from controller.canopy.imagetype import SUFFIX, image_type
from controller.daemon.cropdesk import photo_type
from controller.daemon.protocol import ObservationRefused
from tests.helpers.photos import jpeg_bytes, png_bytes


def _encoded(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(buf, format=fmt)
    return buf.getvalue()


def _png_of(width_px: int, height_px: int) -> bytes:
    png = png_bytes()
    return png[:16] + struct.pack(">II", width_px, height_px) + png[24:]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (_encoded("JPEG"), "image/jpeg"),
        (jpeg_bytes(), "image/jpeg"),
        (jpeg_bytes() + b"\x00" * 16, "image/jpeg"),  # padded by the camera
        (_encoded("PNG"), "image/png"),
        (png_bytes(), "image/png"),
    ],
    ids=["pillow-jpeg", "small-jpeg", "padded-jpeg", "pillow-png", "small-png"],
)
def test_jpeg_and_png_are_told_by_their_structure(data: bytes, kind: str) -> None:
    assert image_type(data, source="s") == kind
    assert photo_type(data) == kind
    assert SUFFIX[image_type(data, source="s")] == {"image/jpeg": ".jpg", "image/png": ".png"}[kind]


REFUSED = [
    (b"", "not a JPEG or PNG"),
    (b"<html>login</html>", "not a JPEG or PNG"),
    (_encoded("GIF"), "not a JPEG or PNG"),
    (b"\xff\xd8\x00" + jpeg_bytes()[3:], "not a JPEG or PNG"),  # no marker after the start
    (_encoded("JPEG")[:-40], "a JPEG without its end"),
    (_encoded("JPEG") + b"trailing", "a JPEG without its end"),
    (png_bytes()[:30], "a PNG without its IHDR header"),
    (png_bytes()[:12] + b"IDAT" + png_bytes()[16:], "a PNG without its IHDR header"),
    (_png_of(0, 1), "a PNG of 0×1 px"),
    (_png_of(1, 0), "a PNG of 1×0 px"),
]
IDS = [
    "empty",
    "html",
    "gif",
    "jpeg-no-marker",
    "jpeg-cut-off",
    "jpeg-trailing",
    "png-short",
    "png-no-ihdr",
    "png-no-width",
    "png-no-height",
]


@pytest.mark.parametrize(("data", "why"), REFUSED, ids=IDS)
def test_each_other_thing_is_refused_naming_why(data: bytes, why: str) -> None:
    with pytest.raises(NotAnImage, match=why) as info:
        image_type(data, source="http://cam/s.jpg")
    assert info.value.url == "http://cam/s.jpg" and info.value.status == "not_image"


@pytest.mark.parametrize(("data", "why"), REFUSED[1:], ids=IDS[1:])  # empty: its own words
def test_the_crop_desk_refuses_them_as_the_photo_field(data: bytes, why: str) -> None:
    with pytest.raises(ObservationRefused, match=why) as info:
        photo_type(data)
    assert info.value.field == "photo"


@pytest.mark.parametrize(("data", "why"), REFUSED, ids=IDS)
def test_the_camera_refuses_them_as_not_an_image(data: bytes, why: str) -> None:
    with pytest.raises(NotAnImage, match=why):
        decode_snapshot(data, url="http://cam/s.jpg")
