"""Events about a way out of the box: the English they are recorded in, read back.

:class:`controller.notify.notifier.Notifier` records ``notify_channel_down`` and
``notify_channel_up``, :class:`controller.bridge.outage.BrokerOutage` ``mqtt_down`` and
``mqtt_up``, as English sentences (the box's record, kept as it is) written from
:data:`CHANNEL_EVENTS`; the pages and a notification in another language say them from the
record catalog's ``[channel_event]`` table (:mod:`controller.said`) with the values read
back by :func:`channel_event` (``since`` is an ISO 8601 time, said in the page's or the
site's time zone; the channel's ``error`` as recorded).
"""

from __future__ import annotations

from controller.runtime.recorded import RecordedPart, Templates

__all__ = ["CHANNEL_EVENTS", "channel_event"]

# event code -> the English message as recorded
CHANNEL_EVENTS: dict[str, str] = {
    "notify_channel_down": (
        "notification channel {channel} ({kind}) has failed since {since}: {error}"
    ),
    "notify_channel_up": "channel {channel} delivers again",
    "mqtt_down": (
        "MQTT broker {broker} unreachable since {since}: {error}; the state is published "
        "again when it connects"
    ),
    "mqtt_up": "MQTT broker {broker} reachable again; the state is published again",
}

_TEMPLATES = Templates(CHANNEL_EVENTS)


def channel_event(message: str) -> RecordedPart:
    """A channel event's ``message`` whole, with its code where a template knows it."""
    return _TEMPLATES.part(message)
