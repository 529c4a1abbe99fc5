"""A device's events read back as message codes and the values they name.

The poller (:mod:`controller.runtime.poller`) records a device that stops answering, answers
again, or has a point reading implausibly, as events whose message is an English sentence,
the box's record, kept as it is. A page says them in its own language from
:func:`device_event` (catalog table ``device_event``), and the device's error named inside
(``{detail}``) from :func:`device_error` (catalog table ``device_error``: the bus's
:class:`drivers.errors.DeviceError` kinds whose template words all of their message), and
the request a Modbus exception answered (``{what}``) from :func:`device_request` (catalog
table ``device_request``).
Nothing new is stored, so events recorded before read the same way; a message no template
knows is shown as recorded.
"""

from __future__ import annotations

from controller.runtime.recorded import RecordedPart, Templates
from drivers.errors import BusUnavailable, DeviceError

__all__ = ["DEVICE_EVENTS", "DEVICE_REQUESTS", "device_error", "device_event", "device_request"]

# event code -> the English message as recorded ({name} matches any text within it)
DEVICE_EVENTS: dict[str, str] = {
    "device_offline": "{device}: no good reading for {age_s} s ({detail})",
    "device_online": "{device} answers again",
    "sensor_fault": (
        "{point}: {quality} for {age_s} s ({detail}); not used: the zone or rule that needs "
        "it runs without it until it reads well again"
    ),
    "sensor_ok": "{point} reads plausibly again",
}

# request code -> a bus request as :class:`drivers.bus.Bus` words it (``what`` of a
# DeviceException); ``table`` is a Modbus table (coil, discrete, holding, input)
DEVICE_REQUESTS: dict[str, str] = {
    "read": "read {table} {start}+{count}",
    "write": "write {point}={value}",
    "all_off": "write coils {start}+{count} off",
}

_EVENTS = Templates(DEVICE_EVENTS)
_REQUESTS = Templates(DEVICE_REQUESTS, numbers=("start", "count"))
# "{port}: {error}" would read any "a: b" as a bus that cannot be opened: left as recorded
_ERRORS = Templates(
    {
        cls.kind: "{device}: " + cls.template
        for cls in DeviceError.__subclasses__()
        if cls.template and cls is not BusUnavailable
    }
)


def device_event(message: str) -> RecordedPart:
    """A device event's ``message`` whole, with its code where a template knows it."""
    return _EVENTS.part(message)


def device_error(text: str) -> RecordedPart:
    """A device error as recorded (``"probe1: no answer within 0.3 s"``), with its kind as
    the code where the bus's template knows it."""
    return _ERRORS.part(text)


def device_request(what: str) -> RecordedPart:
    """A bus request as recorded (``"read holding 2+5"``), with its code where a template
    of :data:`DEVICE_REQUESTS` knows it."""
    return _REQUESTS.part(what)
