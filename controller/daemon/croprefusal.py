"""Why a crop observation is refused, by message code, so that the pages can say it in
their language.

Each refusal is an :class:`~controller.daemon.protocol.ObservationRefused` naming the field
at fault, with its English from :data:`MESSAGES` (what the API answers) and the same as a
:class:`~controller.errors.CodedProblem` (code and values) for the pages' catalogs
(``phenology.refusal.<code>``).
"""

from __future__ import annotations

from collections.abc import Mapping

from controller.daemon.protocol import ObservationRefused
from controller.errors import CodedProblem

__all__ = ["MESSAGES", "refused"]

MESSAGES: Mapping[str, str] = {
    "not_maize": "zone {zone} grows {crop}: stages are recorded for maize ({crops})",
    "no_stage": "no stage given: choose the stage seen (a note alone is not a stage record)",
    "unknown_stage": "unknown stage {stage!r} (one of {known})",
    "not_a_date": "{value!r} is not a date (YYYY-MM-DD)",
    "in_future": "{observed_on} is in the future (today is {today})",
    "before_planting": "{observed_on} is before planting on {planting_date}",
    "note_too_long": "at most {max_chars} characters, no control characters",
    "before_earlier_stage": "{stage} on {observed_on} is before {other_stage} on {other_on} "
    "(stages come in order)",
    "after_later_stage": "{stage} on {observed_on} is after {other_stage} on {other_on} "
    "(stages come in order)",
    "implausible_gdd": "{stage} on {observed_on} has {gdd_degc_day} °C·d since sowing, where "
    "{stage} comes at about {expected_degc_day} °C·d (accepted {low_degc_day}-{high_degc_day}): "
    "confirm that the crop really is at this stage to keep it",
    "implausible_calendar_no_gdd": "{stage} on {observed_on} is day {days_after_planting} "
    "after planting, where the calendar puts {stage} at about day {expected_day} (accepted "
    "within {days_off} days; too few days with temperatures to count degree days): confirm "
    "that the crop really is at this stage to keep it",
    "photo_empty": "the photo is empty",
    "photo_too_large": "the photo is {kib} KiB, more than {max_kib} KiB",
    "photo_unreadable": "{reason}",
    "photo_not_kept": "photos cannot be kept: no data directory",
}
"""The English of each refusal code (the pages have their own catalogs)."""


def refused(field: str, code: str, **values: str) -> ObservationRefused:
    """The refusal of ``field`` by ``code`` (a key of :data:`MESSAGES`) with its ``values``
    (as given: names, ISO dates, numbers written out)."""
    message = MESSAGES[code].format(**values)
    return ObservationRefused(message, field=field, coded=CodedProblem(message, code, values))
