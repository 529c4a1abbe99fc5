"""The daemon's outward parts: notifications (``[notify]``) and the MQTT bridge (``[mqtt]``).

Both only read what the daemon commits (events) or shows (the service's read models), in
threads of their own; the bridge's commands go through the same service as the HTTP API.
A site without these sections gets neither. Neither may stop the daemon: one that cannot
start (a CA file that cannot be read, say) is logged and raises a warning event
(``notify_unavailable`` / ``mqtt_unavailable``) while irrigation goes on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from controller.bridge.mqtt import Bridge
from controller.notify.notifier import Notifier
from controller.notify.summary import day_summary
from controller.store import Severity

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

    def start_notifier(self) -> None:
        """First thing at start, so that a site refusing to start is still told about."""
        d = self.daemon
        notify = d.site.model.notify
        if notify is not None and any(c.enabled for c in notify.channels):
            try:
                self.notifier = Notifier(
                    notify,
                    d.store,
                    d.clock,
                    site_name=d.site.site.name,
                    tz=d.site.site.tz,
                    summary=lambda day, now: day_summary(d.site, d.store, day, now),
                )
                self.notifier.start()
            except Exception as exc:  # notifications failing must not stop irrigation
                self.notifier = None
                self._unavailable("notify_unavailable", "notifications", exc)

    def start_bridge(self) -> None:
        """Once the site is safe and its jobs run: commands need a running daemon."""
        d = self.daemon
        mqtt = d.site.model.mqtt
        if mqtt is not None:
            # The service wraps the daemon (and so imports its module): imported here.
            from controller.daemon.service import DaemonService

            try:
                self.bridge = Bridge(
                    mqtt,
                    DaemonService(d),
                    d.store,
                    site_id=d.site.site.id,
                    site_name=d.site.site.name,
                )
                self.bridge.start()
            except Exception as exc:  # the bus failing must not stop irrigation
                self.bridge = None
                self._unavailable("mqtt_unavailable", "the MQTT bridge", exc)

    def _unavailable(self, code: str, what: str, exc: Exception) -> None:
        log.exception("%s not started", what)
        self.daemon.store.raise_event(Severity.WARNING, code, "site", f"{what} not started: {exc}")

    def stop_bridge(self) -> None:
        """First thing at stop: no command may start water while the outputs go off."""
        if self.bridge is not None:
            try:
                self.bridge.stop()
            except Exception:  # stopping goes on to switch the outputs off whatever happens
                log.exception("the MQTT bridge did not stop cleanly")
            self.bridge = None

    def stop_notifier(self) -> None:
        """Last thing at stop (the outputs are off): one final pass sends what the stop
        raised, then the thread ends; what is not delivered waits in the outbox."""
        if self.notifier is not None:
            self.notifier.stop(final_pass=True)
            self.notifier = None
