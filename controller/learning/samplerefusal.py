"""Why a soil sample is refused, by message code, so that the pages can say it in their
language.

Each refusal is a :class:`SampleRefused` naming the field at fault, with its English from
:data:`MESSAGES` (what the API and the CLI say) and the same as a
:class:`~controller.errors.CodedProblem` (code and values) for the pages' catalogs
(``probes.refusal.<code>``).
"""

from __future__ import annotations

from collections.abc import Mapping

from controller.errors import CodedProblem, ControllerError

__all__ = ["MESSAGES", "SampleRefused", "refused"]

MESSAGES: Mapping[str, str] = {
    "unknown_probe": "probe {probe!r} is not a soil probe of this site ({listed})",
    "theta_outside": "theta_pct {theta} is outside 0–{max_pct} % vol "
    "(volumetric water content: gravimetric × bulk density)",
    "theta_needed": "the reference θ is needed",
    "unknown_method": "method {method!r} is not one of {methods}",
    "note_too_long": "note is {chars} characters, at most {max_chars}",
    "at_without_zone": "at: give the time with its zone (or UTC)",
    "at_in_future": "at {at} is in the future",
    "no_raw_reading": "probe {probe!r} has no good reading at {at} (site time): none stored "
    "within {minutes} min before it, which is how long a steady probe's reading stands; "
    "give the probe's raw reading (raw_pct)",
    "no_live_reading": "probe {probe!r} has no good live reading at {at} (site time), the "
    "sample taken now: not read, failing, or too old; give the probe's raw reading (raw_pct)",
    "probe_doubted": "probe {probe!r} is doubted by the controller now (open alarm {alarm}): "
    "its reading cannot calibrate it; check the probe, or give its raw reading (raw_pct)",
    "raw_outside": "raw_pct {raw} is outside 0–{max_pct} %",
    "not_a_number": "{value!r} is not a number",
    "not_a_time": "{value!r} is not a date and time",
}
"""The English of each refusal code (the pages have their own catalogs)."""


class SampleRefused(ControllerError, ValueError):
    """A soil sample not stored: ``field`` names the input at fault (``probe``, ``theta_pct``,
    ``method``, ``at``, ``raw_pct``, ``note``); ``coded`` is its message code and values,
    for a page to say in its language."""

    def __init__(self, message: str, *, field: str, coded: CodedProblem | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.coded = coded


def refused(field: str, code: str, **values: str) -> SampleRefused:
    """The refusal of ``field`` by ``code`` (a key of :data:`MESSAGES`) with its ``values``."""
    message = MESSAGES[code].format(**values)
    return SampleRefused(message, field=field, coded=CodedProblem(message, code, values))
