"""A device error named in a device's event read back as its kind
(controller.runtime.device_events.device_error).

The bus words each kind's message by its template (held to the bus's own words by
tests/drivers/test_bus.py); a bus that cannot be opened is left as recorded, its template
reading any "a: b" text.
"""

from __future__ import annotations

from controller.runtime.device_events import (
    DEVICE_EVENTS,
    DEVICE_REQUESTS,
    device_error,
    device_event,
    device_request,
)
from drivers.errors import BusUnavailable, DeviceError
from tests.helpers.recorded import assert_templates_read_back


def test_each_kind_worded_by_its_template_is_read_back() -> None:
    worded = [c for c in DeviceError.__subclasses__() if c.template]
    assert {c.kind for c in worded} >= {"timeout", "exception", "backed_off"}
    for cls in worded:
        values = {name: f"v{i}" for i, name in enumerate(cls.fields)}
        part = device_error(f"probe1: {cls.template.format(**values)}")
        kind = "" if cls is BusUnavailable else cls.kind
        assert (part.code, part.values) == (kind, {"device": "probe1"} | values if kind else {})


def test_an_event_template_reads_back_the_values_it_was_written_with() -> None:
    assert_templates_read_back(DEVICE_EVENTS, device_event)


def test_a_request_template_reads_back_the_bus_requests_it_names() -> None:
    assert_templates_read_back(DEVICE_REQUESTS, device_request)
    # drivers.bus words them so (its exception test holds "read holding 0+3")
    read = device_request("read holding 2+5")
    assert read.values == {"table": "holding", "start": "2", "count": "5"}
    assert device_request("write coils 0+8 off").code == "all_off"
    assert device_request("write ch3=True").values == {"point": "ch3", "value": "True"}
