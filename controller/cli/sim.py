"""``qanat sim --config SITE.toml``: serve every device of a site, simulated.

Each configured bus gets a simulated endpoint at the same address (so the
daemon and ``qanat poll`` reach it unchanged), a field model moves the
values, and a loopback control channel takes faults at run time::

    qanat sim --config site.toml                                  # serve until Ctrl-C / SIGTERM
    qanat sim --config site.toml --fault probe1a no_answer --for 30   # to the running sim
    qanat sim --config site.toml --fault flow1 drift --point flow_rate --rate 0.5
    qanat sim --config site.toml --clear probe1a
    qanat sim --config site.toml --status
    qanat sim --config site.toml --wait-ready 20                  # for scripts: wait for the ports
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.config.site import SiteConfig, load_site_or_report
from controller.simulation.harness import DEFAULT_CONTROL_PORT, Simulation
from drivers.sim import ControlError, FaultKind, send_control


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        required=True,
        metavar="SITE.toml",
        help="the site whose devices to serve",
    )
    parser.add_argument(
        "--control-port",
        type=int,
        default=DEFAULT_CONTROL_PORT,
        metavar="PORT",
        help=f"the fault-injection port on 127.0.0.1 (default {DEFAULT_CONTROL_PORT}; 0: one the "
        "system picks, printed at start)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the field's noise")
    parser.add_argument("--step-s", type=float, default=1.0, help="field model step, seconds")
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--fault",
        nargs=2,
        metavar=("DEVICE", "KIND"),
        help=f"inject a fault into the running simulator ({', '.join(k.value for k in FaultKind)})",
    )
    action.add_argument("--clear", metavar="DEVICE", help="clear a device's faults")
    action.add_argument("--status", action="store_true", help="print the running sim's state")
    action.add_argument(
        "--wait-ready", type=float, metavar="S", help="wait up to S seconds for the endpoints"
    )
    parser.add_argument("--point", help="with --fault/--clear: only this point")
    parser.add_argument("--for", dest="for_s", type=float, metavar="S", help="fault duration")
    parser.add_argument("--code", type=int, help="with --fault exception: Modbus exception code")
    parser.add_argument("--rate", type=float, help="with --fault drift: units per second")
    parser.add_argument("--delay", type=float, help="with --fault slow: answer delay, seconds")
    parser.add_argument(
        "--values", type=lambda s: [int(v, 0) for v in s.split(",")], help="garbage registers"
    )


def _control_message(args: argparse.Namespace) -> dict[str, Any]:
    if args.status:
        return {"op": "status"}
    if args.clear:
        msg: dict[str, Any] = {"op": "clear", "device": args.clear}
        if args.point:
            msg["point"] = args.point
        return msg
    device, kind = args.fault
    msg = {"op": "fault", "device": device, "kind": kind}
    optional = {
        "point": args.point,
        "for_s": args.for_s,
        "code": args.code,
        "rate_per_s": args.rate,
        "delay_s": args.delay,
        "values": args.values,
    }
    msg.update({k: v for k, v in optional.items() if v is not None})
    return msg


def _send(args: argparse.Namespace) -> int:
    try:
        reply = send_control("127.0.0.1", args.control_port, _control_message(args))
    except ControlError as exc:
        print(f"refused: {exc.reply.get('error', exc.reply)}", file=sys.stderr)
        return FAILED
    except OSError as exc:
        print(
            f"no simulator on 127.0.0.1:{args.control_port} ({exc.strerror or exc})",
            file=sys.stderr,
        )
        return FAILED
    print(json.dumps(reply, ensure_ascii=False, indent=1))
    return OK


def _wait_ready(site: SiteConfig, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    pending = {(b.host, b.port) for b in site.buses if b.kind != "rtu"}
    while pending and time.monotonic() < deadline:
        for host, port in list(pending):
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                pending.discard((host, port))
            except OSError:
                pass
        if pending:
            time.sleep(0.1)
    if pending:
        where = ", ".join(f"{h}:{p}" for h, p in sorted(pending))
        print(f"simulator not answering on {where} after {timeout_s:g} s", file=sys.stderr)
        return FAILED
    return OK


def _serve(site: SiteConfig, args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        sim = Simulation(site, control_port=args.control_port, seed=args.seed, step_s=args.step_s)
        sim.start()
    except (OSError, RuntimeError) as exc:
        print(f"cannot start the simulator: {exc}", file=sys.stderr)
        return FAILED
    try:
        for b in site.buses:
            where = b.serial_port if b.kind == "rtu" else f"{b.host}:{b.port}"
            names = ", ".join(f"{d.name}@{d.unit}" for d in site.devices if d.bus == b.name)
            print(f"sim {b.name} ({b.kind}) on {where}: {names}", flush=True)
        # the port it listens on: an ephemeral one for --control-port 0
        print(f"sim control on {sim.control.host}:{sim.control.port}", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return OK


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return UNUSABLE
    if args.fault or args.clear or args.status:
        return _send(args)
    if args.wait_ready is not None:
        return _wait_ready(site, args.wait_ready)
    return _serve(site, args)
