"""A safety alarm's message read back as message codes and the values they name.

The supervisor (:mod:`controller.runtime.safety`) records each trip as an alarm whose
``code`` is the rule and whose ``message`` is an English sentence naming the values: the
box's record, its log line and what the API gives, kept as it is. A page says it in its own
language from :func:`trip_parts` (catalog table ``trip_message``): the message's first part
read back as its code and values (a rule writes one of several sentences: the codes here tell
them apart), then what could not be switched off. Nothing new is stored, so alarms recorded
before read the same way; a part no template knows is shown as recorded.

:data:`TRIP_MESSAGES` holds one English template per code, in the supervisor's own words; a
test makes the supervisor trip and holds its messages to these templates, and the catalogs to
their codes.
"""

from __future__ import annotations

from controller.runtime.recorded import RecordedPart, Templates

__all__ = ["TRIP_MESSAGES", "trip_parts"]

# code -> the English message as recorded ({name} matches any text within the part)
TRIP_MESSAGES: dict[str, str] = {
    # water rules: everything off
    "output_fault": "output {role} ({ref}) failed: {error}",
    "max_run": "max run time: zone {zone} valve on {on_min} min > {limit_min} min",
    "pump_no_valve": "pump on {held_s} s with no zone valve open (grace {grace_s} s)",
    "flow_negative": "flow meter {meter}: flow {flow_m3_h} m3/h is negative while pumping",
    "flow_meter_stale": ("flow meter {meter}: no good reading within {stale_s} s while pumping"),
    "flow_meter_frozen": (
        "flow meter {meter}: totalizer frozen at {total_m3} m3 over {polls} readings while its "
        "flow rate ({flow_m3_h} m3/h) says {claimed_m3} m3 passed (>= {steps} steps of "
        "{step_m3} m3): the meter no longer measures, so no burst or dry run could be seen"
    ),
    "flow_meter_disagrees": (
        "flow meter {meter}: totalizer rose {rise_m3} m3 in {span_s} s ({total_flow_m3_h} m3/h) "
        "over {polls} readings while its flow rate says {claimed_m3} m3 (last read {flow_m3_h} "
        "m3/h), more apart than {allowed_m3} m3: its rate cannot show a burst or a dry run"
    ),
    "pulse_missing": (
        "pulse meter {meter} ({counter}): no pulse for over {no_pulse_s} s while pumping "
        "({why}): water is not let run unmetered"
    ),
    "dry_run": "dry run: pump on {held_s} s with flow {flow_m3_h} m3/h < {limit_m3_h}",
    "burst": (
        "burst: flow {flow_m3_h} m3/h > {limit_m3_h} (nominal of {zones} × {factor}) for {held_s} s"
    ),
    "pressure_high": "line pressure {kpa} kPa > {limit_kpa} kPa",
    # alarm only
    "pressure_low": "line pressure {kpa} kPa < {limit_kpa} kPa while pumping",
    "unscheduled_flow": (
        "unscheduled flow: {flow_m3_h} m3/h > {limit_m3_h} for {held_s} s with pump and "
        "master valve off"
    ),
    # injection rules: the injector off
    "inject_no_flow_pump_on": (
        "injection without water flow: injector powered {held_s} s, pump on, "
        "flow {flow_m3_h} m3/h < {limit_m3_h}"
    ),
    "inject_no_flow_pump_off": (
        "injection without water flow: injector powered {held_s} s, pump off, "
        "flow {flow_m3_h} m3/h < {limit_m3_h}"
    ),
    "inject_no_flow_unknown_pump_on": (
        "injection without water flow: injector powered {held_s} s, pump on, "
        "flow unknown < {limit_m3_h}"
    ),
    "inject_no_flow_unknown_pump_off": (
        "injection without water flow: injector powered {held_s} s, pump off, "
        "flow unknown < {limit_m3_h}"
    ),
    "ec_meter_stale": "EC meter {meter}: no good reading within {stale_s} s while injecting",
    "ph_meter_stale": "pH meter {meter}: no good reading within {stale_s} s while injecting",
    "ec_high": "EC {ec_ms_cm} mS/cm > {limit_ms_cm} while injecting",
    "ph_out_of_band": "pH {ph} outside [{low}, {high}] while injecting",
    "tank_low": "tank {tank} level {level_m} m < {limit_m} m while injecting",
    # found by the sequencer (controller.runtime.sequencer)
    "lease_renewal": "lease renewal failed: {what}",
    "zone_output_fault": "zone {zone}: {error}",
    # appended when the store refused the ends of the runs a trip aborted
    # (controller.runtime.sequencer.ends_not_recorded), or when aborting them failed otherwise
    "runs_not_recorded": "run history incomplete, ends not recorded: runs {runs}",
    "runs_abort_failed": "runs aborted, not all recorded: {error}",
    # appended when a trip could not switch everything off
    "switch_off_failed": "could not switch off: {error}",
}

_TEMPLATES = Templates(TRIP_MESSAGES)


def trip_parts(message: str) -> list[RecordedPart]:
    """A safety alarm's ``message`` split at ``"; "``, each part with its code where one is
    known (what could not be switched off falls into several parts, the later ones without
    a code)."""
    return _TEMPLATES.parts(message)
