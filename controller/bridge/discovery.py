"""Home Assistant MQTT discovery: one retained config document per entity.

Topic ``<discovery_prefix>/<component>/<node_id>/<object_id>/config``; the document
carries ``unique_id``, the ``device`` block (one device per site), ``state_topic``,
``availability_topic`` (the bridge's Last Will), and for sensors ``unit_of_measurement``,
``device_class`` and ``state_class`` as Home Assistant documents them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controller.bridge.topics import Topics, slug
from controller.daemon.protocol import DeviceStatus, ZoneStatus

__all__ = ["POINT_CLASSES", "Entity", "entities"]

# A device point's unit (as in its profile) -> (HA unit, device_class, state_class).
POINT_CLASSES: dict[str, tuple[str | None, str | None, str]] = {
    "%": ("%", "moisture", "measurement"),
    "kPa": ("kPa", "pressure", "measurement"),
    "m3/h": ("m³/h", "volume_flow_rate", "measurement"),
    "m3": ("m³", "water", "total_increasing"),
    "°C": ("°C", "temperature", "measurement"),
    "mS/cm": ("mS/cm", "conductivity", "measurement"),
    "uS/cm": ("µS/cm", "conductivity", "measurement"),
    "pH": (None, "ph", "measurement"),
    "m": ("m", "distance", "measurement"),
}


@dataclass(frozen=True, slots=True)
class Entity:
    component: str  # "sensor" | "binary_sensor" | "switch" | "button" | "number"
    object_id: str
    config: dict[str, Any] = field(hash=False)

    def topic(self, discovery_prefix: str, node_id: str) -> str:
        return f"{discovery_prefix}/{self.component}/{node_id}/{self.object_id}/config"


def device_block(site_id: str, site_name: str, version: str) -> dict[str, Any]:
    return {
        "identifiers": [f"qanat_{slug(site_id)}"],
        "name": f"qanat {site_name}",
        "manufacturer": "qanat",
        "model": "irrigation and fertigation controller",
        "sw_version": version,
    }


def entities(
    topics: Topics,
    *,
    site_id: str,
    site_name: str,
    version: str,
    zones: list[ZoneStatus],
    devices: list[DeviceStatus],
    commands: bool,
) -> list[Entity]:
    """Every entity of the site: zones (valve, water today, moisture), measured points,
    alarms, savings; with ``commands``, a switch per zone and a stop-all button."""
    node = f"qanat_{slug(site_id)}"
    common = {
        "availability_topic": topics.availability,
        "payload_available": "online",
        "payload_not_available": "offline",
        "device": device_block(site_id, site_name, version),
        "origin": {"name": "qanat", "sw_version": version},
    }

    def make(component: str, obj: str, name: str, **cfg: Any) -> Entity:
        doc = {"name": name, "unique_id": f"{node}_{obj}", **common, **cfg}
        return Entity(component, obj, {k: v for k, v in doc.items() if v is not None})

    out: list[Entity] = []
    for z in zones:
        zs = slug(z.name)
        label = z.label or z.name
        out.append(
            make(
                "binary_sensor",
                f"zone_{zs}_valve",
                f"{label} valve",
                state_topic=topics.zone(z.name, "valve"),
                payload_on="ON",
                payload_off="OFF",
                device_class="opening",
            )
        )
        out.append(
            make(
                "sensor",
                f"zone_{zs}_water_today",
                f"{label} water today",
                state_topic=topics.zone(z.name, "water_today"),
                unit_of_measurement="m³",
                device_class="water",
                state_class="total_increasing",  # back to 0 at midnight: a new cycle
            )
        )
        for depth in z.moisture_pct:
            out.append(
                make(
                    "sensor",
                    f"zone_{zs}_moisture_{slug(depth)}",
                    f"{label} moisture {depth} m",
                    state_topic=topics.zone(z.name, f"moisture_{slug(depth)}"),
                    unit_of_measurement="%",
                    device_class="moisture",
                    state_class="measurement",
                )
            )
        if commands:
            out.append(
                make(
                    "switch",
                    f"zone_{zs}_run",
                    f"{label} run",
                    state_topic=topics.zone(z.name, "valve"),
                    command_topic=topics.command(f"zone/{zs}/set"),
                    payload_on="ON",
                    payload_off="OFF",
                    device_class="switch",
                )
            )
    for d in devices:
        for r in d.readings:
            classes = POINT_CLASSES.get(str(r.get("unit") or ""))
            if classes is None:
                continue
            unit, device_class, state_class = classes
            out.append(
                make(
                    "sensor",
                    f"{slug(d.name)}_{slug(r['point'])}",
                    f"{d.name} {r['point']}",
                    state_topic=topics.point(d.name, r["point"]),
                    unit_of_measurement=unit,
                    device_class=device_class,
                    state_class=state_class,
                )
            )
    out.append(
        make(
            "sensor",
            "open_alarms",
            "open alarms",
            state_topic=topics.site_value("open_alarms"),
            state_class="measurement",
        )
    )
    out.append(
        make(
            "binary_sensor",
            "alarm",
            "alarm",
            state_topic=topics.site_value("alarm"),
            payload_on="ON",
            payload_off="OFF",
            device_class="problem",
        )
    )
    out.append(
        make(
            "sensor",
            "last_alarm",
            "last alarm",
            state_topic=topics.site_value("last_alarm"),
        )
    )
    out.append(
        make(
            "sensor",
            "saving_m3_per_mu",
            "water saved per mu",
            state_topic=topics.site_value("saving_m3_per_mu"),
            unit_of_measurement="m³/mu",
            state_class="measurement",
        )
    )
    if commands:
        out.append(
            make(
                "button",
                "stop_all",
                "stop all",
                command_topic=topics.command("stop_all"),
                payload_press="PRESS",
            )
        )
    return out
