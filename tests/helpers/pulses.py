"""A site's head flow meter replaced by a pulse meter on a DI counter module (dio1.count1)."""

from __future__ import annotations

__all__ = ["COUNTER_DEVICE", "PULSE_METER", "with_pulse_meter"]

PULSE_METER = "pm1"
COUNTER_DEVICE = "dio1"


def with_pulse_meter(
    text: str,
    *,
    litres_per_pulse: float = 10,
    no_pulse_s: float = 30,
    max_flow_m3_h: float = 250,
    unit: int = 40,
    poll_interval_s: float = 5,
) -> str:
    """``text`` (a site file on bus ``head``) with every ``flow_meter = "flow1"`` naming the
    pulse meter ``pm1`` instead: counter ``dio1.count1`` (iSMA SfAR-1M-4DI) at ``unit``."""
    assert 'flow_meter = "flow1"' in text
    text = text.replace('flow_meter = "flow1"', f'flow_meter = "{PULSE_METER}"')
    return (
        text
        + f"""

[[devices]]
name = "{COUNTER_DEVICE}"
bus = "head"
unit = {unit}
profile = "isma-sfar-1m-4di"
poll_interval_s = {poll_interval_s:g}
description = "DI counter module: the main meter's pulse output on input 1"

[[pulse_meters]]
name = "{PULSE_METER}"
counter = "{COUNTER_DEVICE}.count1"
litres_per_pulse = {litres_per_pulse:g}
no_pulse_s = {no_pulse_s:g}
max_flow_m3_h = {max_flow_m3_h:g}
"""
    )
