"""``qanat poll --config SITE.toml [--once] [--json]``: the commissioning tool.

Reads every device of the site and prints each point with device, unit id,
table, address, raw registers, decoded value, unit and quality, then the
health of each bus. Exit status with ``--once`` (:mod:`controller.cli.exitcodes`): 0 when
every reading is ok, 1 when any is flagged, 2 on an unusable site file or an unknown
``--device`` (so a wiring script can tell a bad config from bad wiring).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.config.site import load_site_or_report
from controller.runtime.fieldio import DevicePoll, FieldIO
from drivers.reading import Quality


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        required=True,
        metavar="SITE.toml",
        help="the site whose devices to read",
    )
    parser.add_argument("--once", action="store_true", help="read once and exit")
    parser.add_argument("--json", action="store_true", help="print one JSON document per round")
    parser.add_argument(
        "--device", action="append", metavar="NAME", help="only this device (repeatable)"
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, metavar="S", help="seconds between rounds"
    )


def _rows(polls: list[DevicePoll]) -> list[dict[str, Any]]:
    rows = []
    for p in polls:
        for reading in p.readings:
            block = next(
                rb for rb in p.raw if any(pt.name == reading.point for pt in rb.block.points)
            )
            pt = next(pt for pt in block.block.points if pt.name == reading.point)
            rows.append(
                {
                    "bus": p.bus,
                    "device": p.device,
                    "unit_id": p.unit,
                    "point": reading.point,
                    "table": pt.table.value,
                    "address": pt.address,
                    "raw": list(reading.raw),
                    "value": reading.value,
                    "decoded": reading.decoded,
                    "unit": reading.unit,
                    "quality": reading.quality.value,
                    "detail": reading.detail,
                    "time": reading.time.isoformat(),
                }
            )
    return rows


def _print_table(
    rows: list[dict[str, Any]], health: dict[str, dict[str, dict[str, object]]]
) -> None:
    # Columns as wide as their longest entry (a point such as net_total_fraction, a
    # float32's raw words), so every line's columns stay under their heading.
    dev_w = max([10, *(len(r["device"]) for r in rows)])
    point_w = max([16, *(len(r["point"]) for r in rows)])
    raws = [_raw(r) for r in rows]
    raw_w = max([14, *(len(raw) for raw in raws)])
    header = (
        f"{'device':<{dev_w}} {'unit':>4} {'table':<8} {'addr':>5} {'point':<{point_w}} "
        f"{'raw':<{raw_w}} {'value':>10} {'unit':<6} quality"
    )
    print(header)
    print("-" * len(header))
    for r, raw in zip(rows, raws, strict=True):
        shown = r["value"] if r["value"] is not None else r["decoded"]
        value = f"{shown:.6g}" if isinstance(shown, float) else "—"
        quality = r["quality"] + (
            f" ({r['detail']})" if r["quality"] != "ok" and r["detail"] else ""
        )
        print(
            f"{r['device']:<{dev_w}} {r['unit_id']:>4} {r['table']:<8} {r['address']:>5} "
            f"{r['point']:<{point_w}} {raw:<{raw_w}} {value:>10} {r['unit']:<6} {quality}"
        )
    print()
    bus_w = max([8, *(len(bus) for bus in health)])
    dev_w = max([10, *(len(d) for devices in health.values() for d in devices)])
    # unreachable: the bus's port or gateway could not be opened; rested: asks skipped
    # while a silent device rests (drivers.bus back-off)
    print(
        f"{'bus':<{bus_w}} {'device':<{dev_w}} {'ok':>5} {'timeout':>7} {'exc':>5} {'bad':>5} "
        f"{'unreachable':>11} {'rested':>6} last error"
    )
    for bus, devices in health.items():
        for device, h in devices.items():
            print(
                f"{bus:<{bus_w}} {device:<{dev_w}} {h['ok']:>5} {h['timeout']:>7} "
                f"{h['exception']:>5} {h['bad_frame']:>5} {h['unavailable']:>11} "
                f"{h['skipped']:>6} {h['last_error']}"
            )


def _raw(row: dict[str, Any]) -> str:
    """The raw registers of a row as the device sends them: hex words, or coil bits."""
    return " ".join(
        f"{v:04X}" if row["table"] in ("input", "holding") else str(v) for v in row["raw"]
    )


def _only(
    health: dict[str, dict[str, dict[str, object]]], devices: list[str] | None
) -> dict[str, dict[str, dict[str, object]]]:
    """The health of the ``devices`` asked for (all when none), by bus: a device not polled
    is not listed with zero good reads as if it had failed."""
    if not devices:
        return health
    kept = {bus: {d: h for d, h in hs.items() if d in devices} for bus, hs in health.items()}
    return {bus: hs for bus, hs in kept.items() if hs}


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return UNUSABLE
    known = {d.name for d in site.devices}
    unknown = [d for d in args.device or [] if d not in known]
    if unknown:
        print(
            f"--device: no device {', '.join(map(repr, unknown))} in {site.path.name} "
            f"(its devices: {', '.join(d.name for d in site.devices)})",
            file=sys.stderr,
        )
        return UNUSABLE
    with FieldIO(site) as field:
        while True:
            polls = field.poll(args.device)
            rows = _rows(polls)
            health = _only(field.health(), args.device)
            if args.json:
                doc = {
                    "site": site.site.id,
                    "time": datetime.now(UTC).isoformat(),
                    "readings": rows,
                    "health": health,
                }
                print(json.dumps(doc, ensure_ascii=False), flush=True)
            else:
                _print_table(rows, health)
            if args.once:
                return OK if all(r["quality"] == Quality.OK.value for r in rows) else FAILED
            time.sleep(args.interval)
