"""A run's ``end_reason`` read back as message codes and their values.

The sequencer records why a run ended as English parts joined by ``"; "``: why it ended
(``planned time reached``, ``stopped by ana``, ``safety no_flow: ...``), how its water was
measured (:meth:`controller.runtime.metering.Metering.how`), what a restart credited it
(:mod:`controller.runtime.credit`), the run's notes and how its fertilizer was measured
(:mod:`controller.runtime.dosing`), with each channel's litres read by :func:`channel_doses`
(catalog table ``channel_dose``). That text is the box's record and stays as it is; a page
says each part in its own language from :func:`end_parts`: the part's code (catalog table
``end_reason``) and the values it names, as written in the record. A part no pattern here
knows is given back as it is, in English.

:data:`END_REASONS` holds one English template per code, in the words the writers use
(``str.format`` fields, each matching any text); a test holds the catalogs to its codes.
:data:`OLDER_END_REASONS` reads rows stored in a writer's earlier words as the same code.
"""

from __future__ import annotations

from controller.runtime.recorded import RecordedPart, Templates

__all__ = [
    "CHANNEL_DOSES",
    "END_REASONS",
    "OLDER_END_REASONS",
    "EndPart",
    "channel_doses",
    "end_parts",
]

# code -> the English part as recorded ({name} matches any text within the part)
END_REASONS: dict[str, str] = {
    # why the run ended (controller.runtime.sequencer, controller.daemon)
    "planned_time": "planned time reached",
    "flushed": "flushed",
    "flush_limit": "flush limit reached",
    "target_volume": "target volume {target_m3} m3 reached",
    "volume_cap": (
        "time cap reached before the target volume: {applied_m3} of {target_m3} m3 metered "
        "in {minutes} min"
    ),
    "switch_on_failed": "could not switch {role} on: {error}",
    "switch_off_failed": "could not switch off: {error}",
    "start_not_recorded": "start not recorded, water closed again: {error}",
    "record_refused": "record refused, water closed again: {error}",
    "stopped_by": "stopped by {actor}",
    "stop_all_by": "stop all by {actor}",
    "paused": "paused until {until}",
    "safety": "safety {code}: {message}",
    "daemon_restart": "daemon restart",
    "daemon_restarted": "daemon restarted during the run",
    "daemon_stopping": "daemon stopping",
    # a run of the demo's simulated past (controller.simulation.fidelity): the plan's water
    "simulated": "agronomy fidelity: planned water delivered",
    "control_loop_error": "control loop error: {error}",
    "probe_quarantined": "probe {probe} quarantined ({code})",
    # how the water was measured (controller.runtime.metering)
    "water_totalizer": "water by {meter} totalizer",
    "water_integrated": "water by {meter} flow-rate integration",
    "water_mixed": "water by {meter} totalizer, flow rate integrated for {seconds} s",
    # what a restart credited (controller.runtime.credit)
    "credit_not_configured": (
        "water since the last progress not credited: zone {zone} is not configured"
    ),
    "credit_shared_meter_one": (
        "water since the last progress not credited: {meter} also measured run {run}"
    ),
    "credit_shared_meter": (
        "water since the last progress not credited: {meter} also measured runs {runs}"
    ),
    "credit_no_mark": (
        "water since the last progress not credited: no meter reading was kept with it"
    ),
    "credit_other_meter": (
        "water since the last progress not credited: it was measured by {marked_meter}, "
        "the zone now by {meter}"
    ),
    "credit_unreadable": (
        "water since the last progress not credited: {meter} totalizer unreadable at start "
        "(last progress at {marked_m3} m3)"
    ),
    "credit_went_down": (
        "water since the last progress not credited: {meter} totalizer went down from "
        "{marked_m3} to {now_m3} m3 (reset or rollover)"
    ),
    "credit_too_much": (
        "water since the last progress not credited: {meter} totalizer rose {rise_m3} m3 "
        "({marked_m3} to {now_m3} m3), more than run {run} can have passed ({limit_m3} m3)"
    ),
    "credited": (
        "{rise_m3} m3 credited to run {run}: {meter} totalizer {marked_m3} m3 at the last "
        "progress, {now_m3} m3 at start"
    ),
    # the run's notes and its fertilizer (controller.runtime.sequencer, .dosing)
    "no_flow_after_prewet": "injection held: no water flow after prewet",
    "flush_at_limit": "flush ended at the run-time limit before EC returned to source",
    "injection_stopped": "injection stopped: {why}",
    "injection_held": "injection held while there was no water flow",
    "dosing_stopped": "dosing stopped: {code}: {message}",
    "fertilizer_counter": "fertilizer by {injector} dosed-volume counter",
    "fertilizer_setpoint": "fertilizer by {injector} setpoint × time",
    "fertilizer_channels": "channels: {channels}",
}


# code -> one channel's litres in ``fertilizer_channels`` (controller.runtime.dosing)
CHANNEL_DOSES: dict[str, str] = {
    "counter_of": "{channel} {litres} L of {target} L (counter)",
    "rate_time_of": "{channel} {litres} L of {target} L (rate × time)",
    "counter": "{channel} {litres} L (counter)",
    "rate_time": "{channel} {litres} L (rate × time)",
}

# code -> the words its part was recorded in before (older rows), read back, never written
OLDER_END_REASONS: dict[str, tuple[str, ...]] = {
    # one pattern for one run or several, before "run 8" / "runs 8, 9"
    "credit_shared_meter": (
        "water since the last progress not credited: {meter} also measured run(s) {runs}",
    ),
}

EndPart = RecordedPart  # one part of an end_reason
_TEMPLATES = Templates(END_REASONS, older=OLDER_END_REASONS)
_DOSES = Templates(CHANNEL_DOSES)


def end_parts(end_reason: str) -> list[EndPart]:
    """``end_reason`` split at ``"; "`` into its parts, each with its code where one is
    known (a device's error message holding ``"; "`` falls into several parts, the later
    ones without a code)."""
    return _TEMPLATES.parts(end_reason)


def channel_doses(channels: str) -> list[EndPart]:
    """The ``channels`` of a ``fertilizer_channels`` part split at ``", "``, each channel's
    litres with its code (:data:`CHANNEL_DOSES`) where one is known."""
    return _DOSES.parts(channels, sep=", ")
