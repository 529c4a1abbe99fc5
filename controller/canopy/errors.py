"""Why a zone's camera snapshot was not had; each class carries the zone's ``status`` name.

::

    CameraError                 a snapshot not had (``status`` names why, ``url`` the camera)
    ├── CameraUnreachable       connection refused, no route, name unknown, answer cut off
    ├── CameraTimeout           no whole answer within the camera's timeout_s
    ├── CameraHTTPError         an HTTP status other than 200 (``code``)
    ├── NotAnImage(ValueError)  the answer is not a JPEG or PNG picture
    └── ImageTooLarge           more than max_image_kb, or more pixels than a photo has
"""

from __future__ import annotations

from controller.errors import ControllerError

__all__ = [
    "CameraError",
    "CameraHTTPError",
    "CameraTimeout",
    "CameraUnreachable",
    "ImageTooLarge",
    "NotAnImage",
]


class CameraError(ControllerError):
    """A zone's snapshot could not be had; ``status`` is the name the zone shows."""

    status = "camera_error"

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class CameraUnreachable(CameraError):
    """No connection to the camera, or the connection dropped mid-answer."""

    status = "unreachable"


class CameraTimeout(CameraError):
    """The camera did not send its whole answer within the timeout."""

    status = "timeout"


class CameraHTTPError(CameraError):
    """The camera answered with an HTTP status other than 200 OK."""

    status = "http_error"

    def __init__(self, message: str, *, url: str, code: int) -> None:
        super().__init__(message, url=url)
        self.code = code


class NotAnImage(CameraError, ValueError):
    """The answer is not a picture the box can read (JPEG or PNG)."""

    status = "not_image"


class ImageTooLarge(CameraError):
    """The answer is larger than the camera's ``max_image_kb`` or has too many pixels."""

    status = "too_large"
