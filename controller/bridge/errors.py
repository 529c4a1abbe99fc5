"""The MQTT bridge's errors (drawn in :mod:`controller.errors`)."""

from __future__ import annotations

from controller.errors import ControllerError

__all__ = ["BadCommand", "BridgeError"]


class BridgeError(ControllerError):
    """The MQTT bridge could not do what was asked."""


class BadCommand(BridgeError, ValueError):
    """A command message that is not one qanat accepts (topic or payload); refused."""
