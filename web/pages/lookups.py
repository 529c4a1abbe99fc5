"""What a page looked up and did not find (no such zone, probe, alarm or photo), in the
page's language: the lookup's message code (:mod:`controller.daemon.lookups`) said from the
catalog (``lookup.<code>``) by :func:`web.pages.site_problems.say`, as every coded problem
is; one without a code as the service wrote it."""

from __future__ import annotations

from fastapi import HTTPException, status

from controller.daemon.protocol import UnknownName
from web.pages.site_problems import say

__all__ = ["not_found", "unknown_text"]


def unknown_text(locale: str, exc: UnknownName) -> str:
    """What ``exc`` did not find, in ``locale``."""
    if exc.coded is None:
        return str(exc)
    return say(locale, f"lookup.{exc.coded.code}", exc.coded)


def not_found(locale: str, exc: UnknownName) -> HTTPException:
    """A 404 whose detail says what ``exc`` did not find, in ``locale``."""
    return HTTPException(status.HTTP_404_NOT_FOUND, unknown_text(locale, exc))
