"""A device point's name on /devices in the page's language.

Profiles name their points by register-map keys (``flow_rate``, ``soil_ec``, ``ch3``); the
page says what each is (catalog table ``point``) and keeps the key beside it, as the device
manual and the CLI name it. A numbered point (a relay's ``ch3``, an input module's ``in2``,
a counter's ``count1``) is said by its stem's entry (``point.ch_n``) with its number. A key
the catalog does not know is shown alone.
"""

from __future__ import annotations

import re

from web.i18n import catalog, translate

__all__ = ["point_label"]

_NUMBERED = re.compile(r"^([a-z_]*[a-z])(\d+)$")


def point_label(locale: str, point: str) -> str | None:
    """The label of ``point`` in ``locale``, or ``None`` when the catalog has none."""
    known = catalog(locale)
    if f"point.{point}" in known:
        return known[f"point.{point}"]
    numbered = _NUMBERED.match(point)
    if numbered and f"point.{numbered[1]}_n" in known:
        return translate(locale, f"point.{numbered[1]}_n", n=numbered[2])
    return None
