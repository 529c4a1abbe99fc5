"""What a lookup did not find, by message code, so that the pages can say it in their
language.

Each is an :class:`~controller.daemon.protocol.UnknownName` with its English from
:data:`MESSAGES` (what the API answers, 404) and the same as a
:class:`~controller.errors.CodedProblem` (code and values) for the pages' catalogs
(``lookup.<code>``).
"""

from __future__ import annotations

from collections.abc import Mapping

from controller.daemon.protocol import UnknownName
from controller.errors import CodedProblem

__all__ = ["MESSAGES", "unknown"]

MESSAGES: Mapping[str, str] = {
    "zone": "no zone {zone!r}",
    "probe": "no soil probe {probe!r}",
    "alarm": "no alarm {alarm}",
    "zone_photo": "no photo {photo} of zone {zone!r}",
    "zone_newest_photo": "no photo (newest) of zone {zone!r}",
    "observation": "no crop observation {observation} on zone {zone!r}",
    "observation_photo": "no photo of observation {observation} on zone {zone!r}",
    "crop_grown": "no zone grows crop {crop!r}",
    "recipe": "no recipe {recipe}",
    "fertigation_event": "no fertigation event {event}",
    "user": "no user {user!r}",
}
"""The English of each code (the pages have their own catalogs)."""


def unknown(code: str, **values: str) -> UnknownName:
    """The lookup ``code`` (a key of :data:`MESSAGES`) that found nothing for ``values``."""
    message = MESSAGES[code].format(**values)
    return UnknownName(message, coded=CodedProblem(message, code, values))
