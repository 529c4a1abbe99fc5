"""The notification room's errors (drawn in :mod:`controller.errors`)."""

from __future__ import annotations

from controller.errors import ControllerError

__all__ = ["DeliveryFailed", "NotifyError", "UnknownChannel"]


class NotifyError(ControllerError):
    """A notification could not be handled."""


class DeliveryFailed(NotifyError):
    """A channel did not accept a message (unreachable, refused, timed out); retried."""


class UnknownChannel(NotifyError, LookupError):
    """No channel of that name in ``[notify]``."""
