"""Topic names of one site on the bus (``<prefix>/<site id>/...``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Topics", "slug"]


def slug(text: str) -> str:
    """``text`` reduced to what MQTT topic levels and HA object ids accept: ``[a-z0-9_]``."""
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "x"


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str  # e.g. "qanat"
    site: str  # site id

    @property
    def base(self) -> str:
        return f"{self.prefix}/{slug(self.site)}"

    @property
    def availability(self) -> str:
        return f"{self.base}/status"

    def zone(self, zone: str, what: str) -> str:
        return f"{self.base}/zone/{slug(zone)}/{what}"

    def point(self, device: str, point: str) -> str:
        return f"{self.base}/device/{slug(device)}/{slug(point)}"

    def site_value(self, what: str) -> str:
        return f"{self.base}/{what}"

    @property
    def commands(self) -> str:
        """The filter the bridge subscribes to when commands are on."""
        return f"{self.base}/cmd/#"

    def command(self, what: str) -> str:
        return f"{self.base}/cmd/{what}"
