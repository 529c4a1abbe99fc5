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
:meth:`check`, which alone writes to the store. A ``mqtt_down`` still open from before a
restart (the fix to ``[mqtt]`` needs one) is taken as this outage's: the first connection
ends it, a further outage raises no second one. A store that cannot take a write leaves the
check to be tried again on the next call; the bridge's commands never wait for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading

from controller.notify.channel_events import CHANNEL_EVENTS
from controller.store import NotFound, Severity, Store, StoreError

__all__ = ["MQTT_DOWN", "MQTT_UP", "SOURCE", "BrokerOutage"]

MQTT_DOWN = "mqtt_down"
MQTT_UP = "mqtt_up"
SOURCE = "mqtt"

log = logging.getLogger(__name__)


class BrokerOutage:
    """The outage of one broker (``where``: ``host:port``) as the store's events."""

    def __init__(self, store: Store, where: str, down_alarm_min: float) -> None:
        self.store = store
        self.where = where
        self.after = dt.timedelta(minutes=down_alarm_min)
        self._lock = threading.Lock()
        self._since: dt.datetime | None = None  # the outage's start (the store's clock)
        self._why = ""
        self._connected = False  # since the last up(), no down()
        self._open_ids: list[int] = []  # the open mqtt_down(s), while not reconnected
        self._looked_back = False  # an open mqtt_down from before a restart looked for
        self._up_due = False  # mqtt_up to be raised (the outage's alarm acknowledged)
        self._store_failing = False  # the last check's store write failed (logged once)

    def down(self, why: str) -> None:
        """The broker could not be reached, or the connection was lost (paho's thread)."""
        with self._lock:
            if self._since is None:
                self._since = self.store.clock.now()
            self._why = why
            self._connected = False

    def up(self) -> None:
        """Connected (paho's thread): the outage, if any, ends."""
        with self._lock:
            self._since = None
            self._connected = True

    def check(self) -> None:
        """Raise ``mqtt_down`` once an outage has lasted ``down_alarm_min``; after it, on
        reconnection, acknowledge it and raise ``mqtt_up``. A store error is logged and the
        check tried again on the next call."""
        with self._lock:  # one check at a time: each event raised once
            try:
                self._check()
            except StoreError as exc:  # said once an outage of the store, not every second
                (log.debug if self._store_failing else log.warning)(
                    "mqtt: the broker's outage not recorded yet: %s", exc
                )
                self._store_failing = True
            else:
                self._store_failing = False

    def _check(self) -> None:
        if not self._looked_back:  # an outage from before a restart is still this one
            self._open_ids = [a.id or 0 for a in self.store.open_alarms() if a.code == MQTT_DOWN]
            self._looked_back = True
        if self._connected and self._open_ids:
            for alarm_id in list(self._open_ids):  # 0: raised while the store could not write
                if alarm_id:  # a row gone with a restored database: nothing to end
                    with contextlib.suppress(NotFound):
                        self.store.ack_event(alarm_id, SOURCE)
                self._open_ids.remove(alarm_id)  # acknowledged: not again if mqtt_up fails
            self._up_due = True
        if self._up_due:
            said = CHANNEL_EVENTS[MQTT_UP].format(broker=self.where)
            self.store.raise_event(Severity.INFO, MQTT_UP, SOURCE, said)
            self._up_due = False
        elif self._since is not None and not self._open_ids and self._lasted():
            said = CHANNEL_EVENTS[MQTT_DOWN].format(
                broker=self.where,
                since=self._since.isoformat(timespec="seconds"),
                error=self._why,
            )
            event = self.store.raise_event(Severity.WARNING, MQTT_DOWN, SOURCE, said, latched=True)
            self._open_ids = [event.id or 0]

    def _lasted(self) -> bool:
        assert self._since is not None
        return self.store.clock.now() - self._since >= self.after
