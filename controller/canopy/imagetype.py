"""Which picture a photo's bytes are, JPEG or PNG, from their own structure (never a name).

The one check of both ways a photo reaches the box: a crop observation's upload
(:mod:`controller.daemon.cropdesk`) and a camera's snapshot or a photo sent for its cover
(:mod:`controller.canopy.camera`, :mod:`controller.canopy.records`). It reads the
signatures only; decoding the pixels is Pillow's job.

- JPEG: start of image (``FF D8``), a marker segment next (``FF``), end of image
  (``FF D9``) last, trailing zero bytes allowed (some cameras pad).
- PNG: the eight-byte signature, then the ``IHDR`` chunk (length 13) with a width and a
  height above 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from controller.canopy.errors import NotAnImage

__all__ = ["SUFFIX", "ImageType", "image_type"]

ImageType = Literal["image/jpeg", "image/png"]
SUFFIX: Mapping[ImageType, str] = {"image/jpeg": ".jpg", "image/png": ".png"}
"""The file name ending a photo of each type is kept under."""

_JPEG_START = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_HEADER_END = 33  # signature 8, IHDR length 4 and type 4, width 4, height 4, rest 9


def image_type(data: bytes, *, source: str) -> ImageType:
    """``image/jpeg`` or ``image/png``; :class:`NotAnImage` naming ``source`` (a camera's
    URL, "the photo") and what is wrong for anything else."""
    if data.startswith(_JPEG_START):
        if not data.rstrip(b"\x00").endswith(_JPEG_END):
            raise NotAnImage(f"{source}: a JPEG without its end (cut off)", url=source)
        return "image/jpeg"
    if data.startswith(_PNG):
        if len(data) < _PNG_HEADER_END or data[12:16] != b"IHDR":
            raise NotAnImage(f"{source}: a PNG without its IHDR header", url=source)
        width_px, height_px = int.from_bytes(data[16:20]), int.from_bytes(data[20:24])
        if not width_px or not height_px:
            raise NotAnImage(f"{source}: a PNG of {width_px}×{height_px} px", url=source)
        return "image/png"
    raise NotAnImage(f"{source}: not a JPEG or PNG picture", url=source)
