"""One snapshot from a zone's camera: an HTTP GET, bounded in time and size, decoded.

:func:`fetch_snapshot` asks the configured URL only (no proxy from the environment, no
redirect followed: a camera that redirects is answering something else) and translates
every failure into :mod:`controller.canopy.errors` (``raise ... from exc``).
:func:`decode_snapshot` reads the bytes as a JPEG or PNG with Pillow and gives the pixels
the classifier works on, reduced to at most :data:`WORK_SIDE_PX` a side (cover is a
fraction, so the size does not change it; the classifier was trained at that scale).
"""

from __future__ import annotations

import http.client
import io
import socket
import time
import urllib.error
import urllib.request
import warnings

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from controller.canopy.errors import (
    CameraHTTPError,
    CameraTimeout,
    CameraUnreachable,
    ImageTooLarge,
    NotAnImage,
)
from controller.canopy.imagetype import image_type

__all__ = ["FORMATS", "MAX_PIXELS", "WORK_SIDE_PX", "decode_snapshot", "fetch_snapshot"]

FORMATS = ("JPEG", "PNG")
MAX_PIXELS = 50_000_000  # more than any field camera's sensor: a bomb, not a photo
WORK_SIDE_PX = 160
_CHUNK = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx then surfaces as an HTTPError


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def fetch_snapshot(url: str, *, timeout_s: float, max_bytes: int) -> bytes:
    """The body of ``GET url``: 200 only, at most ``max_bytes``, within ``timeout_s``.

    Each socket operation waits at most ``timeout_s`` and the whole answer is abandoned once
    ``timeout_s`` has passed between reads. Raises a :class:`CameraError` subclass naming
    the URL.
    """
    started = time.monotonic()
    request = urllib.request.Request(url, headers={"Accept": "image/jpeg, image/png"})
    try:
        with _OPENER.open(request, timeout=timeout_s) as answer:
            declared = answer.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise ImageTooLarge(
                    f"{url}: {int(declared)} bytes announced, at most {max_bytes}", url=url
                )
            body = bytearray()
            while chunk := answer.read1(_CHUNK):  # what has arrived: the deadline is checked
                body += chunk
                if len(body) > max_bytes:
                    raise ImageTooLarge(f"{url}: more than {max_bytes} bytes", url=url)
                if time.monotonic() - started > timeout_s:
                    raise CameraTimeout(f"{url}: answer not complete in {timeout_s:g} s", url=url)
            return bytes(body)
    except urllib.error.HTTPError as exc:
        raise CameraHTTPError(
            f"{url}: HTTP {exc.code} {exc.reason}", url=url, code=exc.code
        ) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise CameraTimeout(f"{url}: no answer in {timeout_s:g} s", url=url) from exc
        raise CameraUnreachable(f"{url}: {exc.reason}", url=url) from exc
    except TimeoutError as exc:  # the answer stalled after its headers
        raise CameraTimeout(f"{url}: no answer in {timeout_s:g} s", url=url) from exc
    except (http.client.HTTPException, ConnectionError) as exc:
        raise CameraUnreachable(f"{url}: answer broken off ({exc!r})", url=url) from exc
    except ValueError as exc:  # urllib's refusal of a URL it cannot ask
        raise CameraUnreachable(f"{url}: {exc}", url=url) from exc


def decode_snapshot(data: bytes, *, url: str) -> NDArray[np.uint8]:
    """The photo's pixels (H×W×3 uint8, at most :data:`WORK_SIDE_PX` a side).

    Raises :class:`NotAnImage` when ``data`` is not a complete JPEG or PNG (its signatures,
    :func:`~controller.canopy.imagetype.image_type`, then Pillow's reading), and
    :class:`ImageTooLarge` for more than :data:`MAX_PIXELS` pixels.
    """
    image_type(data, source=url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise ImageTooLarge(f"{url}: {width}×{height} px", url=url)
                img.draft("RGB", (WORK_SIDE_PX, WORK_SIDE_PX))  # JPEG: decode at a fraction
                small = img.convert("RGB")
                small.thumbnail((WORK_SIDE_PX, WORK_SIDE_PX), Image.Resampling.BOX)
                return np.asarray(small, dtype=np.uint8)
    except ImageTooLarge:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        # Pillow: UnidentifiedImageError (an OSError) for no picture, OSError for a
        # truncated one, SyntaxError or ValueError for broken chunks
        raise NotAnImage(f"{url}: not a JPEG or PNG picture ({exc})", url=url) from exc
