"""The zones a daily learning job fits, one at a time, never raising into the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable

from controller.config.site import SiteConfig, ZoneConfig

__all__ = ["each_probed_zone"]

log = logging.getLogger(__name__)


def each_probed_zone(
    site: SiteConfig, what: str, fit: Callable[[ZoneConfig], str]
) -> dict[str, str]:
    """``fit`` every ``et``/``sensor`` zone with probes; zone → what happened (``failed: …``
    for a zone whose fit raised, logged as ``learning: <what> of <zone> failed``)."""
    out: dict[str, str] = {}
    for zone in site.zones:
        if not zone.probes or zone.mode not in ("et", "sensor"):
            continue
        try:
            out[zone.name] = fit(zone)
        except Exception as exc:  # a job never raises into the scheduler
            log.exception("learning: %s of %s failed", what, zone.name)
            out[zone.name] = f"failed: {exc}"
    return out
