"""A stored English record read back into coded parts and said with a catalog's words.

The readers are the writers' own templates: a safety trip's message
(:func:`controller.runtime.trip_messages.trip_parts`), a run's ``end_reason``
(:func:`controller.runtime.end_reasons.end_parts`), a fertigation plan note
(:func:`controller.agronomy.fert_notes.fert_note`), a device's events and errors
(:mod:`controller.runtime.device_events`), the head works' backflush events
(:mod:`controller.runtime.head_events`), the clock's trust events and reasons
(:mod:`controller.runtime.clock_events`), the sequencer's run events
(:mod:`controller.runtime.run_events`), the plausibility alarms
(:mod:`controller.agronomy.plausibility_notes`), a notification channel or the MQTT broker
down or back (:mod:`controller.notify.channel_events`). Each part is said from catalog
table ``table`` by its code (``trip_message.burst``) with the values read back; a part
without a code or an entry is said as recorded, and a record with no coded part at all
gives ``None`` (the caller keeps the record).

Numbers stay as recorded; times (ISO 8601 values such as ``until``, ``since``) are said by the
caller's ``time`` (the page's formatter, the notification's site time zone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from controller.agronomy.fert_notes import fert_note
from controller.agronomy.fert_owed import OWED_CODE
from controller.agronomy.plausibility_notes import (
    PLAUSIBILITY_NOTES,
    plausibility_note,
    probe_where,
)
from controller.notify.channel_events import CHANNEL_EVENTS, channel_event
from controller.runtime.clock_events import CLOCK_EVENTS, clock_event, clock_reason
from controller.runtime.device_events import (
    DEVICE_EVENTS,
    device_error,
    device_event,
    device_request,
)
from controller.runtime.end_reasons import channel_doses, end_parts
from controller.runtime.head_events import head_part, head_parts
from controller.runtime.headworks import SOURCE as HEAD_SOURCE
from controller.runtime.recorded import RecordedPart
from controller.runtime.run_events import RUN_EVENTS, run_event
from controller.runtime.safety import SOURCE as SAFETY_SOURCE
from controller.runtime.trip_messages import trip_parts
from controller.said.words import fill

__all__ = ["FERTIGATION_PLAN", "RecordSayer"]

FERTIGATION_PLAN = "fertigation_plan"  # the daemon's event code of a plan note
# values that are times in ISO 8601, said by the caller's ``time``
_TIMES = ("until", "since")


@dataclass(frozen=True)
class RecordSayer:
    """Says records with ``words`` (templates by dotted key, e.g. :func:`words` of a
    language, or a page catalog that merges them) and ``time`` (an aware time as text)."""

    words: Mapping[str, str]
    time: Callable[[datetime], str]

    def _value(self, name: str, value: str) -> str:
        if name in _TIMES:
            try:
                return self.time(datetime.fromisoformat(value))
            except ValueError:
                return value
        return value

    def _named(self, table: str, value: str) -> str:
        """``value`` by its name in ``table`` (``phase.inject``), or as recorded."""
        return self.words.get(f"{table}.{value.replace(' ', '_')}", value)

    def _values(self, table: str, part: RecordedPart) -> dict[str, str]:
        """``part``'s values as its sentence names them: times local, the records nested in
        them said too where their words are known."""
        values = {k: self._value(k, v) for k, v in part.values.items()}
        if part.code == "safety":  # a run ended by a trip: the trip's message
            values["message"] = self.trip(part.values.get("message", "")) or values["message"]
        elif part.code == "fertilizer_channels":  # each channel's litres
            doses = channel_doses(part.values.get("channels", ""))
            sep = self.words.get("record.list_sep", ", ")  # "、" in Chinese
            values["channels"] = self.parts("channel_dose", doses, sep) or values["channels"]
        if table == "device_event" and "detail" in values:  # the device's error
            error = device_error(values["detail"])
            values["detail"] = self.parts("device_error", [error]) or values["detail"]
        if table == "device_error":  # the exception's name, the request, why the bus is shut
            values |= self._device_error_values(values)
        if table == "device_request" and "table" in values:  # "holding": the Modbus table
            values["table"] = self._named("modbus_table", values["table"])
        if table == "clock_event":  # why the clock is not trusted; no record yet
            if "reason" in values:
                values["reason"] = self.clock_reason(values["reason"]) or values["reason"]
            if values.get("newest") == "none":
                values["newest"] = self.words.get("clock_value.none", "none")
        if table == "clock_reason" and "why_not" in values:  # why no confirmation holds
            nested = clock_reason(values["why_not"])
            values["why_not"] = self.parts(table, [nested]) or values["why_not"]
        if table == "plausibility" and "where" in values:  # the probe doubted
            nested = probe_where(values["where"])
            values["where"] = self.parts("probe_where", [nested]) or values["where"]
        if table == "run_event":  # why the run ended, what a restart credited it
            for name in ("reason", "credit"):
                if name in values:
                    values[name] = self.end(values[name]) or values[name]
        if table == "head_event":  # why a backflush was due, deferred or ended
            for name in ("reason", "blocked", "why"):
                if name in values:
                    nested = head_part(values[name])
                    values[name] = self.parts(table, [nested]) or values[name]
        if "phase" in values:  # a run's phase by its name
            values["phase"] = self._named("phase", values["phase"])
        if "quality" in values:  # "out of range": the reading's quality by its name
            values["quality"] = self._named("quality", values["quality"])
        return values

    def _device_error_values(self, values: Mapping[str, str]) -> dict[str, str]:
        """A device error's values said: a Modbus exception's ``name`` by its code (table
        ``modbus_exception``), the request it answered (``what``, table ``device_request``),
        a bus that cannot be opened by its ``cause`` (table ``bus_cause``) in place of the
        library's ``error``; each as recorded where no words are known."""
        out = {}
        if "modbus_code" in values and "name" in values:
            out["name"] = self.words.get(
                f"modbus_exception.{values['modbus_code']}", values["name"]
            )
        if "what" in values:
            request = device_request(values["what"])
            out["what"] = self.parts("device_request", [request]) or values["what"]
        cause = self.words.get(f"bus_cause.{values.get('cause')}")
        if cause is not None and "error" in values:
            out["error"] = cause
        return out

    def parts(
        self, table: str, parts: Sequence[RecordedPart], sep: str | None = None
    ) -> str | None:
        """``parts`` said from catalog ``table`` (a part without a code or an entry as
        recorded), joined by ``sep`` (default: the language's ``record.sep``, ``"；"`` in
        Chinese for the record's ``"; "``); ``None`` when no part has a code."""
        if sep is None:
            sep = self.words.get("record.sep", "; ")
        if not any(p.code for p in parts):
            return None
        out = []
        for part in parts:
            template = self.words.get(f"{table}.{part.code}") if part.code else None
            out.append(part.text if template is None else fill(template, self._values(table, part)))
        return sep.join(out)

    def end(self, end_reason: str) -> str | None:
        """A run's ``end_reason`` said part by part (catalog table ``end_reason``)."""
        return self.parts("end_reason", end_parts(end_reason))

    def trip(self, message: str) -> str | None:
        """A safety trip's ``message`` said part by part (catalog table ``trip_message``)."""
        return self.parts("trip_message", trip_parts(message))

    def clock_reason(self, reason: str) -> str | None:
        """Why the clock is not trusted (a verdict's ``reason``, the status's
        ``clock_note``) said (catalog table ``clock_reason``); ``None`` when no template
        knows it."""
        return self.parts("clock_reason", [clock_reason(reason)])

    def device_error(self, kind: str, values: Mapping[str, str]) -> str | None:
        """A device's last error by its ``kind`` (catalog table ``device_error``) and the
        ``values`` its bus reports with it; ``None`` for a kind without an entry."""
        if f"device_error.{kind}" not in self.words:
            return None
        text = values.get("detail", "")
        return self.parts("device_error", [RecordedPart(text, kind, dict(values))])

    def alarm(self, source: str, code: str, message: str) -> str | None:
        """An alarm's ``message`` where its writer's words are known (the safety
        supervisor's, the fertigation planner's notes and the fertilizer a stopped run owes,
        a device's events, the clock's trust events, the sequencer's run events, the
        plausibility checks', the head works', a notification channel's or the MQTT
        broker's outage and return),
        else ``None`` (the record is said as stored)."""
        if source == SAFETY_SOURCE:
            return self.trip(message)
        if code == FERTIGATION_PLAN:
            return self.parts("fert_note", [fert_note(message)])
        if code == OWED_CODE:  # read as its own note's words, or not at all
            note = fert_note(message)
            return self.parts("fert_note", [note]) if note.code == "owed" else None
        if code in DEVICE_EVENTS:  # read as its own event's words, or not at all
            event = device_event(message)
            return self.parts("device_event", [event]) if event.code == code else None
        for events, read, table in (
            (CLOCK_EVENTS, clock_event, "clock_event"),
            (RUN_EVENTS, run_event, "run_event"),
            (PLAUSIBILITY_NOTES, plausibility_note, "plausibility"),
            (CHANNEL_EVENTS, channel_event, "channel_event"),
        ):
            if code in events:  # read as its own event's words, or not at all
                event = read(message)
                return self.parts(table, [event]) if event.code == code else None
        if source == HEAD_SOURCE:
            return self.parts("head_event", head_parts(message))
        return None
