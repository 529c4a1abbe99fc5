"""Command messages from the bus, parsed before anything is asked of the daemon.

Topics under ``<base>/cmd/``:

==========================  =========================================================
``zone/<zone>/set``         ``ON`` (start for ``[mqtt] command_run_min``), ``OFF``, or
                            JSON ``{"minutes": 12}``
``stop_all``                anything (Home Assistant's button sends ``PRESS``)
``pause``                   hours as a number, or JSON ``{"hours": 2}``; ``0`` resumes
==========================  =========================================================

Anything else is :class:`BadCommand`: never a guess, never a valve opened.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from controller.bridge.errors import BadCommand

__all__ = ["Command", "parse_command"]

MAX_PAYLOAD_BYTES = 256


@dataclass(frozen=True, slots=True)
class Command:
    action: str  # "start" | "stop" | "stop_all" | "pause" | "resume"
    zone: str | None = None
    minutes: float | None = None
    hours: float | None = None


def parse_command(
    suffix: str, payload: bytes, *, zones: dict[str, str], run_min: float, max_min: float
) -> Command:
    """The command of a message on ``<base>/cmd/<suffix>``.

    ``zones`` maps topic slugs to zone names; minutes must be in (0, ``max_min``].
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise BadCommand(f"payload of {len(payload)} bytes (at most {MAX_PAYLOAD_BYTES})")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadCommand("payload is not UTF-8 text") from None
    parts = suffix.split("/")
    if parts == ["stop_all"]:
        return Command("stop_all")
    if parts == ["pause"]:
        hours = _number(text, "hours")
        if not 0 <= hours <= 72:
            raise BadCommand(f"pause of {hours:g} h (0 to 72)")
        return Command("resume") if hours == 0 else Command("pause", hours=hours)
    if len(parts) == 3 and parts[0] == "zone" and parts[2] == "set":
        zone = zones.get(parts[1])
        if zone is None:
            raise BadCommand(f"no zone {parts[1]!r}")
        if text.upper() == "OFF":
            return Command("stop", zone=zone)
        minutes = run_min if text.upper() == "ON" else _number(text, "minutes")
        if not 0 < minutes <= max_min:
            raise BadCommand(f"{minutes:g} min for {zone} (more than 0, at most {max_min:g})")
        return Command("start", zone=zone, minutes=minutes)
    raise BadCommand(f"unknown command topic cmd/{suffix}")


def _number(text: str, key: str) -> float:
    """A plain number, or JSON ``{key: number}``."""
    try:
        value = json.loads(text)
    except ValueError:
        raise BadCommand(f"payload {text[:40]!r} is neither a number nor JSON") from None
    if isinstance(value, dict):
        if set(value) != {key}:
            raise BadCommand(f"JSON payload must be {{{key!r}: number}}, got keys {sorted(value)}")
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadCommand(f"{key} must be a finite number, got {value!r}")
    return float(value)
