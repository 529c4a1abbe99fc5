"""The pages' icon: ``/static/favicon.svg``, linked from every page's head, and at
``/favicon.ico`` too, where a browser asks for one before it has read a page (it was a 404
in the log on every first load)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from controller.paths import bundled

__all__ = ["ICON", "router"]

ICON = bundled("web", "static") / "favicon.svg"
"""A drop of water on the header's green, 32 × 32 (SVG)."""

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The icon, cached a day (it changes with a release, if ever)."""
    return FileResponse(
        ICON, media_type="image/svg+xml", headers={"cache-control": "public, max-age=86400"}
    )
