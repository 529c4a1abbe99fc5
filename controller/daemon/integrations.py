"""The daemon's outward parts: notifications (``[notify]``) and the MQTT bridge (``[mqtt]``).

Both only read what the daemon commits (events) or shows (the service's read models), in
threads of their own; the bridge's commands go through the same service as the HTTP API.
A site without these sections gets neither.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from controller.bridge.mqtt import Bridge
from controller.notify.notifier import Notifier

if TYPE_CHECKING:
    from controller.daemon.daemon import Daemon

__all__ = ["Integrations"]

log = logging.getLogger(__name__)


class Integrations:
    """Builds, starts and stops the notifier and the bridge of a daemon's site."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.notifier: Notifier | None = None
        self.bridge: Bridge | None = None

    def start(self) -> None:
        d = self.daemon
        notify = d.site.model.notify
        if notify is not None and any(c.enabled for c in notify.channels):
            self.notifier = Notifier(
                notify, d.store, d.clock, site_name=d.site.site.name, tz=d.site.site.tz
            )
            self.notifier.start()
        mqtt = d.site.model.mqtt
        if mqtt is not None:
            # The service wraps the daemon (and so imports its module): imported here.
            from controller.daemon.service import DaemonService

            self.bridge = Bridge(
                mqtt,
                DaemonService(d),
                d.store,
                site_id=d.site.site.id,
                site_name=d.site.site.name,
            )
            self.bridge.start()

    def stop(self) -> None:
        """The bridge first (no more commands), then the notifier (a pass under way ends)."""
        if self.bridge is not None:
            self.bridge.stop()
            self.bridge = None
        if self.notifier is not None:
            self.notifier.stop()
            self.notifier = None
