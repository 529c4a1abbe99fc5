"""A broker out of reach for long is said as an alarm, and its return as an event.

The bridge retries an unreachable broker for ever and logs the outage once; on its own that
is only the journal's. :class:`BrokerOutage` turns an outage lasting ``down_alarm_min`` into
the latched warning ``mqtt_down`` (source ``mqtt``: who watches Home Assistant sees the site
``offline`` and would otherwise not learn why) and the reconnection after it into
``mqtt_up`` (info), acknowledging the warning as actor ``mqtt``. Both are recorded in the
words of :data:`controller.notify.channel_events.CHANNEL_EVENTS`, which a notification and
the pages say in their language. The broker's state is published again on reconnection: nothing is
to be resent.

The bridge's paho thread reports :meth:`down` and :meth:`up`; its own thread calls
:meth:`check`, which alone writes to the store.
"""

from __future__ import annotations

import datetime as dt
import threading

from controller.notify.channel_events import CHANNEL_EVENTS
from controller.store import Severity, Store

__all__ = ["MQTT_DOWN", "MQTT_UP", "SOURCE", "BrokerOutage"]

MQTT_DOWN = "mqtt_down"
MQTT_UP = "mqtt_up"
SOURCE = "mqtt"


class BrokerOutage:
    """The outage of one broker (``where``: ``host:port``) as the store's events."""

    def __init__(self, store: Store, where: str, down_alarm_min: float) -> None:
        self.store = store
        self.where = where
        self.after = dt.timedelta(minutes=down_alarm_min)
        self._lock = threading.Lock()
        self._since: dt.datetime | None = None  # the outage's start (the store's clock)
        self._why = ""
        self._alarm_id: int | None = None  # the open mqtt_down, while not reconnected

    def down(self, why: str) -> None:
        """The broker could not be reached, or the connection was lost (paho's thread)."""
        with self._lock:
            if self._since is None:
                self._since = self.store.clock.now()
            self._why = why

    def up(self) -> None:
        """Connected (paho's thread): the outage, if any, ends."""
        with self._lock:
            self._since = None

    def check(self) -> None:
        """Raise ``mqtt_down`` once an outage has lasted ``down_alarm_min``; after it, on
        reconnection, acknowledge it and raise ``mqtt_up``."""
        with self._lock:  # one check at a time: each event raised once
            if self._since is None and self._alarm_id is not None:
                if self._alarm_id:  # 0: raised while the store could not write
                    self.store.ack_event(self._alarm_id, SOURCE)
                said = CHANNEL_EVENTS[MQTT_UP].format(broker=self.where)
                self.store.raise_event(Severity.INFO, MQTT_UP, SOURCE, said)
                self._alarm_id = None
            elif self._since is not None and self._alarm_id is None and self._lasted():
                said = CHANNEL_EVENTS[MQTT_DOWN].format(
                    broker=self.where,
                    since=self._since.isoformat(timespec="seconds"),
                    error=self._why,
                )
                event = self.store.raise_event(
                    Severity.WARNING, MQTT_DOWN, SOURCE, said, latched=True
                )
                self._alarm_id = event.id if event.id is not None else 0

    def _lasted(self) -> bool:
        assert self._since is not None
        return self.store.clock.now() - self._since >= self.after
