"""A box's ``/api/v1/zones`` answer read as the zones' areas, or why it is not one.

The office divides every report figure by these areas (m², 1 mu = 666.67 m²), so an answer
that is not the zones list — a login page of a proxy, another service on the box's port,
a zone without an area — is refused in words that say what came back and where, never in
the words of Python's exceptions (``string indices must be integers``, ``'area_m2'``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from controller.errors import OfficeError
from controller.office.answers import NOT_A_BOX, came_back
from controller.office.central import ZoneArea

__all__ = ["NotZones", "zone_areas"]


class NotZones(OfficeError, ValueError):
    """The answer is not the zones list; the message says what came back instead."""


def zone_areas(site_id: str, body: bytes, content_type: str) -> list[ZoneArea]:
    """The zones of ``body`` (the JSON list the box serves: ``name``, ``area_m2`` > 0,
    optional ``label`` and ``crop``); :class:`NotZones` naming the first problem by its
    index (``zones[1].area_m2``)."""
    try:
        listed = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise NotZones(f"not JSON but {came_back(body, content_type)}: {NOT_A_BOX}") from None
    if not isinstance(listed, list):
        raise NotZones(f"a JSON {_kind(listed)}, not the list of zones")
    return [_zone(site_id, i, z) for i, z in enumerate(listed)]


def _zone(site_id: str, index: int, zone: Any) -> ZoneArea:
    where = f"zones[{index}]"
    if not isinstance(zone, dict):
        raise NotZones(f"{where}: a JSON {_kind(zone)}, not a zone")
    name = zone.get("name")
    if not isinstance(name, str) or not name:
        raise NotZones(f"{where}.name: {name!r} is not a zone name")
    area = zone.get("area_m2")
    if isinstance(area, bool) or not isinstance(area, int | float) or not 0 < area < math.inf:
        raise NotZones(f"{where}.area_m2 (zone {name}): {area!r} is not an area in m² above 0")
    return ZoneArea(
        site_id, name, str(zone.get("label") or ""), float(area), str(zone.get("crop") or "")
    )


def _kind(value: Any) -> str:
    """A JSON value's kind in words (``object``, ``string``, ...)."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "boolean" if isinstance(value, bool) else "number"
