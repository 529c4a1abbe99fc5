"""A zone's field camera (``[zones.camera]``): where its snapshot is, how often, how long.

Types and ranges only, as the rest of the site file (unknown keys refused); a problem is
reported with its key path by :func:`controller.config.site.load_site`, e.g.
``zones[1].camera.url: Value error, must start with http:// or https:// (site.toml)``.

The box fetches ``url`` every ``interval_min`` minutes (an HTTP GET answered by a JPEG or
PNG), waits at most ``timeout_s`` for the whole answer and refuses one larger than
``max_image_kb``; it keeps the newest ``keep_images`` photos of the zone on disk.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator

from controller.config.fields import SiteModel

__all__ = ["CameraConfig"]

MAX_URL_CHARS = 500


class CameraConfig(SiteModel):
    """One zone's camera snapshot (strict, as the rest of the site file; a URL may be
    longer than other texts)."""

    model_config = ConfigDict(str_max_length=MAX_URL_CHARS)

    url: str = Field(min_length=1, max_length=MAX_URL_CHARS)
    interval_min: float = Field(60, ge=1, le=1440)
    timeout_s: float = Field(10, gt=0, le=120)
    keep_images: int = Field(48, ge=1, le=2000)
    max_image_kb: int = Field(4096, ge=16, le=20_480)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
            raise ValueError("must not contain spaces or control characters")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, not {url[:20]!r}")
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError("names no host")
        if parts.username is not None or parts.password is not None:
            # the URL is logged and shown on the pages: no password may ride in it
            raise ValueError("must not carry a user name or password")
        try:
            parts.port  # noqa: B018  (urlsplit checks the port only when asked)
        except ValueError as exc:
            raise ValueError(f"bad port: {exc}") from exc
        return url

    @model_validator(mode="after")
    def _timeout_fits(self) -> CameraConfig:
        if self.timeout_s >= self.interval_min * 60:
            raise ValueError(
                f"timeout_s ({self.timeout_s:g} s) must be shorter than interval_min "
                f"({self.interval_min:g} min)"
            )
        return self
