"""What each role may read and acknowledge beyond the route's own minimum role.

* **Export** (``/api/v1/export/...``): every role may pull the box's logs — the central
  office's token is a viewer (:data:`EXPORT_ROLES`) — and only a role that may export may
  acknowledge what it pulled.
* **Audit**: the security events — logins and their failures (with the names people
  typed, sometimes a password in the wrong field), refusals, account and token changes
  (:func:`is_security_event`) — are an admin's to read. Other roles get the audit
  without them (:func:`sees_security_events`).
* **Acknowledgements** never move a cursor back (:func:`check_ack`): a reader's cursor
  only grows, and a reader acknowledging for the first time starts no lower than the
  lowest cursor already held, so a new token cannot hold back the box's cleanup.

Errors::

    AccessRefused
    └── AckRefused      the acknowledgement would move a cursor backwards
"""

from __future__ import annotations

from controller.errors import ControllerError
from controller.store import Role

__all__ = [
    "EXPORT_ROLES",
    "SECURITY_ACTIONS",
    "AccessRefused",
    "AckRefused",
    "check_ack",
    "is_security_event",
    "may_export",
    "sees_security_events",
]

EXPORT_ROLES = frozenset({Role.VIEWER, Role.TECHNICIAN, Role.ADMIN})
# audit actions (prefixes) that only admins read
SECURITY_ACTIONS = ("login.", "logout", "page.", "api.", "user.", "token.")


class AccessRefused(ControllerError):
    """Base of the refusals of this module."""


class AckRefused(AccessRefused):
    """An export acknowledgement that would move a cursor back, or start a new reader
    behind the lowest cursor held (it would hold back cleanup)."""


def may_export(role: Role) -> bool:
    return role in EXPORT_ROLES


def sees_security_events(role: Role) -> bool:
    return role is Role.ADMIN


def is_security_event(action: str) -> bool:
    return action.startswith(SECURITY_ACTIONS)


def check_ack(table: str, last_id: int, own: int | None, lowest: int | None) -> None:
    """Refuse an acknowledgement of ``table`` up to ``last_id`` by a reader whose cursor is
    ``own`` (None: its first), while the lowest cursor any reader holds is ``lowest``."""
    if own is not None and last_id < own:
        raise AckRefused(
            f"{table}: acknowledged up to {own} already; a cursor does not move back "
            f"(got {last_id})"
        )
    if own is None and lowest is not None and last_id < lowest:
        raise AckRefused(
            f"{table}: a new reader starts at {lowest} or later (the lowest cursor held), "
            f"got {last_id}"
        )
