"""The head works' backflush events read back as codes (controller.runtime.head_events).

The messages are the head works' own: a backflush due by pumping hours started and
deferred while a zone fertigates, one ended early when the pump stopped (the demo site's
head works over a recording bus). Every part must be read as a code, or a page would show it
in English.
"""

from __future__ import annotations

from controller.runtime.head_events import HEAD_EVENTS, head_part, head_parts
from tests.helpers.recorded import assert_templates_read_back


def test_a_template_reads_back_the_values_it_was_written_with() -> None:
    assert_templates_read_back(HEAD_EVENTS, head_part)
    assert [p.code for p in head_parts("dp unknown; the moon was full")] == ["dp_unknown", ""]


def test_a_started_event_is_read_as_started_with_its_reason_whole() -> None:
    started, dp = head_parts(
        "filter backflush for 60 s: 12.6 h of pumping since the last backflush; dp 32.5 kPa"
    )
    assert (started.code, started.values["seconds"]) == ("started", "60")
    assert head_part(started.values["reason"]).values == {"hours": "12.6"}
    assert (dp.code, dp.values) == ("dp", {"dp_kpa": "32.5"})
