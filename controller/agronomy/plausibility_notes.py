"""The plausibility alarms' messages: the English templates they are written from and read
back by.

:class:`controller.agronomy.plausibility.Plausibility` records a doubted probe or station as
an alarm whose ``message`` names the values (the box's record, kept as it is). It writes
each from :func:`note` with the template of its code, so a page or a notification can say it
in its own language from :func:`plausibility_note` (catalog table ``plausibility``), and the
probe it names from :func:`probe_where` (catalog table ``probe_where``). Values are the
recorded text (numbers as written, times UTC); a message no template knows is said as
recorded.
"""

from __future__ import annotations

from controller.agronomy.types import PROBE_POINT
from controller.runtime.recorded import RecordedPart, Templates

__all__ = ["PLAUSIBILITY_NOTES", "PROBE_WHERE", "note", "plausibility_note", "probe_where"]

# a probe: device.moisture (zone, depth in m)
PROBE_WHERE = "{device}." + PROBE_POINT + " (zone {zone}, {depth_m} m)"

# alarm code -> the English message as recorded
PLAUSIBILITY_NOTES: dict[str, str] = {
    "probe_rate": (
        "{where}: moisture {before_pct} % → {after_pct} % between {t0} and {t1} UTC, "
        "{rate_pct_h} %/h beyond ±{limit_pct_h} %/h: not the soil; quarantined"
    ),
    "probe_flatline": (
        "{where}: moisture flat at {low_pct}–{high_pct} % for {hours} h ({readings} readings "
        "within {tolerance_pct} %): a frozen value; quarantined"
    ),
    "probe_no_response": (
        "{where}: no response to irrigation: run {run} gave {after_mm} mm by {reached} UTC "
        "({applied_mm} mm in all) and moisture rose {rise_pct} % from {base_pct} % by "
        "{deadline} UTC (expected ≥ +{min_rise_pct} % within {lag_min} min); quarantined"
    ),
    "station_frozen": (
        "weather station {station}: {points} all unchanged from {start} to {end} UTC "
        "({hours} h): a frozen station; ET0 of those days is estimated from the recent days"
    ),
    "rain_gauge_suspect": (
        "rain gauge of {station}: {counted_mm} mm counted from {first} to {last} while the "
        "forecast gave {reported_mm} mm (≥ {limit_mm} mm): check the gauge (blocked funnel, "
        "stuck bucket)"
    ),
}

_NOTES = Templates(PLAUSIBILITY_NOTES)
_WHERE = Templates({"probe": PROBE_WHERE}, numbers=("depth_m",))


def note(code: str, **values: object) -> str:
    """The message of alarm ``code`` with ``values`` (already written as recorded)."""
    return PLAUSIBILITY_NOTES[code].format(**values)


def plausibility_note(message: str) -> RecordedPart:
    """A plausibility alarm's ``message`` whole, with its code where a template knows it."""
    return _NOTES.part(message)


def probe_where(where: str) -> RecordedPart:
    """The probe a message names (``probe1a.moisture (zone z1, 0.2 m)``), read back."""
    return _WHERE.part(where)
