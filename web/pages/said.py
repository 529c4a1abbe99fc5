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
``device_error``; the clock's trust events (:mod:`controller.runtime.clock_events`),
``clock_event``, and why the clock is not trusted, ``clock_reason``; the sequencer's run
events (:mod:`controller.runtime.run_events`), ``run_event``; a notification channel's or
the MQTT broker's outage and return (:mod:`controller.notify.channel_events`),
``channel_event``. A code the catalog lacks, or
a record without codes (written before they were), is shown as recorded.

The stored records are read back and filled by :class:`controller.said.records.RecordSayer`
(the notifications say them the same way), with the page catalog, which holds the records'
words merged in from :mod:`controller.said.words`, and the page's times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from controller.said.records import RecordSayer
from models.planner.explain import first_event_at
from web.i18n import catalog, translate
from web.pages.format import Formatter

__all__ = [
    "alarm_said",
    "clock_note_said",
    "decision_figures",
    "decision_said",
    "device_error_said",
    "end_said",
    "reasons_said",
    "trip_said",
]


def reasons_said(locale: str, codes: Sequence[str], values: Mapping[str, Any]) -> str | None:
    """``codes`` said in ``locale`` with ``values``, joined by the language's ``record.sep``
    (``"；"`` in Chinese); ``None`` when there are none or one lacks a catalog entry (then
    the record is shown instead)."""
    known = catalog(locale)
    if not codes or any(f"reason_code.{c}" not in known for c in codes):
        return None
    sep = known.get("record.sep", "; ")
    return sep.join(translate(locale, f"reason_code.{c}", **values) for c in codes)


def decision_said(
    locale: str,
    inputs: Mapping[str, Any],
    *,
    action: str = "",
    record: str = "",
    fmt: Formatter | None = None,
) -> str | None:
    """A decision (its recorded ``inputs``) said from its codes, or ``None``.

    A run the ET planner deferred (``action`` ``defer`` with ``trigger_reached``) says first
    when its run is planned: the recorded ``deferred_to`` in the page's time (``fmt``), or, in
    a record written before it, the horizon day and clock its sentence (``record``) names
    (:func:`models.planner.explain.first_event_at`); its trigger is said as ahead, not as
    "irrigate"."""
    codes = inputs.get("reasons") or ([inputs["reason"]] if inputs.get("reason") else [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return None
    values = inputs.get("reason_values")
    said = reasons_said(locale, codes, values if isinstance(values, Mapping) else {})
    if said is None or action != "defer" or _TRIGGER not in codes:
        return said
    rest = [c for c in codes if c != _TRIGGER]
    others = reasons_said(locale, rest, values if isinstance(values, Mapping) else {})
    parts = [_deferred_to(locale, inputs.get("deferred_to"), record, fmt)]
    parts += [translate(locale, "decision_deferred.trigger_ahead"), *([others] if others else [])]
    return catalog(locale).get("record.sep", "; ").join(parts)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _first(value: Any) -> float | None:
    """A per-horizon-day figure's today (its first day), or a single figure."""
    return _number(value[0]) if isinstance(value, list) and value else _number(value)


def decision_figures(locale: str, inputs: Mapping[str, Any]) -> str | None:
    """A decision's figures from its recorded ``inputs``, in ``locale``: the water-management
    period and its FAO-33 Ky (``stage``, ``ky``; staged targets only), today's trigger
    (``mad_fraction[0]``, % of TAW) and the refill target (``refill_target_fraction``, % of
    TAW depleted), the root-zone depletion at the decision against today's trigger
    (``dr_now_mm`` against ``trigger_mm[0]``, mm; FAO-56 eq. 85 Dr against p · TAW). The
    English record says them in its sentence (``notes``); these are the structured values,
    not that text. ``None`` when the record has none of them (a mode other than ``et``, a
    record written before they were kept)."""
    known = catalog(locale)
    sep = known.get("record.sep", "; ")
    parts: list[str] = []
    stage, ky = inputs.get("stage"), _number(inputs.get("ky"))
    if isinstance(stage, str) and stage and ky is not None:
        period = known.get(f"period.{stage}", stage)
        parts.append(translate(locale, "decision_figures.period", period=period, ky=f"{ky:g}"))
    trigger, refill = (
        _first(inputs.get("mad_fraction")),
        _number(inputs.get("refill_target_fraction")),
    )
    if trigger is not None and refill is not None:
        parts.append(
            translate(
                locale,
                "decision_figures.trigger",
                trigger=f"{100 * trigger:.0f}",
                refill=f"{100 * refill:.0f}",
            )
        )
    dr_mm, trigger_mm = _number(inputs.get("dr_now_mm")), _first(inputs.get("trigger_mm"))
    if dr_mm is not None and trigger_mm is not None:
        parts.append(
            translate(
                locale,
                "decision_figures.depletion",
                dr_mm=f"{dr_mm:.1f}",
                trigger_mm=f"{trigger_mm:.1f}",
            )
        )
    return sep.join(parts) if parts else None


_TRIGGER = "trigger_reached"  # the ET planner's "soil water down to the trigger: irrigate"


def _deferred_to(locale: str, deferred_to: Any, record: str, fmt: Formatter | None) -> str:
    """When a deferred run is planned, in ``locale``'s words."""
    if isinstance(deferred_to, str) and fmt is not None:
        try:
            when = fmt.time(datetime.fromisoformat(deferred_to))
        except ValueError:
            pass
        else:
            return translate(locale, "decision_deferred.to", when=when)
    at = first_event_at(record)
    if at is not None:
        return translate(locale, "decision_deferred.to_day", clock=at[0], day=at[1])
    return translate(locale, "decision_deferred.no_run")


def _sayer(fmt: Formatter) -> RecordSayer:
    """The records' sayer of ``fmt``'s locale: the page catalog (the records' words merged
    in) and the page's times."""
    return RecordSayer(catalog(fmt.locale), fmt.time)


def end_said(fmt: Formatter, end_reason: str) -> str | None:
    """A run's ``end_reason`` said part by part in ``fmt``'s locale (a part no code knows as
    recorded); ``None`` when no part has a code."""
    return _sayer(fmt).end(end_reason)


def trip_said(fmt: Formatter, message: str) -> str | None:
    """A safety trip's ``message`` said part by part in ``fmt``'s locale (catalog table
    ``trip_message``); ``None`` when no part has a code."""
    return _sayer(fmt).trip(message)


def alarm_said(fmt: Formatter, source: str, code: str, message: str) -> str | None:
    """An alarm's ``message`` in ``fmt``'s locale where its writer's words are known (the
    safety supervisor's, the fertigation planner's notes, a device's, the clock's, the
    sequencer's and the head works' events), else ``None`` (the page shows the
    record)."""
    return _sayer(fmt).alarm(source, code, message)


def clock_note_said(fmt: Formatter, note: str) -> str | None:
    """Why the wall clock is not trusted (the status's ``clock_note``) in ``fmt``'s locale
    (catalog table ``clock_reason``); ``None`` when no template knows it (the page shows the
    note as it is)."""
    return _sayer(fmt).clock_reason(note)


def device_error_said(fmt: Formatter, health: Mapping[str, Any]) -> str | None:
    """A device's last error (its health's ``last_error_kind`` and ``last_error_values``) in
    ``fmt``'s locale (catalog table ``device_error``, a Modbus exception by its name, the
    request it answered, a bus that cannot be opened by its cause); ``None`` without a kind
    or its entry (a daemon that does not report them: the page shows ``last_error``)."""
    kind, values = health.get("last_error_kind"), health.get("last_error_values")
    if not isinstance(kind, str):
        return None
    said = {str(k): str(v) for k, v in values.items()} if isinstance(values, Mapping) else {}
    return _sayer(fmt).device_error(kind, said)
