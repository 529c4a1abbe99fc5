"""A zone's decisions, its runs' end reasons, safety alarms and device errors in the page's
language.

The box records them in English (the record stays as it is); the pages say them from their
codes: a decision's ``reasons`` with its ``reason_values`` (``et`` zones: the planner's
:class:`models.planner.ReasonCode`; the other modes:
:class:`controller.agronomy.decision_codes.DecisionCode`), catalog table ``reason_code``; a
run's ``end_reason`` read back into coded parts (:func:`controller.runtime.end_reasons.end_parts`),
catalog table ``end_reason``; a safety alarm's message read back the same way
(:func:`controller.runtime.trip_messages.trip_parts`), catalog table ``trip_message``, and a
fertigation plan note (:func:`controller.agronomy.fert_notes.fert_note`), ``fert_note``, and a
device's events (:mod:`controller.runtime.device_events`), ``device_event``, and the head
works' backflush events (:mod:`controller.runtime.head_events`), ``head_event``; a
device's last error from the kind and values its bus reports with it, catalog table
``device_error``. A code the catalog lacks, or a record without codes (written
before they were), is shown as recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from controller.agronomy.fert_notes import fert_note
from controller.runtime.device_events import DEVICE_EVENTS, device_error, device_event
from controller.runtime.end_reasons import channel_doses, end_parts
from controller.runtime.head_events import head_part, head_parts
from controller.runtime.headworks import SOURCE as HEAD_SOURCE
from controller.runtime.recorded import RecordedPart
from controller.runtime.safety import SOURCE as SAFETY_SOURCE
from controller.runtime.trip_messages import trip_parts
from web.i18n import catalog, translate
from web.pages.format import Formatter

__all__ = [
    "alarm_said",
    "decision_said",
    "device_error_said",
    "end_said",
    "reasons_said",
    "trip_said",
]

FERTIGATION_PLAN = "fertigation_plan"  # the daemon's event code of a plan note
# values that are times in ISO 8601, shown as the page shows times
_TIMES = ("until",)


def reasons_said(locale: str, codes: Sequence[str], values: Mapping[str, Any]) -> str | None:
    """``codes`` said in ``locale`` with ``values``, joined by ``"; "``; ``None`` when there
    are none or one lacks a catalog entry (then the record is shown instead)."""
    known = catalog(locale)
    if not codes or any(f"reason_code.{c}" not in known for c in codes):
        return None
    return "; ".join(translate(locale, f"reason_code.{c}", **values) for c in codes)


def decision_said(locale: str, inputs: Mapping[str, Any]) -> str | None:
    """A decision (its recorded ``inputs``) said from its codes, or ``None``."""
    codes = inputs.get("reasons") or ([inputs["reason"]] if inputs.get("reason") else [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return None
    values = inputs.get("reason_values")
    return reasons_said(locale, codes, values if isinstance(values, Mapping) else {})


def _value(fmt: Formatter, name: str, value: str) -> str:
    if name in _TIMES:
        try:
            return fmt.time(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def _said_values(fmt: Formatter, table: str, part: RecordedPart) -> dict[str, str]:
    """``part``'s values as its sentence in ``fmt``'s locale names them: times local, the
    records nested in them said too where their words are known."""
    values = {k: _value(fmt, k, v) for k, v in part.values.items()}
    if part.code == "safety":  # a run ended by a trip: the trip's message
        values["message"] = trip_said(fmt, part.values.get("message", "")) or values["message"]
    elif part.code == "fertilizer_channels":  # each channel's litres
        doses = channel_doses(part.values.get("channels", ""))
        values["channels"] = _parts_said(fmt, "channel_dose", doses, ", ") or values["channels"]
    if table == "device_event" and "detail" in values:  # the device's error
        error = device_error(values["detail"])
        values["detail"] = _parts_said(fmt, "device_error", [error]) or values["detail"]
    if table == "head_event":  # why a backflush was due, deferred or ended
        for name in ("reason", "blocked", "why"):
            if name in values:
                nested = head_part(values[name])
                values[name] = _parts_said(fmt, table, [nested]) or values[name]
    if "phase" in values:  # a run's phase by its name
        phase = f"phase.{values['phase']}"
        if phase in catalog(fmt.locale):
            values["phase"] = translate(fmt.locale, phase)
    if "quality" in values:  # "out of range": the reading's quality by its name
        quality = f"quality.{values['quality'].replace(' ', '_')}"
        if quality in catalog(fmt.locale):
            values["quality"] = translate(fmt.locale, quality)
    return values


def _parts_said(
    fmt: Formatter, table: str, parts: Sequence[RecordedPart], sep: str = "; "
) -> str | None:
    """``parts`` said in ``fmt``'s locale from catalog ``table`` (a part without a code or an
    entry as recorded), joined by ``sep``; ``None`` when no part has a code."""
    if not any(p.code for p in parts):
        return None
    known = catalog(fmt.locale)
    out = []
    for part in parts:
        key = f"{table}.{part.code}"
        if not part.code or key not in known:
            out.append(part.text)
            continue
        out.append(translate(fmt.locale, key, **_said_values(fmt, table, part)))
    return sep.join(out)


def end_said(fmt: Formatter, end_reason: str) -> str | None:
    """A run's ``end_reason`` said part by part in ``fmt``'s locale (a part no code knows as
    recorded); ``None`` when no part has a code."""
    return _parts_said(fmt, "end_reason", end_parts(end_reason))


def trip_said(fmt: Formatter, message: str) -> str | None:
    """A safety trip's ``message`` said part by part in ``fmt``'s locale (catalog table
    ``trip_message``); ``None`` when no part has a code."""
    return _parts_said(fmt, "trip_message", trip_parts(message))


def alarm_said(fmt: Formatter, source: str, code: str, message: str) -> str | None:
    """An alarm's ``message`` in ``fmt``'s locale where its writer's words are known (the
    safety supervisor's, the fertigation planner's notes), else ``None`` (the page shows the
    record)."""
    if source == SAFETY_SOURCE:
        return trip_said(fmt, message)
    if code == FERTIGATION_PLAN:
        note = fert_note(message)
        return _parts_said(fmt, "fert_note", [note])
    if code in DEVICE_EVENTS:  # read as its own event's words, or not at all
        event = device_event(message)
        return _parts_said(fmt, "device_event", [event]) if event.code == code else None
    if source == HEAD_SOURCE:
        return _parts_said(fmt, "head_event", head_parts(message))
    return None


def device_error_said(locale: str, health: Mapping[str, Any]) -> str | None:
    """A device's last error (its health's ``last_error_kind`` and ``last_error_values``) in
    ``locale`` (catalog table ``device_error``); ``None`` without a kind or its entry (a
    daemon that does not report them: the page shows ``last_error``)."""
    kind, values = health.get("last_error_kind"), health.get("last_error_values")
    if not isinstance(kind, str) or f"device_error.{kind}" not in catalog(locale):
        return None
    return translate(
        locale, f"device_error.{kind}", **(values if isinstance(values, Mapping) else {})
    )
